// Browser test of the operator page (web/admin.html): runs `sluice run admin-pipeline.yaml`
// (the real binary and plugins, with the in-memory fake_dead_letters sink from the test
// fixtures) over the sample order and a few invalid ones, drives Debian's Chromium headless
// through playwright-core, and saves a screenshot of every state it checks.
//
//   node admin.test.mjs --sluice BIN --plugin-dir DIR --web DIR --order FILE --out DIR   (ctest)
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { CHROMIUM, CHROMIUM_FLAGS, SKIP, freePort } from './browser_harness.mjs';
import { waitUntil } from '../support/node_process.mjs';

const WAIT = { timeout: 15000 };

// One admin and one read token (at least 16 characters each), and one nobody has.
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const READ_TOKEN = 'e2e-read-token-0123456789abcdef';
const WRONG_TOKEN = 'e2e-wrong-token-0123456789abcdef';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

// Runs `sluice run` on a copy of admin-pipeline.yaml (the test edits it before a reload) over
// a file of the given lines (Buffers); resolves once the valid order is served and the invalid
// ones are listed as dead letters. stop() sends SIGTERM and waits for the exit.
async function startSluice(args, lines, validUid, invalidCount) {
  const work = join(args.out, 'admin-run');  // its own: the e2e tests run in parallel
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const ordersFile = join(work, 'orders.ndjson');
  writeFileSync(ordersFile, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
  const pipeline = join(work, 'admin-pipeline.yaml');
  copyFileSync(resolve('admin-pipeline.yaml'), pipeline);
  const [port, adminPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}/`;
  const adminUrl = `http://127.0.0.1:${adminPort}/`;
  const log = openSync(join(work, 'sluice.log'), 'w');
  const child = spawn(args.sluice, ['--plugin-dir', resolve(args['plugin-dir']), 'run', pipeline], {
    cwd: work,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      E2E_ORDERS: ordersFile,
      E2E_LISTEN: `127.0.0.1:${port}`,
      E2E_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      E2E_WEB: resolve(args.web),
      SLUICE_API_TOKENS: `admin:${ADMIN_TOKEN},read:${READ_TOKEN}`,
    },
  });
  const exited = new Promise((done) => child.once('exit', done));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntil(`${url}order/${validUid} did not answer 200`,
      async () => (await fetch(`${url}order/${validUid}`)).status === 200, 30000, child);
    await waitUntil(`the admin API did not list ${invalidCount} dead letters`, async () => {
      const response = await fetch(`${adminUrl}admin/dead-letters/reasons`,
        { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      return response.status === 200 && (await response.json()).total === invalidCount;
    }, 15000, child);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}; see ${join(work, 'sluice.log')}`);
  }
  return { url, adminUrl, pipeline, stop };
}

const results = [];
let failedBefore = false;
async function step(name, body) {
  const started = Date.now();
  // Each step builds on the state the one before left: after a failure the rest are skipped.
  if (failedBefore) {
    results.push({ name, ok: false });
    console.log(`SKIP  ${name} (an earlier step failed)`);
    return;
  }
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failedBefore = true;
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
  args.out = out;
  mkdirSync(out, { recursive: true });
  const sample = JSON.parse(readFileSync(args.order || '../fixtures/model.json', 'utf8'));

  // order_validate refuses these: two without "locale" (missing_field), one with a field no
  // order has (unknown_field, while the pipeline says allow_unknown_fields: false), and one
  // that is not UTF-8 (invalid_utf8: the page shows its bytes in hex).
  const withoutLocale = (uid) => {
    const order = { ...sample, order_uid: uid };
    delete order.locale;
    return order;
  };
  const missingA = withoutLocale('e2emissinglocale01');
  const missingB = withoutLocale('e2emissinglocale02');
  const unknown = { ...sample, order_uid: 'e2eunknownfield03', gift_note: 'wrap it <b>nicely</b>' };
  const binary = Buffer.concat([Buffer.from('{"order_uid":"e2ebinary04","note":"'), Buffer.from([0xff, 0xfe]),
    Buffer.from('"}')]);
  // In file order, so in letter id order.
  const refused = [
    { uid: missingA.order_uid, reason: 'missing_field', pointer: '/locale' },
    { uid: missingB.order_uid, reason: 'missing_field', pointer: '/locale' },
    { uid: unknown.order_uid, reason: 'unknown_field', pointer: '/gift_note' },
    { uid: 'e2ebinary04', reason: 'invalid_utf8', pointer: '' },
  ];
  const lines = [...[missingA, missingB, unknown].map((o) => Buffer.from(JSON.stringify(o))), binary,
    Buffer.from(JSON.stringify(sample))];

  const server = await startSluice(args, lines, sample.order_uid, refused.length);
  const adminPage = `${server.adminUrl}admin.html`;
  console.log(`operator page at ${adminPage}, orders at ${server.url}, screenshots in ${out}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  const shot = async (page, name) => {
    const path = join(out, `admin-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return resolve(path);
  };
  const stateOf = (page, selector) => page.locator(selector).getAttribute('data-state');
  const waitState = (page, selector, state, timeout = 15000) => page.waitForFunction(
    ([sel, want]) => document.querySelector(sel).dataset.state === want, [selector, state], { timeout });
  const rowOf = (page, id) => page.locator(`#letters tbody tr[data-id="${id}"]`);
  const field = (page, label) => page.locator('#letter-fields dt', { hasText: new RegExp(`^${label}$`) })
    .locator('xpath=following-sibling::dd[1]');
  const signIn = async (page, token) => {
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
  };
  // The letter ids the admin API gives our orders (ascending, in file order).
  const idOf = {};

  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    // CSP violations (inline script or style the server's policy blocks) count as errors.
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });

    await step('without a token the page asks for one and shows no data', async () => {
      const response = await page.goto(adminPage);
      assert.equal(response.status(), 200);
      assert.equal(await stateOf(page, '#auth'), 'no-token');
      assert.equal(await page.locator('#dashboard').isVisible(), false);
      assert.equal(await page.locator('#token').getAttribute('type'), 'password');
      await shot(page, '01-no-token');
    });

    await step('a wrong token is refused: 401, unauthorised', async () => {
      await signIn(page, WRONG_TOKEN);
      await waitState(page, '#auth', 'unauthorised');
      const text = await page.textContent('#auth');
      assert.match(text, /Unauthorised/);
      assert.match(text, /401/);
      assert.match(text, /invalid token/);
      assert.equal(await page.locator('#dashboard').isVisible(), false);
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
      await shot(page, '02-wrong-token-401');
    });

    await step('a read token is refused: 403, forbidden', async () => {
      await signIn(page, READ_TOKEN);
      await waitState(page, '#auth', 'forbidden');
      const text = await page.textContent('#auth');
      assert.match(text, /403/);
      assert.match(text, /admin role/);
      assert.equal(await page.locator('#dashboard').isVisible(), false);
      await shot(page, '03-read-token-403');
    });

    await step('the admin token shows the pipeline, the reasons with counts and the list', async () => {
      await signIn(page, ADMIN_TOKEN);
      await page.locator('#dashboard:not([hidden])').waitFor(WAIT);
      await page.locator('#reasons button[data-reason="missing_field"]').waitFor(WAIT);
      await page.locator('#letters tbody tr').nth(3).waitFor(WAIT);
      assert.equal(await page.textContent('#pipeline-name'), 'e2e-admin');
      await waitState(page, '#readiness', 'ready');
      assert.match(await page.textContent('#pipeline-fields'), /Config hash/);
      assert.equal(await page.textContent('#reasons-total'), '4');
      assert.equal(await page.textContent('#reasons button[data-reason="missing_field"] .count'), '2');
      assert.equal(await page.textContent('#reasons button[data-reason="unknown_field"] .count'), '1');
      assert.equal(await page.textContent('#reasons button[data-reason="invalid_utf8"] .count'), '1');
      const rows = page.locator('#letters tbody tr');
      assert.equal(await rows.count(), refused.length);
      for (const [i, want] of refused.entries()) {
        const cells = await rows.nth(i).locator('td').allTextContents();
        idOf[want.uid] = Number(await rows.nth(i).getAttribute('data-id'));
        assert.equal(cells[2], want.reason);
        assert.equal(cells[3], want.pointer || '—');
        assert.equal(cells[4], 'order_validate');
        assert.match(cells[5], new RegExp(`/0@${i}$`), `source position of line ${i}`);
        assert.equal(cells[6], '1');
        assert.equal(cells[7], `${lines[i].length} B`);
      }
      // The token stays in this tab's session storage, never in the address.
      assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.admin.token')), ADMIN_TOKEN);
      assert.ok(!page.url().includes(ADMIN_TOKEN));
      await shot(page, '04-letters');
    });

    await step('search by order id: its letter with reason, stage and time, opened in full; none says so', async () => {
      const id = idOf[missingB.order_uid];
      await page.fill('#key-input', ` ${missingB.order_uid} `);  // pasted with blanks around it
      await page.press('#key-input', 'Enter');
      await page.waitForFunction((want) => {
        const rows = document.querySelectorAll('#letters tbody tr');
        return rows.length === 1 && rows[0].dataset.id === String(want);
      }, id, WAIT);
      assert.equal(await page.textContent('#filter-key'), missingB.order_uid);
      assert.equal(await page.locator('#filter-reason').isVisible(), false);
      const cells = await rowOf(page, id).locator('td').allTextContents();
      assert.equal(cells[2], 'missing_field');
      assert.equal(cells[3], '/locale');
      assert.equal(cells[4], 'order_validate');
      assert.notEqual(cells[1], '—', 'the time it was last refused');
      console.log(`      screenshot ${await shot(page, '04b-key-search')}`);
      await rowOf(page, id).locator('button.open').click();
      await page.waitForFunction((want) => document.querySelector('#letter').dataset.state === 'shown'
        && document.querySelector('#letter-id').textContent === `#${want}`, id, WAIT);
      assert.equal((await field(page, 'Reason').textContent()).trim(), 'missing_field');
      assert.equal((await page.textContent('#key')).trim(), missingB.order_uid);
      assert.equal(JSON.parse(await page.textContent('#payload')).order_uid, missingB.order_uid);
      console.log(`      screenshot ${await shot(page, '04c-key-letter')}`);
      await page.click('#letter-close');

      await page.fill('#key-input', 'no-such-order-42');
      await page.click('#key-submit');
      await waitState(page, '#list-state', 'empty');
      assert.match(await page.textContent('#list-state'), /No dead letters for key no-such-order-42\./);
      assert.equal(await page.locator('#letters').isVisible(), false);
      console.log(`      screenshot ${await shot(page, '04d-key-none')}`);
      await page.fill('#key-input', 'k'.repeat(257));
      await page.click('#key-submit');
      await waitState(page, '#list-state', 'error');
      assert.match(await page.textContent('#list-state'), /at most 256 bytes/);

      // The API itself: quotes, NUL and bytes that are not UTF-8 are keys like any other
      // (nothing matches), an empty or overlong key is a 400 naming the field and its bounds.
      const list = async (query) => {
        const response = await fetch(`${server.adminUrl}admin/dead-letters?${query}`,
          { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
        return { status: response.status, body: await response.json() };
      };
      for (const hostile of ['%27%22%00', '%00', `${missingB.order_uid}%00`, '%ff%fe', "x'%20OR%20'1'%3D'1"]) {
        const answer = await list(`key=${hostile}`);
        assert.equal(answer.status, 200, hostile);
        assert.deepEqual(answer.body.letters, [], hostile);
      }
      for (const bad of ['key=', `key=${'%00'.repeat(257)}`, `key=${'k'.repeat(1500)}`]) {
        const answer = await list(bad);
        assert.equal(answer.status, 400, bad.slice(0, 20));
        assert.deepEqual([answer.body.field, answer.body.min, answer.body.max], ['key', 1, 256]);
      }
      // Longer than the listener takes for a request (max_request_bytes): refused before routing.
      const huge = await fetch(`${server.adminUrl}admin/dead-letters?key=${'k'.repeat(100000)}`,
        { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.status, () => 0);
      assert.ok(huge >= 400 && huge < 500, `a 100 kB key: HTTP ${huge}`);
      assert.deepEqual((await list(`key=${missingA.order_uid}`)).body.letters.map((l) => l.id), [idOf[missingA.order_uid]]);

      await page.click('#filter-clear');
      await page.locator('#letters tbody tr').nth(3).waitFor(WAIT);
      assert.equal(await page.inputValue('#key-input'), '');
      assert.equal(await page.locator('#filter').isVisible(), false);
    });

    await step('paging: two letters a page, next and previous', async () => {
      await page.goto(`${adminPage}?limit=2`);  // same tab: signed in from session storage
      await page.locator('#letters tbody tr').nth(1).waitFor(WAIT);
      assert.equal(await page.locator('#letters tbody tr').count(), 2);
      assert.match(await page.textContent('#page-label'), /Page 1/);
      await page.click('#page-next');
      await page.waitForFunction(() => /Page 2/.test(document.querySelector('#page-label').textContent), null, WAIT);
      assert.equal(await page.locator('#letters tbody tr').count(), 2);
      assert.equal(await rowOf(page, idOf[unknown.order_uid]).count(), 1);
      assert.equal(await page.locator('#page-next').isDisabled(), true, 'no page after the last');
      await shot(page, '05-page-2');
      await page.click('#page-prev');
      await page.waitForFunction(() => /Page 1/.test(document.querySelector('#page-label').textContent), null, WAIT);
      await page.goto(adminPage);
      await page.locator('#letters tbody tr').nth(3).waitFor(WAIT);
    });

    const unknownId = () => idOf[unknown.order_uid];

    await step('a reason filters the list; a letter opens with its fields and raw JSON', async () => {
      await page.click('#reasons button[data-reason="unknown_field"]');
      await page.waitForFunction(() => document.querySelectorAll('#letters tbody tr').length === 1, null, WAIT);
      assert.equal(await page.getAttribute('#reasons button[data-reason="unknown_field"]', 'aria-pressed'), 'true');
      assert.equal(await page.textContent('#filter-reason'), 'unknown_field');
      // Keyboard: the id in the row is a button.
      await page.focus(`#letters tbody tr[data-id="${unknownId()}"] button.open`);
      await page.keyboard.press('Enter');
      await waitState(page, '#letter', 'shown');
      assert.equal(await page.textContent('#letter-id'), `#${unknownId()}`);
      assert.equal((await field(page, 'Reason').textContent()).trim(), 'unknown_field');
      assert.equal((await field(page, 'Pointer').textContent()).trim(), '/gift_note');
      assert.equal((await field(page, 'Stage').textContent()).trim(), 'order_validate');
      assert.equal((await field(page, 'Attempts').textContent()).trim(), '1');
      assert.equal(await page.locator('#truncated').isVisible(), false);
      assert.deepEqual(JSON.parse(await page.textContent('#payload')), unknown);
      // Markup in the payload is text, not HTML.
      assert.equal(await page.locator('#payload b').count(), 0);
      assert.match(await page.textContent('#payload'), /<b>nicely<\/b>/);
      await shot(page, '06-letter');
      await page.click('#payload-format');
      assert.equal((await page.textContent('#payload')).trim(), JSON.stringify(unknown));
      await page.click('#payload-format');
    });

    await step('replay: refused again by the same rule, attempts 2', async () => {
      await page.click('#replay');
      await waitState(page, '#action-state', 'refused', 30000);
      assert.match(await page.textContent('#action-state'), /Refused again: unknown_field/);
      await page.waitForFunction(() => /^2/.test(
        [...document.querySelectorAll('#letter-fields dt')].find((dt) => dt.textContent === 'Attempts')
          .nextElementSibling.textContent), null, WAIT);
      await page.waitForFunction((id) => {
        const row = document.querySelector(`#letters tbody tr[data-id="${id}"]`);
        return row && row.querySelector('td:nth-child(7)').textContent === '2';
      }, unknownId(), WAIT);
      await shot(page, '07-refused-again');
    });

    await step('edit the pipeline file to allow unknown fields, reload: applied', async () => {
      const text = readFileSync(server.pipeline, 'utf8');
      assert.match(text, /allow_unknown_fields: false/);
      writeFileSync(server.pipeline, text.replace('allow_unknown_fields: false', 'allow_unknown_fields: true'));
      await page.click('#reload');
      await waitState(page, '#reload-state', 'applied', 70000);
      assert.match(await page.textContent('#reload-state'), /Reload #1 applied/);
      await page.waitForFunction(() => /#1 applied/.test(document.querySelector('#pipeline-fields').textContent), null, WAIT);
      await shot(page, '08-reload-applied');
    });

    await step('replay again: stored, retired, gone from the list, and served by the cache', async () => {
      await page.click('#replay');
      await waitState(page, '#action-state', 'stored', 30000);
      assert.match(await page.textContent('#action-state'), /Stored, retired/);
      assert.equal(await stateOf(page, '#letter'), 'retired');
      assert.equal(await page.locator('#replay').isDisabled(), true);
      await waitState(page, '#list-state', 'empty');
      assert.equal(await rowOf(page, unknownId()).count(), 0);
      await page.waitForFunction(() => !document.querySelector('#reasons button[data-reason="unknown_field"]'), null, WAIT);
      assert.equal(await page.textContent('#reasons-total'), '3');
      const response = await fetch(`${server.url}order/${unknown.order_uid}`);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).gift_note, unknown.gift_note);
      await shot(page, '09-stored');
    });

    await step('discard another letter: an in-page confirmation, cancel keeps it, confirm removes it', async () => {
      const id = idOf[missingB.order_uid];
      await page.click('#filter-clear');
      await rowOf(page, id).waitFor(WAIT);
      await rowOf(page, id).click();
      await page.waitForFunction((want) => document.querySelector('#letter').dataset.state === 'shown'
        && document.querySelector('#letter-id').textContent === `#${want}`, id, WAIT);
      await page.click('#discard');
      await page.locator('#confirm[open]').waitFor(WAIT);
      assert.match(await page.textContent('#confirm-title'), new RegExp(`Discard dead letter ${id}\\?`));
      await page.keyboard.press('Escape');
      await page.locator('#confirm:not([open])').waitFor({ state: 'attached', ...WAIT });
      assert.equal(await rowOf(page, id).count(), 1, 'cancel keeps the letter');
      await page.click('#discard');
      await page.locator('#confirm[open]').waitFor(WAIT);
      await shot(page, '10-discard-confirm');
      await page.click('#confirm-ok');
      await waitState(page, '#action-state', 'discarded');
      assert.match(await page.textContent('#action-state'), new RegExp(`Discarded letter ${id}`));
      await page.waitForFunction((gone) => !document.querySelector(`#letters tbody tr[data-id="${gone}"]`)
        && document.querySelectorAll('#letters tbody tr').length === 2, id, WAIT);
      await page.waitForFunction(() => document.querySelector('#reasons-total').textContent === '2', null, WAIT);
      assert.equal(await page.textContent('#reasons button[data-reason="missing_field"] .count'), '1');
      const response = await fetch(`${server.adminUrl}admin/dead-letters/${id}`,
        { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 404);
      await shot(page, '11-discarded');
    });

    await step('a payload that is not UTF-8 is shown as hex', async () => {
      const id = idOf.e2ebinary04;
      await rowOf(page, id).locator('button.open').click();
      await page.waitForFunction((want) => document.querySelector('#letter').dataset.state === 'shown'
        && document.querySelector('#letter-id').textContent === `#${want}`, id, WAIT);
      assert.equal((await field(page, 'Reason').textContent()).trim(), 'invalid_utf8');
      assert.match(await page.textContent('#payload-kind'), /not UTF-8: hex/);
      assert.equal(await page.locator('#payload-format').isVisible(), false);
      const dump = await page.textContent('#payload');
      assert.match(dump, /^00000000  7b 22 6f 72 64 65 72 5f 75 69 64 22 3a 22 65 32  \|\{"order_uid":"e2\|/);
      assert.match(dump, /ff fe 22 7d/);
      await shot(page, '12-hex');
    });

    await step('phone width: the list and a letter fit without sideways scrolling', async () => {
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      phone.on('pageerror', (error) => pageErrors.push(String(error)));
      await phone.goto(adminPage);
      await signIn(phone, ADMIN_TOKEN);  // a new tab: its own session storage
      await phone.locator('#letters tbody tr').first().waitFor(WAIT);
      await phone.locator('#letters tbody tr button.open').first().click();
      await waitState(phone, '#letter', 'shown');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
      // The top bar is one line and scrolls away: it never covers the letters.
      const bar = await phone.evaluate(() => {
        const topbar = document.querySelector('.topbar');
        return { height: topbar.getBoundingClientRect().height, position: getComputedStyle(topbar).position };
      });
      assert.ok(bar.height <= 56, `the top bar is ${bar.height}px high at 390 px (one line is at most 56)`);
      assert.ok(!['sticky', 'fixed'].includes(bar.position), `the top bar is ${bar.position} at 390 px`);
      assert.equal(await phone.locator('#forget-token').isVisible(), true);
      await phone.evaluate(() => window.scrollTo(0, 0));
      console.log(`      screenshot ${await shot(phone, '13-phone')}`);
      await phone.click('#letter-close');
      await phone.fill('#key-input', missingA.order_uid);
      await phone.press('#key-input', 'Enter');
      await phone.waitForFunction((want) => {
        const rows = document.querySelectorAll('#letters tbody tr');
        return rows.length === 1 && rows[0].dataset.id === String(want);
      }, idOf[missingA.order_uid], WAIT);
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 0, `with a key search the page is ${wide}px wider than the phone screen`);
      console.log(`      screenshot ${await shot(phone, '13b-phone-key-search')}`);
      await phone.close();
    });

    await step('many wrong tokens: 429 with the wait the server asks for', async () => {
      // Another tab, so the signed-in one keeps its token. The limiter counts failures per
      // client address (default: a burst of 10, one more a second); it lifts after Retry-After.
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      tab.on('pageerror', (error) => pageErrors.push(String(error)));
      await tab.goto(adminPage);
      let state = '';
      for (let attempt = 0; attempt < 40 && state !== 'limited'; ++attempt) {
        await signIn(tab, WRONG_TOKEN);
        await tab.waitForFunction(() => document.querySelector('#auth').dataset.state !== 'checking', null, WAIT);
        state = await stateOf(tab, '#auth');
        assert.ok(state === 'unauthorised' || state === 'limited', `state ${state}`);
      }
      assert.equal(state, 'limited');
      const text = await tab.textContent('#auth');
      assert.match(text, /Too many failed attempts \(HTTP 429\)/);
      assert.match(text, /Try again in \d+ s/);
      await shot(tab, '14-too-many-429');
      await tab.close();
      await waitUntil('the admin token was not accepted again after the lockout', async () => (await fetch(
        `${server.adminUrl}admin/status`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status === 200, 15000);
    });

    await step('no script errors on the page', async () => {
      assert.deepEqual(pageErrors, []);
    });

    await step('server unreachable shows its own state', async () => {
      await server.stop();
      await page.click('#refresh');
      await waitState(page, '#banner', 'unreachable', 20000);
      assert.match(await page.textContent('#banner'), /Cannot reach the server/);
      await shot(page, '15-unreachable');
    });

    await step('forget token: back to the token form, nothing kept', async () => {
      await page.click('#forget-token');
      assert.equal(await stateOf(page, '#auth'), 'no-token');
      assert.equal(await page.locator('#dashboard').isVisible(), false);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.admin.token')), null);
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
