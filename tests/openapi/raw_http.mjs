// HTTP over a bare socket, for what fetch() cannot send: a request head too large for the
// server (413), or one that never ends (408). Resolves with the answer the server sent before
// it closed the connection (or once a whole answer arrived).
import { connect } from 'node:net';

function parse(bytes) {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers = new Map(lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const body = bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const length = headers.has('content-length') ? Number(headers.get('content-length')) : null;
  if (length !== null && body.length < length) return null;
  return {
    status,
    headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
    text: body.subarray(0, length ?? body.length).toString('utf8'),
  };
}

// Sends `head` (a string, sent as is) and waits up to `ms` for the answer.
export function rawRequest(port, head, ms = 10000) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parse(Buffer.concat(chunks));
      if (answer) resolve(answer);
      else reject(error ?? new Error(`no complete answer to ${JSON.stringify(head.slice(0, 60))}`));
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${ms} ms`)), ms);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (parse(Buffer.concat(chunks))) finish();
    });
    socket.on('end', () => finish());
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => socket.write(head));
  });
}
