// Browser test of the order page: runs `sluice run page-pipeline.yaml` (the real binary and
// plugins) over the given orders, drives Debian's Chromium headless through playwright-core,
// and saves a screenshot of every state it checks.
//
//   node page.test.mjs --sluice BIN --web DIR --order FILE --out DIR     (ctest passes these)
//   node page.test.mjs --url http://127.0.0.1:8081/ --order FILE --out DIR  (a running sluice)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { CHROMIUM, CHROMIUM_FLAGS, SKIP, freePort } from './browser_harness.mjs';


function parseArgs(argv) {
  const args = { order: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'order') args.order.push(argv[i + 1]);
    else args[key] = argv[i + 1];
  }
  return args;
}

// Polls `url` until it answers `status`, or fails after `ms`.
async function waitForStatus(url, status, ms, child) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`sluice exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.status === status) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Runs `sluice run page-pipeline.yaml` over an NDJSON file of the given orders and resolves
// once the first order is served (read_auth open), or refused without a token (read_auth
// token); stop() sends SIGTERM and waits for the exit.
async function startSluice(args, orders, readAuth = 'open') {
  const work = join(args.out, `page-run-${readAuth}`);  // its own: the e2e tests run in parallel
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const ordersFile = join(work, 'orders.ndjson');
  writeFileSync(ordersFile, orders.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const log = openSync(join(work, 'sluice.log'), 'w');
  const child = spawn(args.sluice, ['run', resolve('page-pipeline.yaml')], {
    cwd: work,
    stdio: ['ignore', log, log],
    env: {
      ...process.env, E2E_ORDERS: ordersFile, E2E_LISTEN: `127.0.0.1:${port}`, E2E_WEB: resolve(args.web),
      E2E_READ_AUTH: readAuth, SLUICE_API_TOKENS: 'read:e2e-page-read-token-0123456789',
    },
  });
  const exited = new Promise((done) => child.once('exit', done));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForStatus(`${url}order/${orders[0].order_uid}`, readAuth === 'open' ? 200 : 401, 30000, child);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}; see ${join(work, 'sluice.log')}`);
  }
  return { url, stop };
}

const results = [];
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}\n      ${String(error && error.stack || error).split('\n').join('\n      ')}`);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIP: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
    return SKIP;
  }
  const { chromium } = await import('playwright-core');
  const out = args.out || 'artifacts';
  mkdirSync(out, { recursive: true });
  const sample = JSON.parse(readFileSync(args.order[0] || '../fixtures/model.json', 'utf8'));
  const sampleUid = sample.order_uid;
  // The longest id the server takes (64 characters, one token): it must wrap inside its card.
  const longUid = `${'LongOrderId'.repeat(5)}_0123456789-x`.slice(0, 64);
  const longOrder = { ...sample, order_uid: longUid };

  const server = args.url ? { url: args.url, stop: async () => {} } : await startSluice(args, [sample, longOrder]);
  console.log(`page at ${server.url}, screenshots in ${out}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  const shot = (page, name) => page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  const stateOf = (page) => page.locator('#state').getAttribute('data-state');
  // The value beside a label in a card, its line boxes, and whether it stays inside its card.
  const fieldBox = (page, list, label) => page.evaluate(([sel, want]) => {
    const dt = [...document.querySelectorAll(`${sel} dt`)].find((d) => d.textContent === want);
    const dd = dt.nextElementSibling;
    const range = document.createRange();
    range.selectNodeContents(dd);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    const card = dd.closest('.card').getBoundingClientRect();
    const box = dd.getBoundingClientRect();
    return { text: dd.textContent, lines: tops.size, inside: box.left >= card.left && box.right <= card.right + 0.5 };
  }, [list, label]);

  try {
    const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors = [];
    desktop.on('pageerror', (error) => consoleErrors.push(String(error)));
    // The server's Content-Security-Policy blocks inline script and style: a page that relied
    // on them would log a violation here.
    desktop.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) consoleErrors.push(message.text());
    });

    await step('page loads with the sample id prefilled', async () => {
      const response = await desktop.goto(server.url);
      assert.equal(response.status(), 200);
      assert.equal(await desktop.inputValue('#order-id'), sampleUid);
      await shot(desktop, '01-idle-desktop');
    });

    await step('looking up the sample order shows delivery and items', async () => {
      await desktop.click('#lookup');
      await desktop.locator('#order:not([hidden])').waitFor({ timeout: 10000 });
      assert.equal(await stateOf(desktop), 'found');
      assert.equal((await desktop.textContent('#delivery-name')).trim(), sample.delivery.name);
      assert.equal(sample.delivery.name, 'Test Testov');
      const row = desktop.locator('#items tbody tr', { hasText: 'Mascaras' });
      assert.equal(await row.count(), 1, 'an items row for Mascaras');
      assert.match(await row.textContent(), /Vivienne Sabo/);
      assert.match(await desktop.textContent('#summary'), /WBILMTESTTRACK/);
      assert.match(await desktop.textContent('#payment-amount'), /1,817/);
      // The uid and the transaction id are one unbroken line each, inside their cards.
      for (const [list, label] of [['#summary', 'Order uid'], ['#summary', 'Track number'], ['#payment', 'Transaction']]) {
        const box = await fieldBox(desktop, list, label);
        assert.equal(box.lines, 1, `${label} "${box.text}" is broken over ${box.lines} lines`);
        assert.ok(box.inside, `${label} sticks out of its card`);
      }
      // Size and carrier status say what they are.
      const item = desktop.locator('#items tbody tr', { hasText: 'Mascaras' });
      assert.match(await item.locator('td[data-label="Size"]').getAttribute('title'), /^Size 0: the size code/);
      assert.match(await item.locator('td[data-label="Carrier status"]').getAttribute('title'),
        /^Carrier status code 202: the delivery service's status/);
      assert.equal(await desktop.textContent('#items thead th:nth-child(7)'), 'Carrier status');
      assert.match(await desktop.getAttribute('#items thead th:nth-child(3)', 'title'), /size code/);
      await shot(desktop, '02-order-desktop');
    });

    await step('the longest id (64 characters) wraps inside its card, not beyond it', async () => {
      await desktop.fill('#order-id', longUid);
      await desktop.press('#order-id', 'Enter');
      await desktop.waitForFunction((uid) => document.querySelector('#state').dataset.state === 'found'
        && document.querySelector('#order-uid').textContent === uid, longUid);
      const box = await fieldBox(desktop, '#summary', 'Order uid');
      assert.equal(box.text, longUid);
      assert.ok(box.inside, 'the long uid sticks out of its card');
      const overflow = await desktop.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the window`);
      await shot(desktop, '02b-long-id-desktop');
      await desktop.fill('#order-id', sampleUid);
      await desktop.press('#order-id', 'Enter');
      await desktop.waitForFunction((uid) => document.querySelector('#order-uid').textContent === uid, sampleUid);
    });

    await step('raw JSON is one click away and equals the stored order', async () => {
      await desktop.click('#tab-raw');
      const raw = await desktop.textContent('#raw-json');
      assert.deepEqual(JSON.parse(raw), sample);
      await shot(desktop, '03-raw-json-desktop');
      await desktop.click('#tab-readable');
      assert.equal(await desktop.locator('#readable').isVisible(), true);
    });

    await step('the recent list needs a token the page does not have: it says so, lookups still work', async () => {
      await desktop.waitForFunction(() => /operators with a token/.test(document.querySelector('#recent-note').textContent));
      assert.equal(await desktop.locator('#recent-list button').count(), 0);
      assert.equal(await desktop.locator('#recent-refresh').isVisible(), false);
      assert.equal(await stateOf(desktop), 'found');
    });

    await step('a missing id shows the not-found state', async () => {
      await desktop.fill('#order-id', 'doesnotexist123');
      await desktop.press('#order-id', 'Enter');
      await desktop.waitForFunction(() => document.querySelector('#state').dataset.state === 'not-found');
      assert.match(await desktop.textContent('#state'), /No order with id doesnotexist123/);
      assert.equal(await desktop.locator('#order').isVisible(), false);
      await shot(desktop, '04-not-found-desktop');
    });

    await step('an invalid id shows the invalid state with the reason the server gives (the server owns the rule)', async () => {
      await desktop.fill('#order-id', '../etc/passwd');
      await desktop.press('#order-id', 'Enter');
      await desktop.waitForFunction(() => document.querySelector('#state').dataset.state === 'invalid');
      assert.match(await desktop.textContent('#state'), /not a valid order id/);
      assert.match(await desktop.textContent('#state'),
        /An order id is 1–64 characters of A–Z, a–z, 0–9, _ and -\./);
      assert.match(await desktop.textContent('#state'), /invalid order_uid/);
      await shot(desktop, '05-invalid-desktop');
    });

    await step('phone width: the order fits without sideways scrolling', async () => {
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await phone.goto(`${server.url}?order=${sampleUid}`);
      await phone.locator('#order:not([hidden])').waitFor({ timeout: 10000 });
      assert.equal((await phone.textContent('#delivery-name')).trim(), 'Test Testov');
      assert.equal(await phone.locator('#items tbody tr', { hasText: 'Mascaras' }).count(), 1);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
      const box = await fieldBox(phone, '#summary', 'Order uid');
      assert.equal(box.lines, 1, `the uid is broken over ${box.lines} lines at 390 px`);
      assert.ok(box.inside, 'the uid sticks out of its card at 390 px');
      await shot(phone, '06-order-phone');
      await phone.close();
    });

    await step('read_auth token: a lookup says plainly that the server needs a read token', async () => {
      if (args.url) return;  // one server only
      const locked = await startSluice(args, [sample], 'token');
      try {
        const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        tab.on('pageerror', (error) => consoleErrors.push(String(error)));
        await tab.goto(`${locked.url}?order=${sampleUid}`);
        await tab.waitForFunction(() => document.querySelector('#state').dataset.state === 'locked', null,
          { timeout: 10000 });
        const text = await tab.textContent('#state');
        assert.match(text, /This server needs a read token for lookups\./);
        assert.doesNotMatch(text, /Unexpected|HTTP 401/);
        assert.equal(await tab.locator('#order').isVisible(), false);
        await shot(tab, '08-read-token-needed-desktop');
        await tab.close();
      } finally {
        await locked.stop();
      }
    });

    await step('no script errors on the page', async () => {
      assert.deepEqual(consoleErrors, []);
    });

    await step('server unreachable shows its own state', async () => {
      if (args.url) return;  // not ours to stop
      await server.stop();
      await desktop.fill('#order-id', sampleUid);
      await desktop.press('#order-id', 'Enter');
      await desktop.waitForFunction(() => document.querySelector('#state').dataset.state === 'unreachable',
        null, { timeout: 15000 });
      assert.match(await desktop.textContent('#state'), /Cannot reach the server/);
      await shot(desktop, '07-unreachable-desktop');
    });
  } finally {
    await browser.close();
    await server.stop();
  }

  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed}/${results.length} steps passed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
