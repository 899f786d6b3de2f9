// `sluice run` of one of this folder's pipeline files on free ports over an NDJSON file of
// orders, stopped by its pid. Resolves once both listeners answer and the caller's readiness
// check holds.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { freePort, waitUntil } from '../support/node_process.mjs';
import { join, resolve } from 'node:path';

export { waitUntil };

// `sluice run <pipelineName>` (a copy of this folder's file, which the test may edit and
// reload) in `work`, over the given lines (Buffers, one order each), with SLUICE_API_TOKENS =
// `tokens`. `ready(url)` (url(port) of its main listener) must resolve truthy before it returns.
export async function startSluice({ sluice, pluginDir, web, work, pipelineName, lines, tokens, ready }) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const ordersFile = join(work, 'orders.ndjson');
  writeFileSync(ordersFile, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
  const pipeline = join(work, pipelineName);
  copyFileSync(resolve(pipelineName), pipeline);
  const ports = { main: await freePort(), admin: await freePort() };
  const logFile = join(work, 'sluice.log');
  const log = openSync(logFile, 'w');
  const child = spawn(resolve(sluice), ['--plugin-dir', resolve(pluginDir), 'run', pipeline], {
    cwd: work,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      OA_ORDERS: ordersFile,
      OA_LISTEN: `127.0.0.1:${ports.main}`,
      OA_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`,
      OA_WEB: resolve(web),
      OA_NO_PAGE: join(work, 'no-page-folder'),
      SLUICE_API_TOKENS: tokens,
    },
  });
  const exited = new Promise((done) => child.once('exit', done));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const url = (port) => `http://127.0.0.1:${port}`;
  try {
    for (const port of Object.values(ports)) {
      await waitUntil(`${url(port)}/healthz did not answer 200`, async () => (await fetch(`${url(port)}/healthz`)).ok,
        30000, child);
    }
    await waitUntil(`${pipelineName} was not ready`, () => ready(url(ports.main), url(ports.admin)), 30000, child);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}; see ${logFile}`);
  }
  return { ports, pipeline, ordersFile, logFile, stop, child };
}
