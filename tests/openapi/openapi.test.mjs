// plugins/common/http/openapi.json against the real thing: (a) the document is valid OpenAPI 3.1
// (@seriousme/openapi-schema-validator), (b) two real `sluice run`s are started (file ->
// order_validate -> memory_cache, fake_dead_letters, rest: openapi-pipeline.yaml with open
// reads, openapi-locked.yaml with tokens and no store), and (c) every (path, method, status)
// the document lists is provoked, its status checked and its body and headers validated
// against the document (Ajv, JSON Schema 2020-12). It fails when a documented answer was not
// exercised, except the few in UNREACHABLE, which need an outage.
//
//   node openapi.test.mjs --sluice BIN --plugin-dir DIR --web DIR --order FILE --document FILE --work DIR
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { DocChecker } from './doc_checker.mjs';
import { rawRequest } from './raw_http.mjs';
import { startSluice, waitUntil } from './sluice_run.mjs';

// Documented answers this test cannot provoke without breaking a store, with why.
const UNREACHABLE = new Map([
  // The store that lists recent orders failing: memory_cache lists from memory and never fails.
  ['GET /api/orders 503', 'needs a listing store that is down (PostgreSQL)'],
  // A component not ready: the cache warming up from a database, a broker unreachable.
  ['GET /readyz 503', 'needs a component that is not ready (a warm-up or a broker outage)'],
  // A reload still not applied after 60 s.
  ['POST /admin/reload 504', 'needs a reload that takes longer than 60 s'],
]);

const ADMIN = 'openapi-admin-token-0123456789abcdef';
const READ = 'openapi-read-token-0123456789abcdef';
const WRONG = 'openapi-wrong-token-0123456789abcdef';
const ORDER = '/order/{order_uid}';
const LETTER = '/admin/dead-letters/{id}';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const doc = JSON.parse(readFileSync(args.document, 'utf8'));
const checker = new DocChecker(doc);
let ports;

// One request through fetch; its answer must have `expect` as status and match the document
// for (template, method). Returns the answer with its parsed JSON body, if any.
async function hit(port, method, path, template, expect, { token, headers = {}, body, checkAs } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const answer = { status: response.status, headers: response.headers, text: await response.text() };
  const what = `${method} ${path.slice(0, 80)} on :${port}`;
  assert.equal(answer.status, expect, `${what}: ${answer.text.slice(0, 300)}`);
  checker.check(template, checkAs ?? method, answer, what);
  try {
    answer.json = JSON.parse(answer.text);
  } catch { /* not JSON */ }
  return answer;
}

// The admin operations, each with a concrete path (letter 1 is the first refused order).
const ADMIN_OPS = [
  ['GET', '/admin/status', '/admin/status'], ['POST', '/admin/reload', '/admin/reload'],
  ['GET', '/admin/dead-letters', '/admin/dead-letters'], ['GET', '/admin/dead-letters/reasons', '/admin/dead-letters/reasons'],
  ['GET', LETTER, '/admin/dead-letters/1'], ['DELETE', LETTER, '/admin/dead-letters/1'],
  ['POST', '/admin/dead-letters/replay', '/admin/dead-letters/replay'],
  ['POST', '/admin/dead-letters/discard', '/admin/dead-letters/discard'], ['GET', '/admin/tap', '/admin/tap?stage=cache'],
];
const withQuery = (path, query) => `${path}${path.includes('?') ? '&' : '?'}${query}`;

async function main() {
  // (a) A real OpenAPI 3.1 validator, which must also refuse a broken copy.
  const validator = new Validator();
  const verdict = await validator.validate(structuredClone(doc));
  assert.ok(verdict.valid, `openapi.json is not valid OpenAPI: ${JSON.stringify(verdict.errors, null, 1)}`);
  assert.equal(validator.version, '3.1');
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  const broken = structuredClone(doc);
  broken.paths['/healthz'].get.responses = 'none';
  assert.equal((await new Validator().validate(broken)).valid, false, 'the validator accepts a broken document');

  // (b) The pipelines: the sample order first (offset 0), then three the validator refuses;
  // and the locked API in a process of its own, over no orders.
  const sample = JSON.parse(readFileSync(args.order, 'utf8'));
  const uid = sample.order_uid;
  const without = (key, id) => {
    const order = { ...sample, order_uid: id };
    delete order[key];
    return order;
  };
  const refused = [without('locale', 'oamissing01'), without('locale', 'oamissing02'),
    { ...sample, order_uid: 'oaunknown03', gift_note: 'x' }];
  const common = { sluice: args.sluice, pluginDir: args['plugin-dir'], web: args.web, tokens: `admin:${ADMIN},read:${READ}` };
  const server = await startSluice({
    ...common, work: `${args.work}/open`, pipelineName: 'openapi-pipeline.yaml',
    lines: [sample, ...refused].map((o) => Buffer.from(JSON.stringify(o))),
    // The first order is served and the refused ones are listed as dead letters.
    ready: async (main, admin) => (await fetch(`${main}/order/${uid}`)).status === 200 && (await (await fetch(
      `${admin}/admin/dead-letters/reasons`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()).total === 3,
  });
  let lockedServer;
  try {
    lockedServer = await startSluice({
      ...common, work: `${args.work}/locked`, pipelineName: 'openapi-locked.yaml', lines: [], ready: async () => true,
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  ports = {
    open: server.ports.main, openAdmin: server.ports.admin,
    locked: lockedServer.ports.main, lockedAdmin: lockedServer.ports.admin,
  };
  const { open, openAdmin, locked, lockedAdmin } = ports;
  const pad = `pad=${'x'.repeat(3000)}`;  // past max_url_bytes (2048): 414
  try {
    // (c) Status first: the stream name for read-your-writes tokens, and the letter ids.
    const status = (await hit(openAdmin, 'GET', '/admin/status', '/admin/status', 200, { token: ADMIN })).json;
    assert.equal(status.pipeline, 'openapi');
    assert.equal(status.dead_letters, true);
    assert.ok(status.tap_points.includes('cache'));
    const { stream, partition } = status.positions[0];
    const list = (await hit(openAdmin, 'GET', '/admin/dead-letters', '/admin/dead-letters', 200, { token: ADMIN })).json;
    assert.equal(list.letters.length, 3);
    const [missingA, missingB, unknown] = list.letters.map((l) => l.id);

    // Orders.
    const order = await hit(open, 'GET', `/order/${uid}`, ORDER, 200);
    assert.deepEqual(order.json, sample);
    assert.equal(order.headers.get('x-sluice-source'), 'cache');
    const reached = `${stream}/${partition}@0`;
    await hit(open, 'GET', `/order/${uid}`, ORDER, 200, { headers: { 'Sluice-Min-Position': reached } });
    await hit(open, 'GET', `/order/${uid}?min_position=${encodeURIComponent(reached)}`, ORDER, 200);
    await hit(open, 'GET', '/order/bad.id', ORDER, 400);
    await hit(open, 'GET', `/order/${uid}`, ORDER, 400, { headers: { 'Sluice-Min-Position': 'no-position' } });
    await hit(locked, 'GET', `/order/${uid}`, ORDER, 401);
    assert.equal((await hit(open, 'GET', '/order/nope', ORDER, 404)).headers.get('x-sluice-source'), 'cache');
    const late = await hit(open, 'GET', `/order/${uid}`, ORDER, 409,
      { headers: { 'Sluice-Min-Position': `${stream}/${partition}@999999` } });
    assert.ok(late.json.waited_ms >= 150, late.text);
    await hit(open, 'GET', `/order/${uid}?${pad}`, ORDER, 414);
    assert.equal((await hit(locked, 'GET', `/order/${uid}`, ORDER, 503, { token: READ })).json.error,
      'no order store configured');

    // The listing needs a token even where reads are open.
    await hit(open, 'GET', '/api/orders', '/api/orders', 401);
    const recent = await hit(open, 'GET', '/api/orders', '/api/orders', 200, { token: READ });
    assert.deepEqual(recent.json, { orders: [uid], limit: 20 });
    await hit(open, 'GET', '/api/orders?limit=abc', '/api/orders', 400, { token: READ });
    await hit(locked, 'GET', '/api/orders', '/api/orders', 401);
    assert.deepEqual((await hit(locked, 'GET', '/api/orders?limit=5', '/api/orders', 200, { token: READ })).json,
      { orders: [], limit: 5 });
    await hit(open, 'GET', `/api/orders?${pad}`, '/api/orders', 414, { token: READ });

    // Health, metrics, this document, the page.
    for (const port of [open, openAdmin, locked, lockedAdmin]) await hit(port, 'GET', '/healthz', '/healthz', 200);
    await hit(open, 'GET', `/healthz?${pad}`, '/healthz', 414);
    await hit(open, 'GET', '/readyz', '/readyz', 200);
    await hit(open, 'GET', `/readyz?${pad}`, '/readyz', 414);
    assert.match((await hit(open, 'GET', '/metrics', '/metrics', 200)).text, /sluice_http_requests_total/);
    await hit(lockedAdmin, 'GET', '/metrics', '/metrics', 200, { token: READ });
    await hit(lockedAdmin, 'GET', '/metrics', '/metrics', 401);
    await hit(locked, 'GET', '/metrics', '/metrics', 404, { token: READ });  // metrics_on: admin
    await hit(openAdmin, 'GET', '/metrics', '/metrics', 404);                // metrics_on: main
    await hit(open, 'GET', `/metrics?${pad}`, '/metrics', 414);
    for (const port of [open, openAdmin, locked, lockedAdmin]) {  // locked has no page folder
      assert.deepEqual((await hit(port, 'GET', '/openapi.json', '/openapi.json', 200)).json, doc);
    }
    await hit(open, 'GET', `/openapi.json?${pad}`, '/openapi.json', 414);
    await hit(open, 'GET', '/index.html', '/{file}', 200);
    await hit(openAdmin, 'GET', '/admin.html', '/{file}', 200);
    await hit(open, 'GET', '/a%2fb', '/{file}', 400);
    await hit(open, 'GET', '/no-such-file.txt', '/{file}', 404);
    await hit(locked, 'GET', '/index.html', '/{file}', 404);
    await hit(open, 'GET', `/index.html?${pad}`, '/{file}', 414);

    // Methods a path does not answer: 405 with Allow.
    for (const [path, template] of [[`/order/${uid}`, ORDER], ['/api/orders', '/api/orders'], ['/healthz', '/healthz'],
      ['/readyz', '/readyz'], ['/metrics', '/metrics'], ['/openapi.json', '/openapi.json'], ['/index.html', '/{file}']]) {
      await hit(open, 'POST', path, template, 405, { checkAs: 'OTHER', body: {}, token: READ });
    }
    await hit(openAdmin, 'POST', '/healthz', '/healthz', 405, { checkAs: 'OTHER', body: {} });
    for (const [method, template, path] of [['POST', '/admin/status', '/admin/status'], ['GET', '/admin/reload', '/admin/reload'],
      ['POST', '/admin/dead-letters', '/admin/dead-letters'], ['POST', '/admin/dead-letters/reasons', '/admin/dead-letters/reasons'],
      ['GET', '/admin/dead-letters/replay', '/admin/dead-letters/replay'], ['GET', '/admin/dead-letters/discard', '/admin/dead-letters/discard'],
      ['POST', LETTER, `/admin/dead-letters/${missingA}`], ['POST', '/admin/tap', '/admin/tap'], ['PUT', '/admin/status', '/admin/status']]) {
      await hit(openAdmin, method, path, template, 405, { checkAs: 'OTHER', token: ADMIN, body: method === 'GET' ? undefined : {} });
    }

    // Every admin operation: no token, a read token, a malformed query.
    await hit(openAdmin, 'GET', '/admin/status', '/admin/status', 401, { token: WRONG });
    for (const [method, template, path] of ADMIN_OPS) {
      const body = method === 'POST' ? { ids: [missingA], dry_run: true } : undefined;
      await hit(openAdmin, method, path, template, 401, { body });
      await hit(openAdmin, method, path, template, 403, { token: READ, body });
      await hit(openAdmin, method, withQuery(path, 'bad=%zz'), template, 400, { token: ADMIN, body });
    }

    // The admin operations' own answers.
    const letter = (await hit(openAdmin, 'GET', `/admin/dead-letters/${unknown}`, LETTER, 200, { token: ADMIN })).json;
    assert.deepEqual(JSON.parse(letter.raw_text), refused[2]);
    await hit(openAdmin, 'GET', '/admin/dead-letters/999999', LETTER, 404, { token: ADMIN });
    await hit(openAdmin, 'GET', '/admin/dead-letters/abc', LETTER, 404, { token: ADMIN });
    await hit(openAdmin, 'GET', '/admin/dead-letters?limit=0', '/admin/dead-letters', 400, { token: ADMIN });
    await hit(openAdmin, 'GET', '/admin/dead-letters?since=someday', '/admin/dead-letters', 400, { token: ADMIN });
    // key: 1 to 256 bytes; the 400 carries field, min, max and given_bytes.
    await hit(openAdmin, 'GET', `/admin/dead-letters?key=${'k'.repeat(257)}`, '/admin/dead-letters', 400, { token: ADMIN });
    await hit(openAdmin, 'GET', '/admin/dead-letters?key=%27%00', '/admin/dead-letters', 200, { token: ADMIN });
    const page = (await hit(openAdmin, 'GET', '/admin/dead-letters?limit=2', '/admin/dead-letters', 200, { token: ADMIN })).json;
    assert.equal(page.next_after, missingB);
    assert.equal((await hit(openAdmin, 'GET', '/admin/dead-letters/reasons', '/admin/dead-letters/reasons', 200,
      { token: ADMIN })).json.total, 3);
    const REPLAY = '/admin/dead-letters/replay';
    const DISCARD = '/admin/dead-letters/discard';
    await hit(openAdmin, 'POST', REPLAY, REPLAY, 400, { token: ADMIN, body: {} });
    await hit(openAdmin, 'POST', REPLAY, REPLAY, 400, { token: ADMIN, body: '[1]' });
    assert.equal((await hit(openAdmin, 'POST', REPLAY, REPLAY, 200,
      { token: ADMIN, body: { reason: 'missing_field', dry_run: true } })).json.would_replay, 2);
    assert.equal((await hit(openAdmin, 'POST', REPLAY, REPLAY, 200, { token: ADMIN, body: { ids: [unknown] } })).json.failed, 1);
    await hit(openAdmin, 'POST', DISCARD, DISCARD, 400, { token: ADMIN, body: { since: 'someday' } });
    assert.equal((await hit(openAdmin, 'POST', DISCARD, DISCARD, 200,
      { token: ADMIN, body: { reason: 'missing_field', dry_run: true } })).json.would_discard, 2);
    assert.equal((await hit(openAdmin, 'POST', DISCARD, DISCARD, 200, { token: ADMIN, body: { ids: [missingB] } })).json.discarded, 1);
    await hit(openAdmin, 'DELETE', `/admin/dead-letters/${missingA}`, LETTER, 200, { token: ADMIN });
    await hit(openAdmin, 'DELETE', `/admin/dead-letters/${missingA}`, LETTER, 404, { token: ADMIN });

    console.log('tapAnswers');
    await tapAnswers(server, sample);
    console.log('reloadAnswers');
    await reloadAnswers(server);
    await hit(open, 'GET', '/healthz', '/healthz', 200);
    console.log('limitAnswers');
    await limitAnswers();
    console.log('busyAnswers');
    await busyAnswers();
    console.log('withoutDeadLetterStore');
    await withoutDeadLetterStore(server);
    console.log('tooManyFailures');
    await tooManyFailures();
  } finally {
    await Promise.all([server.stop(), lockedServer.stop()]);
  }

  // Every documented answer was seen, except the few that need an outage.
  const missing = checker.documented().filter((key) => !checker.exercised.has(key) && !UNREACHABLE.has(key));
  for (const key of UNREACHABLE.keys()) {
    assert.ok(checker.documented().includes(key), `${key} is listed as unreachable but not documented`);
    assert.ok(!checker.exercised.has(key), `${key} is listed as unreachable but was exercised: take it off the list`);
  }
  assert.deepEqual(missing, [], `documented but never exercised:\n  ${missing.join('\n  ')}`);
  console.log(`ok: ${checker.exercised.size} documented answers exercised, ${UNREACHABLE.size} unreachable ` +
    `(${[...UNREACHABLE.keys()].join(', ')})`);
}

// GET /admin/tap: a record that passes the cache (orders appended until the tap has one),
// a bad or missing stage, and the ninth tap while eight are open (429).
async function tapAnswers(server, sample) {
  const { openAdmin } = ports;
  await hit(openAdmin, 'GET', '/admin/tap', '/admin/tap', 400, { token: ADMIN });
  await hit(openAdmin, 'GET', '/admin/tap?stage=cache&limit=abc', '/admin/tap', 400, { token: ADMIN });
  await hit(openAdmin, 'GET', '/admin/tap?stage=nowhere', '/admin/tap', 404, { token: ADMIN });
  let tapped = null;
  const tap = hit(openAdmin, 'GET', '/admin/tap?stage=cache&limit=1&timeout_ms=20000', '/admin/tap', 200, { token: ADMIN })
    .then((answer) => { tapped = answer; });
  for (let n = 0; !tapped && n < 200; ++n) {
    appendFileSync(server.ordersFile, `${JSON.stringify({ ...sample, order_uid: `oatapped${n}` })}\n`);
    await Promise.race([tap, new Promise((r) => setTimeout(r, 100))]);
  }
  await tap;
  const lines = tapped.text.trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.length, 2, tapped.text);
  assert.equal(lines[0].stage, 'cache');
  assert.deepEqual(lines[1], { end: true, records: 1, dropped: 0, reason: 'limit' });

  // Eight taps that see nothing (no letters arrive) stay open for 5 s; a ninth is refused.
  const eight = Array.from({ length: 8 }, () => hit(openAdmin, 'GET', '/admin/tap?stage=dead_letter&timeout_ms=5000',
    '/admin/tap', 200, { token: ADMIN }));
  // The ninth goes once the server counts the eight (sluice_taps_open): sent before, it could
  // take a slot ahead of one of them and turn that one into the 429.
  await waitUntil('eight taps open', async () => {
    const metrics = await fetch(`http://127.0.0.1:${ports.open}/metrics`);
    return /\nsluice_taps_open 8\n/.test(await metrics.text());
  }, 4000);
  const response = await fetch(`http://127.0.0.1:${openAdmin}/admin/tap?stage=dead_letter&timeout_ms=3000`,
    { headers: { Authorization: `Bearer ${ADMIN}` } });
  const answer = { status: response.status, headers: response.headers, text: await response.text() };
  assert.equal(answer.status, 429, answer.text);
  checker.check('/admin/tap', 'GET', answer, 'the ninth tap');
  assert.match(JSON.parse(answer.text).error, /too many taps/);
  for (const answer of await Promise.all(eight)) assert.match(answer.text, /"reason":"timeout"/);
}

// POST /admin/reload: applied (nothing changed), rejected (a bad file), rolled back (a new
// sink that cannot open). The file is put back after each.
async function reloadAnswers(server) {
  const { openAdmin } = ports;
  const original = readFileSync(server.pipeline, 'utf8');
  const reload = (expect) => hit(openAdmin, 'POST', '/admin/reload', '/admin/reload', expect, { token: ADMIN });
  assert.equal((await reload(200)).json.result, 'applied');
  try {
    writeFileSync(server.pipeline, `${original}\nno_such_key: 1\n`);
    assert.equal((await reload(422)).json.result, 'rejected');
    writeFileSync(server.pipeline, original.replace('  - { id: cache, plugin: memory_cache }',
      '  - { id: cache, plugin: memory_cache }\n  - { id: broken, plugin: file, config: { path: "/nonexistent/sluice/out" } }'));
    assert.equal((await reload(409)).json.result, 'rolled_back');
  } finally {
    writeFileSync(server.pipeline, original);
  }
}

// 413 (Pistache: a head over max_request_bytes) for every operation, 408 (a head that never
// ends within header_timeout_ms) for the main listener's.
async function limitAnswers() {
  const checks = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const admin = template.startsWith('/admin/');
    const path = template.replace('{order_uid}', 'x').replace('{id}', '1').replace('{file}', 'index.html');
    for (const method of ['get', 'post', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const METHOD = method.toUpperCase();
      const port = admin ? ports.openAdmin : ports.open;
      if (op.responses['413']) {
        checks.push(rawRequest(port, `${METHOD} ${path} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20000)}\r\n\r\n`)
          .then((answer) => {
            assert.equal(answer.status, 413, `${METHOD} ${path}: ${answer.text}`);
            checker.check(template, METHOD, answer, `${METHOD} ${path} (large head)`);
          }));
      }
      if (op.responses['408']) {
        checks.push(rawRequest(port, `${METHOD} ${path} HTTP/1.1\r\nHost: x\r\n`).then((answer) => {
          assert.equal(answer.status, 408, `${METHOD} ${path}: ${answer.text}`);
          checker.check(template, METHOD, answer, `${METHOD} ${path} (unfinished head)`);
        }));
      }
    }
  }
  await Promise.all(checks);
}

// 503 for every admin operation: the locked API has one admin thread for short requests and
// one for long ones (taps, replays, reloads). Dead-letter lists (6 s each there) hold the first
// and taps (6 s each, nothing passes the dead-letter stage) the second while more are sent than
// their queues hold (64 and 8), so the rest are refused at once; from then on every admin
// request is. The queued ones are refused when they waited 30 s, or at stop.
async function busyAnswers() {
  const { lockedAdmin } = ports;
  const refused = { short: 0, long: 0 };
  const send = (path, kind) => fetch(`http://127.0.0.1:${lockedAdmin}${path}`,
    { headers: { Authorization: `Bearer ${ADMIN}` } })
    .then((response) => { if (response.status === 503) refused[kind] += 1; return response.text(); })
    .catch(() => { /* the server stopped first */ });
  // A burst can be refused while the thread has not yet taken its first request from the
  // queue, which then has a free place after all: one more is sent after each burst until
  // one is refused with nothing else in flight, so the queue is surely full.
  const fill = async (path, kind, burst) => {
    for (let i = 0; i < burst; ++i) send(path, kind);
    await waitUntil(`the ${kind} admin queue did not fill`, async () => refused[kind] > 0, 5000);
    for (let extra = 0; extra < 10; ++extra) {
      const before = refused[kind];
      send(path, kind);
      try {
        await waitUntil('refused', async () => refused[kind] > before, 500);
        return;
      } catch { /* accepted: it took the place left */ }
    }
    throw new Error(`the ${kind} admin queue never refused a request`);
  };
  await fill('/admin/dead-letters', 'short', 80);
  await fill('/admin/tap?stage=dead_letter&timeout_ms=6000', 'long', 20);
  for (const [method, template, path] of ADMIN_OPS) {
    const body = method === 'POST' ? { ids: [1], dry_run: true } : undefined;
    const answer = await hit(lockedAdmin, method, path, template, 503, { token: ADMIN, body });
    assert.equal(answer.json.error, 'admin threads busy, try again');
  }
}

// 404 from every dead-letter operation once the pipeline has no dead-letter store (a reload
// without `dead_letter`).
async function withoutDeadLetterStore(server) {
  const { openAdmin } = ports;
  const text = readFileSync(server.pipeline, 'utf8');
  writeFileSync(server.pipeline, text.replace('dead_letter:\n  plugin: fake_dead_letters\n', ''));
  await hit(openAdmin, 'POST', '/admin/reload', '/admin/reload', 200, { token: ADMIN });
  await waitUntil('the reloaded admin API did not answer', async () => (await fetch(
    `http://127.0.0.1:${openAdmin}/admin/status`, { headers: { Authorization: `Bearer ${ADMIN}` } })).ok, 15000);
  for (const [method, template, path] of ADMIN_OPS.filter(([, t]) => t.startsWith('/admin/dead-letters'))) {
    const body = method === 'POST' ? { all: true } : undefined;
    const answer = await hit(openAdmin, method, path, template, 404, { token: ADMIN, body });
    assert.match(answer.json.error, /no dead-letter store/);
  }
}

// 429 with Retry-After for a wrong token once a client used up its budget on a listener: every
// admin operation (open API), orders and metrics (locked API); a right token still passes.
async function tooManyFailures() {
  for (const [port, path, template] of [[ports.openAdmin, '/admin/status', '/admin/status'], [ports.locked, `/order/x`, ORDER]]) {
    await waitUntil(`:${port} never limited wrong tokens`, async () => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${WRONG}` } });
      await response.text();
      return response.status === 429;
    }, 10000);
    await hit(port, 'GET', path, template, 429, { token: WRONG });
  }
  // Only wrong tokens are refused: a right one always passes (README, "Authentication").
  for (const [method, template, path] of ADMIN_OPS) {
    const body = method === 'POST' ? { ids: [1], dry_run: true } : undefined;
    await hit(ports.openAdmin, method, path, template, 429, { token: WRONG, body });
  }
  await hit(ports.locked, 'GET', '/api/orders', '/api/orders', 429, { token: WRONG });
  await hit(ports.locked, 'GET', '/api/orders', '/api/orders', 200, { token: READ });
  // Each listener has its own budget: the locked admin listener has seen no wrong token yet,
  // and once it has, a right token still passes there too.
  await hit(ports.lockedAdmin, 'GET', '/metrics', '/metrics', 200, { token: READ });
  await waitUntil(`:${ports.lockedAdmin} never limited wrong tokens`, async () => {
    const response = await fetch(`http://127.0.0.1:${ports.lockedAdmin}/metrics`, { headers: { Authorization: `Bearer ${WRONG}` } });
    await response.text();
    return response.status === 429;
  }, 10000);
  await hit(ports.lockedAdmin, 'GET', '/metrics', '/metrics', 429, { token: WRONG });
  await hit(ports.lockedAdmin, 'GET', '/metrics', '/metrics', 200, { token: READ });
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
