// What both browser tests share: Debian's Chromium and the flags that work headless here, the
// ctest skip code, and a free port for the `sluice run` they start.
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--no-first-run', '--disable-component-update', '--disable-sync'];
export const SKIP = 77;  // ctest SKIP_RETURN_CODE

export { freePort } from '../support/node_process.mjs';
