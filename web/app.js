// Sluice order lookup page. Plain browser JavaScript, no build step.
// Every value from the server goes into the page through textContent, never as HTML.
'use strict';

(() => {
  const REQUEST_TIMEOUT_MS = 8000;
  // The server's rule for ids (README, "REST API"): stated, not checked, here.
  const ORDER_ID_RULE = 'An order id is 1–64 characters of A–Z, a–z, 0–9, _ and -.';
  const RECENT_LIMIT = 20;

  const $ = (id) => document.getElementById(id);
  const els = {
    form: $('lookup-form'), input: $('order-id'), button: $('lookup'),
    state: $('state'), order: $('order'),
    uid: $('order-uid'), subtitle: $('order-subtitle'),
    summary: $('summary'), deliveryName: $('delivery-name'), delivery: $('delivery'),
    paymentAmount: $('payment-amount'), payment: $('payment'),
    itemsBody: document.querySelector('#items tbody'), itemsFoot: document.querySelector('#items tfoot'),
    itemsCount: $('items-count'),
    tabReadable: $('tab-readable'), tabRaw: $('tab-raw'), readable: $('readable'), raw: $('raw'),
    rawJson: $('raw-json'), rawLink: $('raw-link'), copyRaw: $('copy-raw'),
    recentList: $('recent-list'), recentNote: $('recent-note'), recentRefresh: $('recent-refresh'),
  };

  // ---- fetching ---------------------------------------------------------------------------

  // Resolves to {kind: 'ok' | 'http' | 'unreachable', status, text}; never rejects, so the
  // callers only have to map outcomes to states.
  async function getText(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: 'application/json' } });
      const text = await response.text();
      return { kind: response.ok ? 'ok' : 'http', status: response.status, text };
    } catch (error) {
      return { kind: 'unreachable', status: 0, text: '', timedOut: error && error.name === 'AbortError' };
    } finally {
      clearTimeout(timer);
    }
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch { return undefined; }
  }

  // ---- formatting -------------------------------------------------------------------------

  const missing = '—';
  const show = (value) => (value === undefined || value === null || value === '' ? missing : String(value));

  function formatMoney(amount, currency) {
    if (typeof amount !== 'number') return missing;
    try {
      return new Intl.NumberFormat(undefined, {
        style: 'currency', currency: currency || 'USD', minimumFractionDigits: 0, maximumFractionDigits: 2,
      }).format(amount);
    } catch {
      return `${amount.toLocaleString()} ${currency || ''}`.trim();
    }
  }

  function formatDate(date) {
    if (Number.isNaN(date.getTime())) return missing;
    return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  // ---- building the view ------------------------------------------------------------------

  // el(): web/dom.js.

  // rows: [label, value, {href, title, mono, token}]. Each label and value is a line of its own
  // (div.field); a token (an id) is never broken inside: it moves below its label when it does
  // not fit beside it, and only one longer than the whole card wraps (style.css, .fields.flow).
  function fillFields(dl, rows) {
    dl.replaceChildren();
    for (const [label, value, opts = {}] of rows) {
      const text = show(value);
      const cls = [opts.mono || opts.token ? 'mono' : '', opts.token ? 'token' : ''].join(' ').trim();
      const dd = el('dd', cls ? { class: cls } : {});
      if (opts.href && text !== missing) dd.append(el('a', { href: opts.href, text }));
      else dd.textContent = text;
      if (opts.title) dd.title = opts.title;
      dl.append(el('div', { class: 'field' }, el('dt', { text: label }), dd));
    }
  }

  function renderOrder(order, rawText) {
    const delivery = order.delivery || {};
    const payment = order.payment || {};
    const items = Array.isArray(order.items) ? order.items : [];
    const created = new Date(order.date_created);

    els.uid.textContent = show(order.order_uid);
    els.subtitle.textContent = [formatDate(created), order.delivery_service, `${items.length} item${items.length === 1 ? '' : 's'}`]
      .filter((part) => part && part !== missing).join(' · ');

    fillFields(els.summary, [
      ['Order uid', order.order_uid, { token: true }],
      ['Track number', order.track_number, { token: true }],
      ['Customer', order.customer_id],
      ['Created', formatDate(created), { title: order.date_created }],
      ['Delivery service', order.delivery_service],
      ['Entry', order.entry],
      ['Locale', order.locale],
    ]);

    els.deliveryName.textContent = show(delivery.name);
    fillFields(els.delivery, [
      ['Phone', delivery.phone, { href: delivery.phone ? `tel:${delivery.phone}` : '' }],
      ['Email', delivery.email, { href: delivery.email ? `mailto:${delivery.email}` : '' }],
      ['Address', delivery.address],
      ['City', [delivery.zip, delivery.city].filter(Boolean).join(' ')],
      ['Region', delivery.region],
    ]);

    els.paymentAmount.textContent = formatMoney(payment.amount, payment.currency);
    const paidAt = typeof payment.payment_dt === 'number' ? new Date(payment.payment_dt * 1000) : new Date(NaN);
    fillFields(els.payment, [
      ['Goods', formatMoney(payment.goods_total, payment.currency)],
      ['Delivery', formatMoney(payment.delivery_cost, payment.currency)],
      ['Custom fee', formatMoney(payment.custom_fee, payment.currency)],
      ['Provider', [payment.provider, payment.bank].filter(Boolean).join(' · ')],
      ['Paid', formatDate(paidAt)],
      ['Transaction', payment.transaction, { token: true }],
    ]);

    renderItems(items, payment.currency, payment.goods_total);

    els.rawJson.textContent = JSON.stringify(order, null, 2) || rawText;
    els.rawLink.href = `order/${encodeURIComponent(order.order_uid || '')}`;
    els.rawLink.textContent = `Open /order/${order.order_uid || ''} ↗`;
  }

  function renderItems(items, currency, goodsTotal) {
    els.itemsCount.textContent = String(items.length);
    els.itemsBody.replaceChildren();
    let sum = 0;
    const titled = (node, title) => { node.title = title; return node; };
    for (const item of items) {
      if (typeof item.total_price === 'number') sum += item.total_price;
      const cell = (label, text, cls) => el('td', { 'data-label': label, class: cls || '', text });
      const row = el('tr', {},
        el('td', { 'data-label': 'Item', class: 'item-name' },
          el('span', { text: show(item.name) }),
          el('span', { class: 'muted small mono', text: item.nm_id !== undefined ? ` #${item.nm_id}` : '' })),
        cell('Brand', show(item.brand)),
        titled(cell('Size', show(item.size)), `Size ${show(item.size)}: the size code the order gives`),
        cell('Price', formatMoney(item.price, currency), 'num'),
        cell('Sale', typeof item.sale === 'number' ? `−${item.sale}%` : missing, 'num'),
        cell('Total', formatMoney(item.total_price, currency), 'num strong'),
        titled(cell('Carrier status', show(item.status), 'mono'),
          `Carrier status code ${show(item.status)}: the delivery service's status for this item, as the order gives it`));
      row.title = item.rid ? `rid ${item.rid}` : '';
      els.itemsBody.append(row);
    }
    const foot = el('tr', {},
      el('th', { scope: 'row', colspan: '5', text: `Total, ${items.length} item${items.length === 1 ? '' : 's'}` }),
      el('td', { class: 'num strong', 'data-label': 'Total', text: formatMoney(sum, currency) }),
      el('td', { class: 'muted small', text: typeof goodsTotal === 'number' && goodsTotal !== sum
        ? `payment says ${formatMoney(goodsTotal, currency)}` : '' }));
    els.itemsFoot.replaceChildren(foot);
  }

  // ---- states -----------------------------------------------------------------------------

  function setState(state, title, detail, action) {
    els.state.dataset.state = state;
    const children = [el('p', { class: 'state-title', text: title })];
    if (detail) children.push(el('p', { class: 'state-detail muted', text: detail }));
    if (action) {
      const button = el('button', { type: 'button', class: 'link-button', text: action.label });
      button.addEventListener('click', action.run);
      children.push(button);
    }
    els.state.replaceChildren(...children);
    els.state.hidden = state === 'found';
    els.order.hidden = state !== 'found';
    els.order.dataset.state = state;
  }

  function showTab(raw) {
    els.tabReadable.setAttribute('aria-selected', String(!raw));
    els.tabRaw.setAttribute('aria-selected', String(raw));
    els.readable.hidden = raw;
    els.raw.hidden = !raw;
  }

  // ---- lookup -----------------------------------------------------------------------------

  let latest = 0;  // only the newest lookup may change the page

  async function lookup(rawId, { remember = true } = {}) {
    const id = rawId.trim();
    els.input.value = id;
    if (remember) rememberInUrl(id);
    markActiveRecent(id);
    // The server checks ids (a 400 below); the page only says what the rule is.
    if (!id) {
      setState('invalid', 'Enter an order id.', ORDER_ID_RULE);
      els.input.focus();
      return;
    }
    const ticket = ++latest;
    setState('loading', `Looking up ${id}…`);
    els.button.disabled = true;
    const result = await getText(`order/${encodeURIComponent(id)}`);
    if (ticket !== latest) return;
    els.button.disabled = false;

    const body = parseJson(result.text);
    if (result.kind === 'unreachable') {
      setState('unreachable', 'Cannot reach the server.',
        result.timedOut ? `No answer within ${REQUEST_TIMEOUT_MS / 1000} seconds.` : 'Check that sluice is running, then try again.',
        { label: 'Try again', run: () => lookup(id) });
    } else if (result.status === 404) {
      setState('not-found', `No order with id ${id}.`, 'Check the id, or pick one of the recent orders.');
    } else if (result.status === 400) {
      setState('invalid', 'That is not a valid order id.',
        `${ORDER_ID_RULE} (The server said: ${(body && body.error) || 'invalid order_uid'}.)`);
      els.input.focus();
    } else if (result.status === 401 || result.status === 403) {
      // read_auth: token (README, "Authentication"): this page sends no token, so it says what
      // the server wants instead of an error code.
      setState('locked', 'This server needs a read token for lookups.',
        'Orders here are for token holders only, and this page does not send a token. Ask the operator, or '
        + 'call GET /order/{id} with Authorization: Bearer <read token>.');
    } else if (result.kind === 'ok' && body && typeof body === 'object') {
      renderOrder(body, result.text);
      setState('found', `Order ${id}`);
      document.title = `Order ${id} · Sluice`;
    } else if (result.status === 503) {
      setState('unavailable', 'The order store is unavailable right now.',
        (body && body.error) || 'Try again in a moment.', { label: 'Try again', run: () => lookup(id) });
    } else {
      setState('error', `Unexpected answer from the server (HTTP ${result.status}).`,
        (body && body.error) || result.text.slice(0, 200), { label: 'Try again', run: () => lookup(id) });
    }
  }

  function rememberInUrl(id) {
    const url = new URL(window.location.href);
    url.searchParams.set('order', id);
    window.history.replaceState(null, '', url);
  }

  // ---- recent orders ----------------------------------------------------------------------

  function markActiveRecent(id) {
    for (const button of els.recentList.querySelectorAll('button')) {
      button.setAttribute('aria-current', String(button.dataset.id === id));
    }
  }

  async function loadRecent() {
    els.recentNote.textContent = 'Loading…';
    els.recentNote.hidden = false;
    const result = await getText(`api/orders?limit=${RECENT_LIMIT}`);
    const body = parseJson(result.text);
    const ids = result.kind === 'ok' && body && Array.isArray(body.orders) ? body.orders : null;
    els.recentList.replaceChildren();
    if (!ids) {
      // The listing of ids is for token holders only (README, "Authentication"): this page sends
      // no token, so it says so and stays a lookup by id.
      const locked = result.status === 401 || result.status === 403;
      els.recentNote.textContent = result.kind === 'unreachable' ? 'Cannot reach the server.'
        : locked ? 'The list of recent orders is for operators with a token; look an order up by its id.'
          : 'Recent orders are not available.';
      els.recentRefresh.hidden = locked;
      return;
    }
    if (ids.length === 0) {
      els.recentNote.textContent = 'No orders yet.';
      return;
    }
    els.recentNote.hidden = true;
    for (const id of ids) {
      const button = el('button', { type: 'button', class: 'recent-item mono', text: String(id) });
      button.dataset.id = String(id);
      button.addEventListener('click', () => lookup(String(id)));
      els.recentList.append(el('li', {}, button));
    }
    markActiveRecent(els.input.value.trim());
  }

  // ---- wiring -----------------------------------------------------------------------------

  els.form.addEventListener('submit', (event) => {
    event.preventDefault();
    lookup(els.input.value);
  });
  els.tabReadable.addEventListener('click', () => showTab(false));
  els.tabRaw.addEventListener('click', () => showTab(true));
  els.recentRefresh.addEventListener('click', loadRecent);
  els.copyRaw.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(els.rawJson.textContent);
      els.copyRaw.textContent = 'Copied';
    } catch {
      els.copyRaw.textContent = 'Copy failed';
    }
    setTimeout(() => { els.copyRaw.textContent = 'Copy'; }, 1500);
  });

  const fromUrl = new URLSearchParams(window.location.search).get('order');
  if (fromUrl) lookup(fromUrl, { remember: false });
  loadRecent();
})();
