// What the Node.js tests (tests/e2e, tests/openapi) share about the `sluice run` they start: a
// free port for its listeners, and polling a condition instead of sleeping.
import { createServer } from 'node:net';

// A TCP port free on 127.0.0.1 right now.
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Polls until check() resolves truthy, or fails after `ms` (or as soon as `child`, the sluice
// process, has exited).
export async function waitUntil(what, check, ms, child, everyMs = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`sluice exited with ${child.exitCode}`);
    try {
      if (await check()) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
