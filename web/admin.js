// Sluice operator page: pipeline status, reload, dead letters (list, detail, replay, discard).
// Plain browser JavaScript, no build step. It talks to the admin API on the same origin with
// the operator's token (Authorization: Bearer); the token lives in sessionStorage only, never
// in the address. Every value from the server goes into the page through textContent.
'use strict';

(() => {
  const TOKEN_KEY = 'sluice.admin.token';
  const REQUEST_TIMEOUT_MS = 10000;
  // A reload waits for the batches in flight and new sinks (the server gives it 60 s); a replay
  // sends letters through the whole pipeline.
  const LONG_TIMEOUT_MS = 70000;
  // Letters a page: 50, or ?limit=N (1..1000) in the address.
  const PAGE_SIZE = (() => {
    const n = Number(new URLSearchParams(window.location.search).get('limit'));
    return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : 50;
  })();

  const $ = (id) => document.getElementById(id);
  const els = {
    signin: $('signin'), auth: $('auth'), tokenForm: $('token-form'), token: $('token'), tokenSubmit: $('token-submit'),
    dashboard: $('dashboard'), session: $('session'), refresh: $('refresh'), forget: $('forget-token'),
    banner: $('banner'),
    pipelineName: $('pipeline-name'), readiness: $('readiness'), pipelineFile: $('pipeline-file'),
    pipelineFields: $('pipeline-fields'), reload: $('reload'), reloadState: $('reload-state'),
    reasons: $('reasons'), reasonsTotal: $('reasons-total'), reasonsNote: $('reasons-note'),
    filter: $('filter'), filterReason: $('filter-reason'), filterReasonLabel: $('filter-reason-label'),
    filterKey: $('filter-key'), filterKeyLabel: $('filter-key-label'), filterClear: $('filter-clear'),
    keySearch: $('key-search'), keyInput: $('key-input'),
    listState: $('list-state'), table: $('letters'), tbody: document.querySelector('#letters tbody'),
    pagePrev: $('page-prev'), pageNext: $('page-next'), pageLabel: $('page-label'),
    letter: $('letter'), letterTitle: $('letter-title'), letterId: $('letter-id'), letterFields: $('letter-fields'),
    actionState: $('action-state'), truncated: $('truncated'),
    replay: $('replay'), replayReason: $('replay-reason'), discard: $('discard'), letterClose: $('letter-close'),
    payload: $('payload'), payloadKind: $('payload-kind'), payloadFormat: $('payload-format'),
    keyBlock: $('key-block'), key: $('key'), keyKind: $('key-kind'),
    confirm: $('confirm'), confirmTitle: $('confirm-title'), confirmDetail: $('confirm-detail'),
    confirmOk: $('confirm-ok'), confirmCancel: $('confirm-cancel'),
  };

  const view = {
    reason: '',          // the reason filter ('' = every reason)
    key: '',             // the record key filter ('' = every key): an order id, as orders are keyed
    after: 0,            // the current page starts after this id
    previous: [],        // the `after` of each earlier page, for "Previous"
    nextAfter: null,     // from the last list answer
    letter: null,        // the letter shown in the detail view
    counts: new Map(),   // reason -> count, from the last reasons answer
  };

  // ---- token ----------------------------------------------------------------------------

  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
  }
  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch { /* storage disabled: the token lasts until the page is left */ }
    memoryToken = token;
  }
  let memoryToken = storedToken();

  // ---- fetching -------------------------------------------------------------------------

  // Resolves to {kind: 'ok' | 'http' | 'unreachable', status, body (parsed JSON or undefined),
  // text, retryAfter}; never rejects, so callers only map outcomes to states.
  async function api(method, path, { body, timeout = REQUEST_TIMEOUT_MS } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    const headers = { Accept: 'application/json', Authorization: `Bearer ${memoryToken}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const response = await fetch(path, {
        method, headers, signal: controller.signal, cache: 'no-store', credentials: 'omit',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed;
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
      return {
        kind: response.ok ? 'ok' : 'http', status: response.status, body: parsed, text,
        retryAfter: Number(response.headers.get('Retry-After')) || 0,
      };
    } catch (error) {
      return { kind: 'unreachable', status: 0, body: undefined, text: '', timedOut: error && error.name === 'AbortError', timeout };
    } finally {
      clearTimeout(timer);
    }
  }

  const errorOf = (result) => (result.body && typeof result.body.error === 'string' ? result.body.error : result.text.slice(0, 200));

  function unreachableDetail(result) {
    return result.timedOut ? `No answer within ${Math.round(result.timeout / 1000)} seconds.`
      : 'Check that sluice is running and that this is its admin listener, then try again.';
  }

  // 401, 403 and 429 end the session: back to the token form, saying why. True if it did.
  function endedByAuth(result) {
    if (result.status !== 401 && result.status !== 403 && result.status !== 429) return false;
    storeToken('');
    const detail = errorOf(result);
    if (result.status === 401) {
      showSignin('unauthorised', 'Unauthorised: the token was not accepted (HTTP 401).',
        `${detail}. Check the token and sign in again.`);
    } else if (result.status === 403) {
      showSignin('forbidden', 'Forbidden: this token may not use the admin API (HTTP 403).',
        `${detail}. A read token only reads orders; this page needs a token with the admin role.`);
    } else {
      const wait = result.retryAfter ? `Try again in ${result.retryAfter} s.` : 'Try again later.';
      showSignin('limited', 'Too many failed attempts (HTTP 429).', `${detail}. ${wait}`);
    }
    return true;
  }

  // ---- building the view ----------------------------------------------------------------

  // el(): web/dom.js.

  const missing = '—';
  const show = (value) => (value === undefined || value === null || value === '' ? missing : String(value));

  function formatTime(value) {
    const date = new Date(value);
    if (value === undefined || value === null || Number.isNaN(date.getTime())) return missing;
    return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  }

  function formatBytes(n) {
    if (typeof n !== 'number') return missing;
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }

  const position = (l) => `${show(l.stream)}/${show(l.partition)}@${show(l.offset)}`;

  // rows: [label, value (string or node), {mono, title, cls}]
  function fillFields(dl, rows) {
    dl.replaceChildren();
    for (const [label, value, opts = {}] of rows) {
      const dd = el('dd', { class: [opts.mono ? 'mono' : '', opts.cls || ''].join(' ').trim() });
      if (value instanceof Node) dd.append(value);
      else dd.textContent = show(value);
      if (opts.title) dd.title = opts.title;
      dl.append(el('dt', { text: label }), dd);
    }
  }

  // A state box: data-state for CSS and tests, a title, an optional detail, messages and action.
  function setState(box, state, title, { detail, messages, action } = {}) {
    box.dataset.state = state;
    const children = [el('p', { class: 'state-title', text: title })];
    if (detail) children.push(el('p', { class: 'state-detail muted', text: detail }));
    if (messages && messages.length) {
      children.push(el('ul', { class: 'messages' }, ...messages.map((m) => el('li', { class: 'mono', text: String(m) }))));
    }
    if (action) {
      const button = el('button', { type: 'button', class: 'link-button', text: action.label });
      button.addEventListener('click', action.run);
      children.push(button);
    }
    box.replaceChildren(...children);
    box.hidden = state === 'none';
  }

  // ---- sign in --------------------------------------------------------------------------

  function showSignin(state, title, detail) {
    els.dashboard.hidden = true;
    els.session.hidden = true;
    els.signin.hidden = false;
    setState(els.auth, state, title, { detail });
    els.tokenSubmit.disabled = false;
    document.title = 'Sluice · Operator';
  }

  function showDashboard() {
    els.signin.hidden = true;
    els.dashboard.hidden = false;
    els.session.hidden = false;
    els.token.value = '';
  }

  async function signIn(token) {
    storeToken(token);
    setState(els.auth, 'checking', 'Checking the token…');
    els.tokenSubmit.disabled = true;
    const result = await api('GET', 'admin/status');
    els.tokenSubmit.disabled = false;
    if (endedByAuth(result)) {
      els.token.select();
      return;
    }
    if (result.kind === 'unreachable') {
      setState(els.auth, 'unreachable', 'Cannot reach the server.', {
        detail: unreachableDetail(result), action: { label: 'Try again', run: () => signIn(memoryToken) },
      });
      return;
    }
    if (result.kind !== 'ok' || !result.body) {
      setState(els.auth, 'error', `The admin API answered HTTP ${result.status}.`, {
        detail: errorOf(result), action: { label: 'Try again', run: () => signIn(memoryToken) },
      });
      return;
    }
    showDashboard();
    renderStatus(result.body);
    await Promise.all([loadReasons(), loadList()]);
  }

  function forgetToken() {
    storeToken('');
    closeLetter();
    showSignin('no-token', 'Signed out: the token is forgotten.', 'Enter a token to sign in again.');
    els.token.focus();
  }

  // ---- banner (trouble not tied to one action) -------------------------------------------

  function showTrouble(result, what) {
    if (endedByAuth(result)) return true;
    if (result.kind === 'unreachable') {
      setState(els.banner, 'unreachable', 'Cannot reach the server.', {
        detail: `${what}: ${unreachableDetail(result)}`, action: { label: 'Try again', run: () => refreshAll() },
      });
      // The banner sits at the top: bring it into view if the operator had scrolled down.
      els.banner.scrollIntoView({ block: 'nearest' });
      // What is on the page may be out of date now: the badge must not still say "ready".
      els.readiness.dataset.state = 'unknown';
      els.readiness.textContent = 'state unknown';
      return true;
    }
    return false;
  }

  function clearBanner() { setState(els.banner, 'none', ''); }

  // ---- pipeline status and reload --------------------------------------------------------

  async function loadStatus() {
    const result = await api('GET', 'admin/status');
    if (showTrouble(result, 'Pipeline status')) return false;
    if (result.kind === 'ok' && result.body) {
      renderStatus(result.body);
      return true;
    }
    setState(els.banner, 'error', `Pipeline status: HTTP ${result.status}.`, { detail: errorOf(result) });
    return false;
  }

  function renderStatus(s) {
    els.pipelineName.textContent = show(s.pipeline);
    document.title = `${show(s.pipeline)} · Sluice operator`;
    els.pipelineFile.textContent = s.file ? `from ${s.file}` : '';
    const notReady = Array.isArray(s.not_ready) ? s.not_ready : [];
    const [state, label] = s.stopping ? ['stopping', 'stopping']
      : s.ready ? ['ready', 'ready'] : ['not-ready', `not ready: ${notReady.join(', ') || '?'}`];
    els.readiness.dataset.state = state;
    els.readiness.textContent = label;

    const hash = String(s.config_hash || '');
    const stages = Array.isArray(s.stages) ? s.stages : [];
    const positions = Array.isArray(s.positions) ? s.positions : [];
    const records = s.records || {};
    const reload = s.last_reload;
    const stageList = el('ul', { class: 'stages' }, ...stages.map((st) => el('li', {},
      el('span', { class: 'muted small', text: `${show(st.role)} ` }),
      el('span', { class: 'mono', text: show(st.id) }),
      st.plugin && st.plugin !== st.id ? el('span', { class: 'muted small', text: ` (${st.plugin})` }) : null,
      st.generation > 1 ? el('span', { class: 'muted small', text: ` gen ${st.generation}` }) : null)));
    const positionText = positions.length
      ? positions.map((p) => `${p.stream}/${p.partition}: ${p.committed}${p.lag === null || p.lag === undefined ? '' : ` (lag ${p.lag})`}`).join(', ')
      : 'none committed yet';
    let reloadNode = el('span', { text: 'none since start' });
    if (reload) {
      reloadNode = el('span', {},
        el('span', { class: `result result-${String(reload.result)}`, text: `#${reload.number} ${show(reload.result)}` }),
        el('span', { class: 'muted', text: ` · ${formatTime(reload.at_ms)}` }));
      if (Array.isArray(reload.messages) && reload.messages.length) {
        reloadNode.append(el('ul', { class: 'messages' }, ...reload.messages.map((m) => el('li', { class: 'mono', text: String(m) }))));
      }
    }
    fillFields(els.pipelineFields, [
      ['Config hash', hash ? hash.slice(0, 16) : missing, { mono: true, title: hash }],
      ['Records', `${show(records.consumed)} consumed · ${show(records.stored)} stored`],
      ['Committed', positionText, { mono: positions.length > 0 }],
      ['Stages', stageList],
      ['Last reload', reloadNode],
    ]);
    if (s.dead_letters === false) {
      els.reasonsNote.hidden = false;
      els.reasonsNote.textContent = 'This pipeline has no dead-letter store that can list its letters.';
    }
  }

  const reloadTitles = {
    applied: (n) => `Reload #${n} applied.`,
    rejected: (n) => `Reload #${n} rejected: the running pipeline is unchanged.`,
    rolled_back: (n) => `Reload #${n} failed and was rolled back: the previous pipeline runs.`,
    timeout: (n) => `Reload #${n} was not applied within the wait; it may still be.`,
    unavailable: () => 'This process cannot reload.',
  };

  async function reloadPipeline() {
    els.reload.disabled = true;
    setState(els.reloadState, 'loading', 'Reloading the pipeline file…');
    const result = await api('POST', 'admin/reload', { timeout: LONG_TIMEOUT_MS });
    els.reload.disabled = false;
    if (endedByAuth(result)) return;
    const body = result.body || {};
    if (result.kind === 'unreachable') {
      setState(els.reloadState, 'unreachable', 'Cannot reach the server.', { detail: unreachableDetail(result) });
      return;
    }
    const title = reloadTitles[body.result];
    if (title) {
      const state = body.result === 'applied' ? 'applied' : body.result === 'timeout' ? 'pending' : 'failed';
      setState(els.reloadState, state, title(body.number), {
        detail: Array.isArray(body.messages) && body.messages.length ? '' : 'No messages.',
        messages: body.messages,
      });
    } else {
      setState(els.reloadState, 'error', `Reload: HTTP ${result.status}.`, { detail: errorOf(result) });
    }
    // An earlier "refused again" was said of the old pipeline: drop it, so it is not read as
    // the new pipeline's verdict.
    if (body.result === 'applied' && els.actionState.dataset.state === 'refused') setState(els.actionState, 'none', '');
    // A reload may change the stages and the dead-letter sink: show what runs now.
    await refreshAll({ keepReloadState: true });
  }

  // ---- reasons ---------------------------------------------------------------------------

  async function loadReasons() {
    const result = await api('GET', 'admin/dead-letters/reasons');
    if (showTrouble(result, 'Reasons')) return;
    if (result.kind !== 'ok' || !result.body || !Array.isArray(result.body.reasons)) {
      els.reasons.replaceChildren();
      els.reasonsTotal.textContent = '';
      els.reasonsNote.hidden = false;
      els.reasonsNote.textContent = result.status === 503
        ? `The dead-letter store is unavailable (HTTP 503): ${errorOf(result)}`
        : `${errorOf(result)} (HTTP ${result.status})`;
      return;
    }
    els.reasonsNote.hidden = true;
    const { reasons, total } = result.body;
    view.counts = new Map(reasons.map((r) => [r.reason, r.count]));
    els.reasonsTotal.textContent = String(total);
    const item = (reason, label, count) => {
      const button = el('button', { type: 'button', class: 'reason', 'aria-pressed': String(view.reason === reason) },
        el('span', { class: reason ? 'mono' : '', text: label }),
        el('span', { class: 'count', text: String(count) }));
      button.dataset.reason = reason;
      button.addEventListener('click', () => setFilter(view.reason === reason ? '' : reason));
      return el('li', {}, button);
    };
    els.reasons.replaceChildren(item('', 'All reasons', total), ...reasons.map((r) => item(r.reason, show(r.reason), r.count)));
    if (reasons.length === 0) {
      els.reasonsNote.hidden = false;
      els.reasonsNote.textContent = 'No dead letters.';
    }
  }

  function setFilter(reason, key = view.key) {
    view.reason = reason;
    view.key = key;
    view.after = 0;
    view.previous = [];
    for (const button of els.reasons.querySelectorAll('button.reason')) {
      button.setAttribute('aria-pressed', String(button.dataset.reason === reason));
    }
    els.filter.hidden = !reason && !key;
    els.filterReason.textContent = reason;
    els.filterReason.hidden = els.filterReasonLabel.hidden = !reason;
    els.filterKey.textContent = key;
    els.filterKey.hidden = els.filterKeyLabel.hidden = !key;
    loadList();
  }

  // The API compares keys byte for byte and takes 1 to 256 bytes (UTF-8 here).
  const MAX_KEY_BYTES = 256;

  function searchKey() {
    const key = els.keyInput.value.trim();  // a pasted id often brings a blank along
    if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
      els.table.hidden = true;
      setState(els.listState, 'error', `A key is at most ${MAX_KEY_BYTES} bytes.`,
        { detail: 'Order ids are 1–64 characters; check what was pasted.' });
      return;
    }
    // A new search starts from every reason, so "no dead letters for key X" means none at all.
    setFilter('', key);
  }

  // ---- the list --------------------------------------------------------------------------

  let listTicket = 0;  // only the newest list request may change the table

  async function loadList() {
    const ticket = ++listTicket;
    // One letter more than a page shows, so "Next" is offered only when there is a next page
    // (the API's next_after is set whenever a page is full, even if nothing follows).
    const peek = PAGE_SIZE < 1000;
    const params = new URLSearchParams({ limit: String(peek ? PAGE_SIZE + 1 : PAGE_SIZE) });
    if (view.reason) params.set('reason', view.reason);
    if (view.key) params.set('key', view.key);
    if (view.after) params.set('after', String(view.after));
    setState(els.listState, 'loading', 'Loading…');
    els.pagePrev.disabled = true;
    els.pageNext.disabled = true;
    const result = await api('GET', `admin/dead-letters?${params}`);
    if (ticket !== listTicket) return;
    if (showTrouble(result, 'Dead letters')) {
      els.table.hidden = true;
      setState(els.listState, 'unreachable', 'The list could not be loaded.');
      return;
    }
    const letters = result.kind === 'ok' && result.body && Array.isArray(result.body.letters) ? result.body.letters : null;
    if (!letters) {
      els.table.hidden = true;
      if (result.status === 503) {
        setState(els.listState, 'unavailable', 'The dead-letter store is unavailable (HTTP 503).',
          { detail: errorOf(result), action: { label: 'Try again', run: loadList } });
      } else {
        setState(els.listState, 'error', `Dead letters: HTTP ${result.status}.`,
          { detail: errorOf(result), action: { label: 'Try again', run: loadList } });
      }
      return;
    }
    clearBanner();
    if (peek) {
      view.nextAfter = letters.length > PAGE_SIZE ? letters[PAGE_SIZE - 1].id : null;
      renderList(letters.slice(0, PAGE_SIZE));
    } else {
      view.nextAfter = result.body.next_after ?? null;
      renderList(letters);
    }
  }

  function renderList(letters) {
    const rows = letters.map((l) => {
      const open = el('button', { type: 'button', class: 'link-button mono open', text: `#${l.id}`,
        'aria-label': `Open dead letter ${l.id}` });
      open.addEventListener('click', (event) => { event.stopPropagation(); openLetter(l.id); });
      const cell = (label, text, cls) => el('td', { 'data-label': label, class: cls || '', text: show(text) });
      const lastSeen = cell('Last seen', formatTime(l.last_seen));
      lastSeen.title = show(l.last_seen);
      const row = el('tr', {},
        el('td', { 'data-label': 'Id', class: 'num' }, open),
        lastSeen,
        cell('Reason', l.reason, 'mono strong'),
        cell('Pointer', l.pointer, 'mono'),
        cell('Stage', l.stage, 'mono'),
        cell('Source position', position(l), 'mono'),
        cell('Attempts', l.attempts, 'num'),
        cell('Size', formatBytes(l.raw_bytes), 'num'));
      row.dataset.id = String(l.id);
      row.title = show(l.detail);
      row.addEventListener('click', () => openLetter(l.id));
      return row;
    });
    els.tbody.replaceChildren(...rows);
    markSelectedRow();
    els.table.hidden = letters.length === 0;
    const page = view.previous.length + 1;
    if (letters.length === 0) {
      const withReason = view.reason ? ` with reason ${view.reason}` : '';
      const title = view.after ? 'No more dead letters.'
        : view.key ? `No dead letters for key ${view.key}${withReason}.`
          : view.reason ? `No dead letters with reason ${view.reason}.` : 'No dead letters.';
      const detail = view.key && !view.after && !view.reason
        ? 'No record with this key was refused (or its letters were replayed or discarded). Keys match exactly, case included.'
        : undefined;
      setState(els.listState, 'empty', title, { detail });
    } else {
      setState(els.listState, 'none', '');
    }
    els.pageLabel.textContent = letters.length
      ? `Page ${page} · ids ${letters[0].id}–${letters[letters.length - 1].id}` : (page > 1 ? `Page ${page}` : '');
    els.pagePrev.disabled = view.previous.length === 0;
    els.pageNext.disabled = view.nextAfter === null;
  }

  function markSelectedRow() {
    const id = view.letter ? String(view.letter.id) : '';
    for (const row of els.tbody.rows) {
      const selected = row.dataset.id === id;
      row.classList.toggle('selected', selected);
      row.querySelector('button.open').setAttribute('aria-current', String(selected));
    }
  }

  function nextPage() {
    if (view.nextAfter === null) return;
    view.previous.push(view.after);
    view.after = view.nextAfter;
    loadList();
  }

  function previousPage() {
    if (!view.previous.length) return;
    view.after = view.previous.pop();
    loadList();
  }

  // ---- one letter ------------------------------------------------------------------------

  let letterTicket = 0;

  async function openLetter(id, { keepActionState = false, focus = true } = {}) {
    const ticket = ++letterTicket;
    els.letter.hidden = false;
    if (!keepActionState) setState(els.actionState, 'loading', `Loading letter ${id}…`);
    const result = await api('GET', `admin/dead-letters/${encodeURIComponent(id)}`);
    if (ticket !== letterTicket) return;
    if (endedByAuth(result)) return;
    if (result.kind === 'ok' && result.body) {
      if (!keepActionState) setState(els.actionState, 'none', '');
      renderLetter(result.body);
      if (focus) els.letterTitle.focus();
      return;
    }
    if (result.kind === 'unreachable') {
      setState(els.actionState, 'unreachable', 'Cannot reach the server.', { detail: unreachableDetail(result) });
    } else if (result.status === 404) {
      retire(id, 'gone', `Letter ${id} is gone.`, 'It was replayed or discarded (maybe by someone else).');
    } else if (result.status === 503) {
      setState(els.actionState, 'unavailable', 'The dead-letter store is unavailable (HTTP 503).', {
        detail: errorOf(result), action: { label: 'Try again', run: () => openLetter(id) },
      });
    } else {
      setState(els.actionState, 'error', `Letter ${id}: HTTP ${result.status}.`, { detail: errorOf(result) });
    }
  }

  function renderLetter(l) {
    view.letter = l;
    els.letter.dataset.state = 'shown';
    els.letterId.textContent = `#${l.id}`;
    setActionsEnabled(true);
    els.replay.disabled = Boolean(l.truncated);
    els.replay.title = l.truncated ? 'Only part of the payload was kept: it cannot be replayed' : '';
    els.replayReason.textContent = `Replay all with reason ${show(l.reason)}`;
    els.replayReason.dataset.reason = l.reason || '';
    els.truncated.hidden = !l.truncated;
    els.truncated.textContent = l.truncated
      ? `Truncated: only ${formatBytes(l.kept_bytes)} of ${formatBytes(l.raw_bytes)} were kept, so this letter cannot be replayed.`
      : '';
    fillFields(els.letterFields, [
      ['Reason', l.reason, { mono: true, cls: 'strong reason-value' }],
      ['Pointer', l.pointer, { mono: true }],
      ['Detail', l.detail],
      ['Stage', l.stage, { mono: true }],
      ['Source position', position(l), { mono: true }],
      ['Attempts', l.attempts, { cls: 'attempts' }],
      ['First seen', formatTime(l.first_seen), { title: show(l.first_seen) }],
      ['Last seen', formatTime(l.last_seen), { title: show(l.last_seen) }],
      ['Size', l.truncated ? `${formatBytes(l.raw_bytes)} (${formatBytes(l.kept_bytes)} kept)` : formatBytes(l.raw_bytes)],
      ['SHA-256', l.raw_sha256, { mono: true, cls: 'hash' }],
    ]);
    renderPayload(l);
    const hasKey = (typeof l.key_text === 'string' && l.key_text !== '') || (typeof l.key_hex === 'string' && l.key_hex !== '');
    els.keyBlock.hidden = !hasKey;
    if (hasKey) {
      els.key.textContent = typeof l.key_text === 'string' ? l.key_text : hexDump(l.key_hex);
      els.keyKind.textContent = typeof l.key_text === 'string' ? '(text)' : '(not UTF-8: hex)';
    }
    markSelectedRow();
  }

  // JSON payloads are shown formatted by default; one click shows the bytes as stored.
  let payloadFormatted = true;

  function renderPayload(l) {
    els.payload.classList.toggle('truncated-payload', Boolean(l.truncated));
    if (typeof l.raw_text === 'string') {
      let formatted = null;
      try { formatted = JSON.stringify(JSON.parse(l.raw_text), null, 2); } catch { formatted = null; }
      els.payloadFormat.hidden = formatted === null;
      const asFormatted = formatted !== null && payloadFormatted;
      els.payload.textContent = asFormatted ? formatted : l.raw_text;
      els.payload.classList.toggle('wrap', !asFormatted);
      els.payloadFormat.setAttribute('aria-pressed', String(asFormatted));
      els.payloadFormat.textContent = asFormatted ? 'Show as stored' : 'Show formatted';
      els.payloadKind.textContent = [
        '(UTF-8 text', formatted === null ? '' : asFormatted ? ', JSON formatted for reading' : ', as stored',
        l.truncated ? ', truncated' : '', ')'].join('');
    } else if (typeof l.raw_hex === 'string') {
      els.payloadFormat.hidden = true;
      els.payload.classList.remove('wrap');
      els.payload.textContent = hexDump(l.raw_hex);
      els.payloadKind.textContent = `(not UTF-8: hex${l.truncated ? ', truncated' : ''})`;
    } else {
      els.payloadFormat.hidden = true;
      els.payload.textContent = '';
      els.payloadKind.textContent = '(empty)';
    }
    els.payload.setAttribute('data-truncated', String(Boolean(l.truncated)));
  }

  // "00000000  7b 22 6f 72 ...  |{"or...|", 16 bytes a line.
  function hexDump(hex) {
    const bytes = hex.match(/../g) || [];
    const lines = [];
    for (let i = 0; i < bytes.length; i += 16) {
      const chunk = bytes.slice(i, i + 16);
      const ascii = chunk.map((b) => { const c = parseInt(b, 16); return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.'; }).join('');
      lines.push(`${i.toString(16).padStart(8, '0')}  ${chunk.join(' ').padEnd(47)}  |${ascii}|`);
    }
    return lines.join('\n');
  }

  function setActionsEnabled(on) {
    for (const button of [els.replay, els.replayReason, els.discard]) button.disabled = !on;
  }

  // The letter shown is no longer a dead letter (stored, discarded, gone): say so and keep
  // its fields in view, greyed, with no actions left.
  function retire(id, state, title, detail) {
    setState(els.actionState, state, title, { detail });
    if (view.letter && String(view.letter.id) === String(id)) {
      els.letter.dataset.state = 'retired';
      setActionsEnabled(false);
    }
  }

  function closeLetter() {
    ++letterTicket;
    view.letter = null;
    els.letter.hidden = true;
    els.letter.dataset.state = 'closed';
    setState(els.actionState, 'none', '');
    markSelectedRow();
  }

  // ---- actions ---------------------------------------------------------------------------

  function confirmAction({ title, detail, ok }) {
    return new Promise((resolve) => {
      els.confirmTitle.textContent = title;
      els.confirmDetail.textContent = detail;
      els.confirmOk.textContent = ok;
      els.confirm.returnValue = '';
      els.confirm.addEventListener('close', () => resolve(els.confirm.returnValue === 'ok'), { once: true });
      els.confirm.showModal();
      els.confirmCancel.focus();
    });
  }

  const count = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;

  // A replay's report as a state; `single` is the id when one letter was replayed.
  async function showReplayReport(result, single) {
    const r = result.body || {};
    if (result.kind === 'unreachable') {
      setState(els.actionState, 'unreachable', 'Cannot reach the server.', {
        detail: `${unreachableDetail(result)} The replay may have happened: refresh to see.`,
      });
      return;
    }
    if (typeof r.matched !== 'number') {
      // No report: the store or the pipeline could not start the replay.
      const state = result.status === 503 ? 'unavailable' : 'error';
      const title = result.status === 503 ? 'The dead-letter store is unavailable (HTTP 503).'
        : `Replay: HTTP ${result.status}.`;
      setState(els.actionState, state, title, { detail: errorOf(result) });
      return;
    }
    const stoppedEarly = r.complete === false ? ` Stopped early: ${show(r.error)}; replay again for the rest.` : '';
    if (single !== undefined) {
      if (r.replayed >= 1) {
        retire(single, 'stored', 'Stored, retired.', `Letter ${single} went through the pipeline and every sink stored it; it is no longer a dead letter.`);
      } else if (r.failed >= 1) {
        // Fetch it again: the new reason and attempt count are in the store.
        await openLetter(single, { keepActionState: true, focus: false });
        const l = view.letter || {};
        setState(els.actionState, 'refused', `Refused again: ${show(l.reason)}`, {
          detail: `${l.stage ? `${l.stage}: ` : ''}${show(l.detail)} (attempt ${show(l.attempts)}). Still a dead letter.`,
        });
      } else if (r.skipped >= 1) {
        setState(els.actionState, 'skipped', 'Not replayed: only part of the payload was kept.');
      } else if (r.matched === 0 && r.complete !== false) {
        retire(single, 'gone', `Letter ${single} is gone.`, 'It was replayed or discarded (maybe by someone else).');
      } else {
        setState(els.actionState, 'unavailable', 'The replay stopped before this letter.', { detail: stoppedEarly.trim() });
      }
      if (r.complete === false && r.matched) {
        els.actionState.append(el('p', { class: 'state-detail muted', text: stoppedEarly.trim() }));
      }
      return;
    }
    const parts = [`${r.replayed} stored and retired`, `${r.failed} refused again`];
    if (r.skipped) parts.push(`${r.skipped} skipped (truncated)`);
    const state = r.complete === false ? 'unavailable' : r.matched === 0 ? 'empty'
      : r.failed === 0 && r.skipped === 0 ? 'stored' : r.replayed === 0 ? 'refused' : 'partial';
    setState(els.actionState, state, `Replayed ${count(r.matched, 'letter')}: ${parts.join(', ')}.`, {
      detail: stoppedEarly.trim(),
    });
  }

  async function replayOne() {
    const l = view.letter;
    if (!l) return;
    setActionsEnabled(false);
    setState(els.actionState, 'loading', `Replaying letter ${l.id}…`);
    const result = await api('POST', 'admin/dead-letters/replay', { body: { ids: [l.id] }, timeout: LONG_TIMEOUT_MS });
    if (endedByAuth(result)) return;
    if (els.letter.dataset.state !== 'retired') setActionsEnabled(true);
    await showReplayReport(result, l.id);
    if (view.letter && view.letter.truncated) els.replay.disabled = true;
    await refreshLists({ withStatus: true });
  }

  async function replayReason() {
    const l = view.letter;
    if (!l || !l.reason) return;
    const n = view.counts.get(l.reason);
    const ok = await confirmAction({
      title: `Replay every letter with reason ${l.reason}?`,
      detail: `${n === undefined ? 'All' : count(n, 'letter')} go through the current transforms and sinks. Stored ones are retired; refused ones stay, with one more attempt.`,
      ok: 'Replay all',
    });
    if (!ok) return;
    setActionsEnabled(false);
    setState(els.actionState, 'loading', `Replaying every letter with reason ${l.reason}…`);
    const result = await api('POST', 'admin/dead-letters/replay', { body: { reason: l.reason }, timeout: LONG_TIMEOUT_MS });
    if (endedByAuth(result)) return;
    setActionsEnabled(true);
    await showReplayReport(result);
    const r = result.body || {};
    if (Array.isArray(r.replayed_ids) && r.replayed_ids.includes(l.id)) {
      els.letter.dataset.state = 'retired';
      setActionsEnabled(false);
    } else if (Array.isArray(r.failed_ids) && r.failed_ids.includes(l.id)) {
      await openLetter(l.id, { keepActionState: true, focus: false });
    }
    await refreshLists({ withStatus: true });
  }

  async function discardOne() {
    const l = view.letter;
    if (!l) return;
    const ok = await confirmAction({
      title: `Discard dead letter ${l.id}?`,
      detail: `Its payload (${formatBytes(l.raw_bytes)}, reason ${show(l.reason)}) is deleted from the dead-letter store. This cannot be undone.`,
      ok: 'Discard',
    });
    if (!ok) {
      els.discard.focus();
      return;
    }
    setActionsEnabled(false);
    setState(els.actionState, 'loading', `Discarding letter ${l.id}…`);
    const result = await api('DELETE', `admin/dead-letters/${encodeURIComponent(l.id)}`);
    if (endedByAuth(result)) return;
    if (result.kind === 'ok') {
      retire(l.id, 'discarded', `Discarded letter ${l.id}.`, 'It is no longer in the dead-letter store.');
    } else {
      setActionsEnabled(true);
      if (result.kind === 'unreachable') {
        setState(els.actionState, 'unreachable', 'Cannot reach the server.', { detail: unreachableDetail(result) });
      } else if (result.status === 404) {
        retire(l.id, 'gone', `Letter ${l.id} is gone.`, 'It was replayed or discarded (maybe by someone else).');
      } else if (result.status === 503) {
        setState(els.actionState, 'unavailable', 'The dead-letter store is unavailable (HTTP 503).', { detail: errorOf(result) });
      } else {
        setState(els.actionState, 'error', `Discard: HTTP ${result.status}.`, { detail: errorOf(result) });
      }
    }
    await refreshLists();
  }

  // ---- refreshing ------------------------------------------------------------------------

  // After a replay or discard: the counts, the list and the pipeline's record counters.
  async function refreshLists({ withStatus = false } = {}) {
    await Promise.all([loadReasons(), loadList(), withStatus ? loadStatus() : null]);
    // The page emptied (its letters replayed or discarded): step back to one that has some.
    if (els.tbody.rows.length === 0 && view.previous.length) previousPage();
  }

  async function refreshAll({ keepReloadState = false } = {}) {
    if (!keepReloadState) setState(els.reloadState, 'none', '');
    const ok = await loadStatus();
    if (els.dashboard.hidden) return;  // the token stopped working: the sign-in form says why
    if (!ok) return;  // the banner says why; the lists would only fail the same way
    clearBanner();
    await refreshLists();
  }

  // ---- wiring ----------------------------------------------------------------------------

  els.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = els.token.value.trim();
    if (!token) {
      setState(els.auth, 'no-token', 'Enter a token first.', { detail: 'The admin API answers 401 without one.' });
      els.token.focus();
      return;
    }
    signIn(token);
  });
  els.forget.addEventListener('click', forgetToken);
  els.refresh.addEventListener('click', () => refreshAll());
  els.reload.addEventListener('click', reloadPipeline);
  els.filterClear.addEventListener('click', () => {
    els.keyInput.value = '';
    setFilter('', '');
  });
  els.keySearch.addEventListener('submit', (event) => {
    event.preventDefault();
    searchKey();
  });
  els.pageNext.addEventListener('click', nextPage);
  els.pagePrev.addEventListener('click', previousPage);
  els.replay.addEventListener('click', replayOne);
  els.replayReason.addEventListener('click', replayReason);
  els.discard.addEventListener('click', discardOne);
  els.letterClose.addEventListener('click', closeLetter);
  els.payloadFormat.addEventListener('click', () => {
    payloadFormatted = !payloadFormatted;
    if (view.letter) renderPayload(view.letter);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !els.letter.hidden && !els.confirm.open) closeLetter();
  });

  if (memoryToken) signIn(memoryToken);
  else els.token.focus();
})();
