// airlock run viewer. Everything in a WAL is attacker-controlled (commands, paths, output
// sizes, reasons), so this file never builds markup from data: elements come from
// createElement, text from text nodes, and control characters are shown as escapes.
'use strict';
(() => {
  const reportData = document.getElementById('airlock-report');
  const REPORT = reportData ? JSON.parse(reportData.textContent) : null;
  const app = document.getElementById('app');
  const CLIP = 2000; // characters of one value shown before "show all"

  // ---- Text that cannot do anything ------------------------------------------------------
  // C0/C1 controls (ANSI escapes start with ESC), DEL, and bidirectional overrides.
  const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

  function escapeControl(ch) {
    const code = ch.charCodeAt(0);
    return code < 0x100 ? '\\x' + code.toString(16).padStart(2, '0')
                        : '\\u' + code.toString(16).padStart(4, '0');
  }

  // A fragment of text nodes, with each control character as a visible escape.
  function inert(value) {
    const s = String(value);
    const frag = document.createDocumentFragment();
    let last = 0;
    CONTROL.lastIndex = 0;
    for (let m; (m = CONTROL.exec(s));) {
      if (m.index > last) frag.appendChild(document.createTextNode(s.slice(last, m.index)));
      const span = document.createElement('span');
      span.className = 'ctl';
      span.textContent = escapeControl(m[0]);
      frag.appendChild(span);
      last = m.index + 1;
    }
    if (last < s.length) frag.appendChild(document.createTextNode(s.slice(last)));
    return frag;
  }

  // A long value is cut at CLIP characters, with a button to show the rest.
  function clipped(value) {
    const s = String(value);
    const span = document.createElement('span');
    if (s.length <= CLIP) {
      span.appendChild(inert(s));
      return span;
    }
    span.appendChild(inert(s.slice(0, CLIP)));
    const more = h('button', { class: 'small clip-more', type: 'button' },
      '… show all ' + s.length.toLocaleString() + ' characters');
    more.addEventListener('click', (e) => {
      e.stopPropagation();
      span.textContent = '';
      span.appendChild(inert(s));
    });
    span.appendChild(more);
    return span;
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    add(el, children);
    return el;
  }

  function add(el, children) {
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      if (Array.isArray(c)) add(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(inert(c));
    }
  }

  // ---- Formatting ------------------------------------------------------------------------
  const str = (v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const has = (o, k) => o && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);

  function when(ts) {
    if (!ts) return '–';
    return String(ts).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  function duration(ms) {
    if (typeof ms !== 'number' || !isFinite(ms)) return '–';
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    const m = Math.floor(ms / 60000);
    return m + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function bytes(n) {
    if (typeof n !== 'number') return str(n);
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1048576).toFixed(1) + ' MiB';
  }
  function micros(ts) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(String(ts));
    if (!m) return null;
    return Date.parse(m[1] + 'Z') * 1000 + Number(m[2]);
  }
  function quote(arg) {
    const s = str(arg);
    if (s !== '' && /^[A-Za-z0-9_\-+=/.,:@%]+$/.test(s)) return s;
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }
  function commandOf(d) {
    if (has(d, 'shell')) return str(d.shell);
    if (Array.isArray(d.argv)) return d.argv.map(quote).join(' ');
    return str(d.path);
  }

  const TONES = {
    ok: 'good', intact: 'good', allow: 'good', allowed: 'good', low: 'plain', none: 'plain',
    medium: 'info', ask: 'warn', asked: 'warn', high: 'warn', running: 'info', incomplete: 'info',
    truncated: 'warn', rolled_back: 'warn', timeout: 'bad', critical: 'bad', deny: 'bad',
    denied: 'bad', failed: 'bad', aborted: 'bad', tampered: 'bad', unreadable: 'bad',
    approval_denied: 'bad', sandbox_denied: 'bad', invalid: 'bad', error: 'bad', cancelled: 'warn', unfinished: 'warn', unknown: 'warn',
  };
  const tone = (word) => TONES[word] ||
    (/^(approv|allow)/.test(str(word)) ? 'good' : /^(deny|denied|reject)/.test(str(word)) ? 'bad' : 'plain');
  const badge = (word, label, title) =>
    h('span', { class: 'badge tone-' + tone(word), title }, label === undefined ? str(word).replace('_', ' ') : label);

  // ---- Data sources: the server's API, or the report's embedded document ------------------
  async function getJSON(url) {
    const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!res.ok) {
      let message = res.status + ' ' + res.statusText;
      try { message = (await res.json()).error || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return res.json();
  }
  const q = (params) => Object.entries(params).map(([k, v]) => k + '=' + encodeURIComponent(v)).join('&');

  // ---- Layout ----------------------------------------------------------------------------
  function frame(crumbs, keys) {
    app.textContent = '';
    const bar = h('header', { class: 'bar' },
      h('span', { class: 'brand' }, 'airlock', h('span', { class: 'dot' }, ' ▸'), ' runs'),
      h('nav', { class: 'crumbs', 'aria-label': 'location' }, crumbs),
      h('span', { class: 'keys' }, keys));
    const content = h('div', { class: 'content' });
    app.append(bar, content);
    return content;
  }
  const key = (k, what) => [h('kbd', null, k), ' ', what, '  '];

  // ---- Runs list -------------------------------------------------------------------------
  const listState = { filters: new Set(), search: '', selected: 0, data: null, text: '' };
  let stopCurrent = () => {};

  function runHref(run) {
    // Always a fragment of this page: data never becomes a URL scheme.
    return '#/run/' + Number(run.workspace) + '/' + encodeURIComponent(run.run_id);
  }

  function runMatches(run) {
    const f = listState.filters;
    if (f.size) {
      const hit = (f.has('denied') && run.denied) || (f.has('asked') && run.asked) ||
        (f.has('failed') && (run.failed || run.outcome === 'failed')) ||
        (f.has('tampered') && run.chain === 'tampered');
      if (!hit) return false;
    }
    const s = listState.search.trim().toLowerCase();
    if (!s) return true;
    return (str(run.commands) + '\n' + str(run.run_id)).toLowerCase().includes(s);
  }

  function showList() {
    const content = frame(['all runs'],
      [key('/', 'search'), key('j k', 'move'), key('Enter', 'open')]);
    const search = h('input', { type: 'search', id: 'search', placeholder: 'Search commands and run ids…',
      'aria-label': 'search commands', autocomplete: 'off' });
    search.value = listState.search;
    const toggles = ['denied', 'asked', 'failed', 'tampered'].map((name) => {
      const b = h('button', { class: 'toggle', type: 'button', 'data-filter': name,
        'aria-pressed': listState.filters.has(name) ? 'true' : 'false' }, name);
      b.addEventListener('click', () => {
        if (listState.filters.has(name)) listState.filters.delete(name); else listState.filters.add(name);
        b.setAttribute('aria-pressed', listState.filters.has(name) ? 'true' : 'false');
        listState.selected = 0;
        renderRows();
      });
      return b;
    });
    const count = h('span', { class: 'count', id: 'count' });
    search.addEventListener('input', () => { listState.search = search.value; listState.selected = 0; renderRows(); });
    content.append(h('div', { class: 'toolbar' }, search, h('span', { class: 'muted' }, 'only:'), toggles, count));
    const table = h('table', { class: 'runs', id: 'runs' },
      h('thead', null, h('tr', null, ['started (UTC)', 'run', 'duration', 'calls', 'outcome', 'chain', 'first command']
        .map((t) => h('th', null, t)))));
    const body = h('tbody');
    table.append(body);
    const holder = h('div');
    let rowsGeneration = 0;
    content.append(holder);

    function renderRows() {
      if (!listState.data) return;
      const runs = listState.data.runs.filter(runMatches);
      const multi = listState.data.workspaces.length > 1;
      const total = typeof listState.data.total === 'number' ? listState.data.total : listState.data.runs.length;
      count.textContent = listState.data.runs.length < total
        ? 'the newest ' + listState.data.runs.length + ' of ' + total + ' runs…'
        : runs.length + ' of ' + total + ' runs';
      body.textContent = '';
      if (listState.selected >= runs.length) listState.selected = Math.max(0, runs.length - 1);
      const rowOf = (run, i) => {
        const first = str(run.commands).split('\n')[0];
        const link = h('a', { href: runHref(run), class: 'mono' }, run.run_id);
        const tr = h('tr', { class: 'run', 'aria-selected': i === listState.selected ? 'true' : 'false' },
          h('td', { class: 'mono nowrap' }, when(run.started)),
          h('td', { class: 'nowrap' }, link, multi ? h('div', { class: 'muted' }, listState.data.workspaces[run.workspace]) : null),
          h('td', { class: 'num' }, duration(run.duration_ms)),
          h('td', { class: 'num' }, String(run.calls)),
          h('td', null, badge(run.outcome), run.asked ? badge('asked') : null),
          h('td', null, badge(run.chain, undefined, run.chain_message),
            run.bad_line ? h('span', { class: 'muted' }, ' line ' + run.bad_line) : null),
          h('td', { class: 'cmd mono', title: first }, first.length > 300 ? first.slice(0, 300) + '…' : first));
        tr.addEventListener('click', (e) => { if (e.target !== link) location.hash = runHref(run); });
        return tr;
      };
      // The first screen at once, the rest in slices: a thousand runs never freeze the page.
      const generation = ++rowsGeneration;
      const slice = (from, n) => {
        if (generation !== rowsGeneration) return;
        const frag = document.createDocumentFragment();
        for (let i = from; i < Math.min(runs.length, from + n); i++) frag.append(rowOf(runs[i], i));
        body.append(frag);
        if (from + n < runs.length) setTimeout(() => slice(from + n, 100), 0);
      };
      slice(0, 60);
      holder.textContent = '';
      holder.append(runs.length ? table : h('div', { class: 'empty' },
        listState.data.runs.length ? 'No run matches.' : 'No runs yet in ' + listState.data.workspaces.join(', ')));
    }

    function select(delta) {
      const rows = body.querySelectorAll('tr.run');
      if (!rows.length) return;
      listState.selected = Math.min(rows.length - 1, Math.max(0, listState.selected + delta));
      rows.forEach((r, i) => r.setAttribute('aria-selected', i === listState.selected ? 'true' : 'false'));
      rows[listState.selected].scrollIntoView({ block: 'nearest' });
    }

    let timer = null;
    let alive = true;
    // The first screen from the newest 100 runs (index.html preloads them), then all of them.
    let partial = !listState.data;
    async function load() {
      const url = partial ? '/api/runs?limit=100' : '/api/runs';
      const wasPartial = partial;
      partial = false;
      try {
        const res = await fetch(url, { credentials: 'same-origin' });
        if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
        const text = await res.text();
        if (!alive) return;
        if (text !== listState.text) {
          listState.text = text;
          listState.data = JSON.parse(text);
          renderRows();
        }
      } catch (e) {
        holder.textContent = '';
        holder.append(h('div', { class: 'empty' }, 'Cannot list runs: ' + e.message));
      }
      // New runs and runs in progress show up while the list is open.
      if (alive) timer = setTimeout(load, wasPartial ? 0 : 2000);
    }
    if (listState.data) renderRows();
    load();

    keyHandler = (e) => {
      if (e.target === search) {
        if (e.key === 'Escape') search.blur();
        if (e.key === 'Enter') { search.blur(); select(0); }
        return;
      }
      if (e.key === '/') { e.preventDefault(); search.focus(); }
      else if (e.key === 'j' || e.key === 'ArrowDown') { e.preventDefault(); select(1); }
      else if (e.key === 'k' || e.key === 'ArrowUp') { e.preventDefault(); select(-1); }
      else if (e.key === 'Enter') {
        const row = body.querySelectorAll('tr.run')[listState.selected];
        if (row) location.hash = row.querySelector('a').getAttribute('href');
      }
    };
    stopCurrent = () => { alive = false; clearTimeout(timer); };
  }

  // ---- One call ----------------------------------------------------------------------------
  function reasonsList(reasons) {
    if (!Array.isArray(reasons) || !reasons.length) return null;
    return h('ul', null, reasons.map((r) => h('li', null,
      typeof r === 'object' && r ? [h('span', { class: 'mono' }, str(r.id)), ': ', clipped(str(r.message))] : clipped(str(r)))));
  }

  // An object shown as "key value" pairs, values compact; for data whose shape may grow.
  function kv(obj) {
    if (!obj || typeof obj !== 'object') return clipped(str(obj));
    const parts = [];
    for (const [k, v] of Object.entries(obj)) {
      const value = Array.isArray(v) ? (v.length ? v.map(str).join(', ') : '–') : str(v);
      parts.push(h('div', { class: 'kv' }, k + ' ', h('b', null, clipped(value))));
    }
    return parts.length ? parts : h('span', { class: 'muted' }, '–');
  }

  function stream(name, s) {
    if (!s || typeof s !== 'object') return null;
    return h('div', null, h('span', { class: 'mono' }, name), ' ', bytes(s.bytes),
      s.truncated ? [' ', badge('truncated', 'truncated')] : null,
      s.sha256 ? h('span', { class: 'muted mono', title: str(s.sha256) }, '  sha256 ' + str(s.sha256).slice(0, 16) + '…') : null);
  }

  // going: the run may still add to this call (it is live, or its log simply has no end yet).
  function callCard(call, fetchRaw, going) {
    const recs = call.records;
    const by = (t) => recs.filter((r) => r.type === t);
    const one = (t) => by(t)[0];
    const received = one('call_received');
    const risk = one('risk_scored');
    const policy = one('policy_decided');
    // The call's own approval; a network destination's (data.network) has rows of its own.
    const own = (t) => recs.find((r) => r.type === t && !(r.data && r.data.network));
    const asked = own('approval_requested');
    const answered = own('approval_answered');
    const sandbox = one('sandbox_prepared');
    const started = one('exec_started');
    const finished = one('exec_finished');
    const result = one('call_finished');
    const d = (r) => (r && r.data) || {};

    const status = result ? str(d(result).status) : going ? 'running' : 'unfinished';
    const edge = result ? tone(status) : going ? 'info' : 'warn';
    let took = null;
    if (result) {
      const a = micros(recs[0].ts), b = micros(result.ts);
      if (a !== null && b !== null) took = Math.round((b - a) / 1000);
    }
    const tool = received ? str(d(received).tool) : recs[0].type;
    const text = received ? commandOf(d(received)) : '';

    const card = h('article', { class: 'call tone-' + edge + '-edge', tabindex: '0', 'data-call': call.id });
    card.append(h('div', { class: 'top' },
      h('span', { class: 'cid' }, call.id), h('span', { class: 'tool' }, tool),
      risk ? badge(str(d(risk).level), 'risk ' + str(d(risk).level)) : null,
      policy ? badge(str(d(policy).decision)) : null,
      answered ? badge(str(d(answered).decision), 'approval ' + str(d(answered).decision)) : null,
      h('span', { class: 'spacer' }),
      badge(status),
      result && has(d(result), 'exit_code') ? h('span', { class: 'mono muted' }, 'exit ' + str(d(result).exit_code)) : null,
      took !== null ? h('span', { class: 'muted' }, ' · ' + duration(took)) : null));
    if (text) card.append(h('code', { class: 'command' }, clipped(text)));

    const rows = [];
    const row = (label, ...value) => rows.push(h('dt', null, label), h('dd', null, value));
    if (received) {
      const r = d(received);
      const bits = [];
      if (r.cwd) bits.push('cwd ' + str(r.cwd));
      if (has(r, 'timeout_ms')) bits.push('timeout ' + str(r.timeout_ms) + ' ms');
      if (has(r, 'size')) bits.push(bytes(r.size));
      if (r.sha256) bits.push('sha256 ' + str(r.sha256).slice(0, 16) + '…');
      if (has(r, 'decoded') && !r.decoded) bits.push('not a valid request');
      if (bits.length) row('request', clipped(bits.join(' · ')));
    }
    for (const f of by('floor_denied'))
      row('floor', badge('denied'), ' ', clipped(str(d(f).path)), h('span', { class: 'muted' }, ' under ' + str(d(f).entry)));
    if (risk) {
      const r = d(risk);
      row('guard', badge(str(r.level), str(r.level) + ' · ' + str(r.score)), reasonsList(r.reasons));
    }
    if (policy) {
      const p = d(policy);
      row('policy', badge(str(p.decision)), ' by rule ', h('span', { class: 'mono' }, clipped(str(p.rule))),
        p.reason ? [': ', clipped(str(p.reason))] : null);
    }
    if (asked || answered) {
      const a = d(asked), b = d(answered);
      row('approval',
        asked ? ['asked ', h('b', null, str(a.provider)), a.rule ? ' (rule ' + str(a.rule) + ')' : ''] : null,
        answered ? [asked ? ' → ' : '', badge(str(b.decision)), ' by ', h('b', null, str(b.provider)),
          has(b, 'seconds') ? ' after ' + str(b.seconds) + ' s' : '',
          b.from_session_cache ? ' (remembered for the session)' : '',
          b.loop_guard ? ' (loop guard: run aborted)' : '',
          b.reason ? [': ', clipped(str(b.reason))] : null] : [' ', badge('running', 'waiting')],
        (a.key || b.key) ? h('div', { class: 'kv' }, 'key ', h('b', null, clipped(str(a.key || b.key)))) : null);
    }
    if (sandbox) {
      const s = d(sandbox);
      const e = s.effective && typeof s.effective === 'object' ? s.effective : null;
      const fsys = e && e.filesystem && typeof e.filesystem === 'object' ? e.filesystem : {};
      const list = (v) => (Array.isArray(v) ? (v.length ? v.map(str).join(', ') : 'none') : str(v));
      const seccomp = e && e.seccomp && typeof e.seccomp === 'object' ? str(e.seccomp.filter) : str(e && e.seccomp);
      row('sandbox', h('b', null, str(s.adapter)), s.active ? '' : [' ', badge('aborted', 'no sandbox')],
        e ? [
          h('div', { class: 'kv' }, 'writable ', h('b', null, clipped(list(fsys.writable)))),
          has(fsys, 'hidden') ? h('div', { class: 'kv' }, 'hidden ', h('b', null, clipped(list(fsys.hidden)))) : null,
          has(e, 'network') ? h('div', { class: 'kv' }, 'network ', h('b', null, clipped(str(e.network)))) : null,
          seccomp ? h('div', { class: 'kv' }, 'seccomp ', h('b', null, seccomp)) : null,
          h('details', null, h('summary', { class: 'muted' }, 'whole profile'), kv(e)),
        ] : null);
    }
    for (const t of ['sandbox_denied', 'exec_not_started', 'exec_failed'])
      for (const r of by(t)) row(t.replace(/_/g, ' '), badge('failed', t === 'sandbox_denied' ? 'denied' : 'failed'), ' ',
        has(d(r), 'exit_code') ? 'exit ' + str(d(r).exit_code) + ': ' : '', clipped(str(d(r).message)));
    if (started || finished) {
      const f = d(finished);
      row('exec', started ? ['in ', h('b', null, str(d(started).adapter)), ', timeout ', str(d(started).timeout_ms), ' ms'] : null,
        finished ? [' → exit ', h('b', null, str(f.exit_code)),
          f.signal ? ', signal ' + str(f.signal) : '', f.timed_out ? [' ', badge('timeout', 'timed out')] : '',
          has(f, 'duration_ms') ? ', ' + duration(f.duration_ms) : ''] : [' ', badge('running')]);
      if (finished && (f.stdout || f.stderr))
        row('output', stream('stdout', f.stdout), stream('stderr', f.stderr),
          h('div', { class: 'muted' }, 'airlock logs output sizes and hashes, never the output itself'));
    }
    for (const w of by('file_written')) {
      const x = d(w);
      row('wrote', clipped(str(x.path)), ' · ', bytes(x.bytes), x.created ? ' · created' : ' · replaced',
        x.previous && typeof x.previous === 'object' ? kv({ previous: x.previous.existed ? bytes(x.previous.size) + ' sha256 ' + str(x.previous.sha256).slice(0, 16) + '…' : 'none' }) : null);
    }
    for (const r of by('approval_answered').filter((x) => d(x).network && typeof d(x).network === 'object'))
      row('network ask', clipped(str(d(r).network.host) + ':' + str(d(r).network.port)), ' ', badge(str(d(r).decision)),
        ' by ', h('b', null, str(d(r).provider)), d(r).from_session_cache ? ' (remembered for the session)' : null);
    for (const r of by('file_read'))
      row('read', clipped(str(d(r).path)), ' · ', bytes(d(r).bytes), d(r).truncated ? [' ', badge('truncated')] : null);
    const known = new Set(['call_received', 'risk_scored', 'policy_decided', 'approval_requested', 'approval_answered',
      'sandbox_prepared', 'exec_started', 'exec_finished', 'call_finished', 'file_written', 'file_read',
      'floor_denied', 'sandbox_denied', 'exec_not_started', 'exec_failed']);
    for (const r of recs) if (!known.has(r.type)) row(r.type.replace(/_/g, ' '), kv(r.data));
    if (result) {
      const r = d(result);
      row('result', badge(status), ' exit ', str(r.exit_code), r.stage ? [' · ', h('b', null, str(r.stage)), ': ', clipped(str(r.message))] : null);
    }
    card.append(h('dl', { class: 'details' }, rows));

    const rawButton = h('button', { class: 'small', type: 'button', 'aria-expanded': call.rawOpen ? 'true' : 'false' },
      'raw records (' + recs.length + ')');
    const raw = h('pre', { class: 'raw', hidden: !call.rawOpen });
    async function fill() {
      raw.textContent = 'loading…';
      try {
        const records = await fetchRaw(call.id);
        raw.textContent = '';
        raw.append(inert(records.map((r) => JSON.stringify(r, null, 2)).join('\n')));
      } catch (e) {
        raw.textContent = 'Cannot load: ' + e.message;
      }
    }
    call.toggleRaw = () => {
      call.rawOpen = !call.rawOpen;
      raw.hidden = !call.rawOpen;
      rawButton.setAttribute('aria-expanded', call.rawOpen ? 'true' : 'false');
      if (call.rawOpen) fill();
    };
    rawButton.addEventListener('click', call.toggleRaw);
    if (call.rawOpen) fill();
    card.append(h('div', { style: null }, rawButton), raw);
    return card;
  }

  function runEvent(r) {
    const d = r.data || {};
    let detail;
    switch (r.type) {
      case 'run_started':
        detail = ['airlock ', str(d.airlock_version), ' as ', str(d.user), '@', str(d.host), ' (pid ', str(d.pid), ') in ',
          clipped(str(d.workspace))];
        break;
      case 'policy_loaded':
        detail = [Array.isArray(d.layers) ? d.layers.map(str).join(', ') : '', '  digest ', str(d.digest).slice(0, 12)];
        break;
      case 'approver_ready': detail = ['provider ', str(d.provider)]; break;
      case 'config_error': detail = [badge('error'), ' ', str(d.stage), ': ', clipped(str(d.message))]; break;
      case 'run_finished':
      case 'run_aborted':
        detail = [str(d.calls), ' calls, ', str(d.blocked_or_failed), ' blocked or failed',
          d.reason ? [': ', clipped(str(d.reason))] : null];
        break;
      default: detail = kv(d);
    }
    return h('div', { class: 'event', tabindex: '0', 'data-seq': String(r.seq) },
      h('span', { class: 'mono muted' }, when(r.ts).slice(11), ' '), h('span', { class: 'type' }, r.type), detail);
  }

  // ---- Run view ----------------------------------------------------------------------------
  function showRun(ws, id, source) {
    const crumbs = REPORT ? ['run report'] : [h('a', { href: '#/' }, 'all runs'), ' / ', h('span', { class: 'mono' }, id)];
    const content = frame(crumbs, [key('j k', 'move'), key('r', 'raw'), REPORT ? null : key('Esc', 'back')]);
    const head = h('section', { class: 'runhead', id: 'runhead' });
    const timeline = h('section', { class: 'timeline', id: 'timeline', 'aria-label': 'timeline' });
    const more = h('div', { class: 'more', id: 'more' });
    content.append(head, timeline, more);

    const calls = new Map();
    const items = []; // in order: {el} for run events, call objects for calls
    const dirty = new Set();
    let records = 0;
    let lastSeq = 0;
    let firstTs = null;
    let lastTs = null;
    let run = null;
    let verification = null;
    let live = false;
    let scheduled = false;
    let alive = true;

    const going = () => live || !verification || verification.verdict === 'incomplete';

    function renderHead() {
      head.textContent = '';
      const r = run || {};
      const v = verification || {};
      const dur = firstTs !== null && lastTs !== null ? Math.round((lastTs - firstTs) / 1000) : r.duration_ms;
      head.append(h('h1', null, id),
        h('div', { class: 'facts' },
          h('span', null, 'started ', h('b', null, when(r.started))),
          h('span', null, 'duration ', h('b', null, duration(dur))),
          h('span', null, 'calls ', h('b', { id: 'calls' }, String(calls.size))),
          h('span', null, 'records ', h('b', { id: 'records' }, String(records))),
          h('span', null, 'outcome ', badge(str(r.outcome))),
          h('span', { id: 'chain' }, 'chain ', badge(str(v.verdict)), live ? h('span', { class: 'badge tone-info live' }, '● live') : null)));
      if (v.verdict && v.verdict !== 'intact')
        head.append(h('div', { class: 'verdict tone-' + tone(v.verdict), id: 'verdict' }, clipped(str(v.message))));
    }

    // Cards are (re)built for at most ~12 ms per frame, the rest in the next frames: a page of
    // 2,000 records never holds the main thread long enough to freeze the page.
    function flush() {
      scheduled = false;
      const start = performance.now();
      for (const call of dirty) {
        const focused = call.el && document.activeElement === call.el;
        const el = callCard(call, source.raw, going());
        if (call.el) call.el.replaceWith(el); else timeline.append(el);
        call.el = el;
        if (focused) el.focus();
        dirty.delete(call);
        if (performance.now() - start > 12) break;
      }
      renderHead();
      if (dirty.size) schedule();
    }
    function schedule() {
      if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
    }

    function take(r) {
      if (r.seq <= lastSeq) return;
      lastSeq = r.seq;
      records += 1;
      const t = micros(r.ts);
      if (firstTs === null) firstTs = t;
      lastTs = t;
      if (r.call_id) {
        let call = calls.get(r.call_id);
        if (!call) {
          call = { id: r.call_id, records: [], el: null, rawOpen: false };
          calls.set(r.call_id, call);
          items.push(call);
        }
        call.records.push(r);
        dirty.add(call);
      } else {
        const el = runEvent(r);
        items.push({ el });
        // Run events before pending cards would reorder them: flush cards first.
        for (const call of dirty) {
          if (!call.el) { call.el = callCard(call, source.raw, going()); timeline.append(call.el); dirty.delete(call); }
        }
        timeline.append(el);
      }
      schedule();
    }

    function focusables() { return Array.from(timeline.querySelectorAll('.call, .event')); }
    function move(delta) {
      const list = focusables();
      if (!list.length) return;
      let i = list.indexOf(document.activeElement);
      i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + delta));
      list[i].focus();
      list[i].scrollIntoView({ block: 'nearest' });
    }
    keyHandler = (e) => {
      if (e.key === 'j' || e.key === 'ArrowDown') { e.preventDefault(); move(1); }
      else if (e.key === 'k' || e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
      else if (e.key === 'r' || e.key === 'Enter') {
        const el = document.activeElement;
        const call = el && el.dataset && el.dataset.call !== undefined ? calls.get(el.dataset.call) : null;
        if (call && call.toggleRaw) { e.preventDefault(); call.toggleRaw(); }
      } else if ((e.key === 'Escape' || e.key === 'Backspace') && !REPORT) { location.hash = '#/'; }
      else if (e.key === 'g') { const l = focusables(); if (l.length) l[0].focus(); }
      else if (e.key === 'G') { const l = focusables(); if (l.length) l[l.length - 1].focus(); }
    };

    renderHead();
    stopCurrent = () => { alive = false; source.stop(); };
    source.start({
      meta(r, v) { run = r; verification = v; schedule(); },
      records(list) { if (alive) for (const r of list) take(r); },
      progress(text) { more.textContent = text; },
      live(on) { live = on; schedule(); },
      end(v) {
        verification = v;
        live = false;
        if (run && v.final === 'run_aborted') run.outcome = 'aborted';
        // Calls still open when the run ended are unfinished, not running.
        for (const call of calls.values()) dirty.add(call);
        schedule();
      },
      error(message) { more.textContent = ''; more.append(h('div', { class: 'empty' }, 'Cannot show the run: ' + message)); },
    });
  }

  // Pages of records from the API, then the live stream (SSE) from the last one on.
  function apiSource(ws, id) {
    let es = null;
    let stopped = false;
    return {
      raw: async (call) => (await getJSON('/api/call?' + q({ ws, id, call }))).records,
      stop() { stopped = true; if (es) es.close(); },
      async start(sink) {
        let from = 0;
        let limit = 300; // a small first page: the first screen comes quickly
        let page;
        let last = 0;
        try {
          for (;;) {
            page = await getJSON('/api/run?' + q({ ws, id, from, limit }));
            if (stopped) return;
            if (from === 0) sink.meta(page.run, page.verification);
            sink.records(page.records);
            if (page.records.length) last = page.records[page.records.length - 1].seq;
            if (page.next === null) break;
            from = page.next;
            limit = 1000;
            sink.progress('loading ' + from.toLocaleString() + ' of ' + page.total.toLocaleString() + ' records…');
            await new Promise((resolve) => setTimeout(resolve, 0)); // let the page paint
          }
        } catch (e) {
          sink.error(e.message);
          return;
        }
        sink.progress('');
        sink.meta(page.run, page.verification);
        // Still being written (a torn last line may be a write in progress): follow it.
        // EventSource resumes with Last-Event-ID by itself.
        if (page.verification.verdict !== 'incomplete' && page.verification.verdict !== 'truncated') return;
        es = new EventSource('/api/events?' + q({ ws, id, after: last }));
        sink.live(true);
        es.addEventListener('record', (ev) => sink.records([JSON.parse(ev.data)]));
        es.addEventListener('end', async (ev) => {
          es.close();
          sink.end(JSON.parse(ev.data));
          // The run's outcome as the runs list has it, now that it is over.
          try {
            const last = await getJSON('/api/run?' + q({ ws, id, from: 0, limit: 1 }));
            if (!stopped) sink.meta(last.run, last.verification);
          } catch (e) { /* the header keeps what it has */ }
        });
        es.onerror = () => { if (es.readyState === EventSource.CLOSED) sink.live(false); };
      },
    };
  }

  function reportSource(doc) {
    const byCall = new Map();
    for (const r of doc.records) {
      if (!byCall.has(r.call_id)) byCall.set(r.call_id, []);
      byCall.get(r.call_id).push(r);
    }
    return {
      raw: async (call) => byCall.get(call) || [],
      stop() {},
      start(sink) {
        sink.meta(doc.run, doc.verification);
        // In slices, so a long run paints its first screen at once.
        let i = 0;
        const step = () => {
          sink.records(doc.records.slice(i, i + 1000));
          i += 1000;
          if (i < doc.records.length) setTimeout(step, 0);
        };
        step();
      },
    };
  }

  // ---- Approvals asked of this page (--approve web) --------------------------------------
  // Each ask is a card until a person answers it here or the asking airlock process gives up
  // (its timeout is a denial). The answer is one same-origin POST; the asking process records
  // it in its run's WAL.
  function startAsks(panel) {
    const cards = new Map(); // id -> {el, deadline}
    let clock = null;

    function countdown() {
      const now = Date.now();
      for (const { el, deadline } of cards.values()) {
        const left = Math.max(0, Math.round((deadline - now) / 1000));
        const t = el.querySelector('.ask-left');
        if (t) t.textContent = deadline ? left + ' s left' : '';
      }
    }

    async function answer(id, decision, card) {
      for (const b of card.querySelectorAll('button')) b.disabled = true;
      const status = card.querySelector('.ask-status');
      status.textContent = 'sending…';
      try {
        const res = await fetch('/api/asks/answer', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ id, decision }),
        });
        if (!res.ok) {
          let message = res.status + ' ' + res.statusText;
          try { message = (await res.json()).error || message; } catch (e) { /* not JSON */ }
          throw new Error(message);
        }
        status.textContent = 'answered: ' + decision.replace(/_/g, ' ');
      } catch (e) {
        status.textContent = 'not answered: ' + e.message;
        for (const b of card.querySelectorAll('button')) b.disabled = false;
      }
    }

    function askCard(a, workspaces) {
      const ask = a.ask && typeof a.ask === 'object' ? a.ask : {};
      const req = ask.request && typeof ask.request === 'object' ? ask.request : {};
      const risk = ask.risk && typeof ask.risk === 'object' ? ask.risk : {};
      const pol = ask.policy && typeof ask.policy === 'object' ? ask.policy : {};
      const tool = str(ask.tool);
      let text;
      const words = (argv) => argv.map((w) => (w && typeof w === 'object' ? '<bytes ' + str(w.hex) + '>' : quote(w))).join(' ');
      const forCall = ask.for_call && typeof ask.for_call === 'object' ? ask.for_call : null;
      if (tool === 'network') text = 'connect to ' + str(req.host && typeof req.host === 'object' ? '<bytes ' + str(req.host.hex) + '>' : req.host) + ':' + str(req.port);
      else if (Array.isArray(req.argv)) text = words(req.argv);
      else text = str(req.path && typeof req.path === 'object' ? '<bytes ' + str(req.path.hex) + '>' : req.path);
      const card = h('article', { class: 'ask tone-warn-edge', 'data-ask': str(a.id), tabindex: '0' });
      const ws = workspaces.length > 1 ? h('span', { class: 'muted' }, ' in ' + str(workspaces[a.workspace])) : null;
      card.append(h('div', { class: 'top' },
        h('span', { class: 'ask-title' }, 'approval needed'),
        h('span', { class: 'cid' }, str(ask.call_id)), h('span', { class: 'tool' }, tool),
        tool === 'network' ? null : badge(str(risk.level), 'risk ' + str(risk.level)), ws,
        h('span', { class: 'spacer' }),
        h('span', { class: 'muted' }, 'pid ' + str(a.pid) + ' · '), h('span', { class: 'muted ask-left' })));
      card.append(h('code', { class: 'command ask-command' }, clipped(text)));
      const rows = [];
      const row = (label, ...value) => rows.push(h('dt', null, label), h('dd', null, value));
      if (tool === 'network' && forCall) row('program', clipped(str(forCall.program) || '–'));
      if (tool === 'shell_exec') row('cwd', clipped(str(req.cwd) || '. (workspace root)'));
      if (tool === 'file_write') row('content', bytes(req.size), ' · sha256 ' + str(req.sha256).slice(0, 16) + '…');
      if (Array.isArray(req.env_keys)) row('env keys', clipped(req.env_keys.map(str).join(' ') || '–'));
      if (tool !== 'network') row('guard', badge(str(risk.level), str(risk.level) + ' · ' + str(risk.score)), reasonsList(risk.reasons));
      row('policy', badge('ask'), ' by rule ', h('span', { class: 'mono ask-rule' }, clipped(str(pol.rule))),
        pol.reason ? [': ', clipped(str(pol.reason))] : null);
      row('key', h('span', { class: 'mono', title: str(ask.key) }, str(ask.key).slice(0, 16)));
      card.append(h('dl', { class: 'details' }, rows));
      const button = (decision, label, cls) => {
        const b = h('button', { type: 'button', class: 'answer ' + cls, 'data-decision': decision }, label);
        b.addEventListener('click', () => answer(str(a.id), decision, card));
        return b;
      };
      card.append(h('div', { class: 'ask-buttons' },
        button('approved', 'Approve once', 'good'),
        button('approved_for_session', 'Approve for session', 'good'),
        button('denied', 'Deny', 'bad'),
        h('span', { class: 'muted ask-status', role: 'status' })));
      return card;
    }

    function render(snapshot) {
      const asks = Array.isArray(snapshot.asks) ? snapshot.asks : [];
      const workspaces = Array.isArray(snapshot.workspaces) ? snapshot.workspaces.map((w) => w.path) : [];
      const seen = new Set();
      for (const a of asks) {
        const id = str(a.id);
        seen.add(id);
        if (cards.has(id)) continue;
        // The asker's timeout, from when this page first saw the ask (clocks may differ).
        const deadline = a.timeout_seconds > 0 ? Date.now() + a.timeout_seconds * 1000 : 0;
        const el = askCard(a, workspaces);
        cards.set(id, { el, deadline });
        panel.append(el);
      }
      for (const [id, c] of cards) if (!seen.has(id)) { c.el.remove(); cards.delete(id); }
      panel.hidden = cards.size === 0;
      document.title = cards.size ? '(' + cards.size + ') approval needed · airlock' : 'airlock';
      if (cards.size && !clock) clock = setInterval(countdown, 1000);
      if (!cards.size && clock) { clearInterval(clock); clock = null; }
      countdown();
    }

    const es = new EventSource('/api/asks/stream');
    es.addEventListener('asks', (ev) => render(JSON.parse(ev.data)));
  }

  // ---- Routing and keys ------------------------------------------------------------------
  let keyHandler = () => {};
  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && t.tagName === 'INPUT' && t.id !== 'search') return;
    // Keys on an ask's card (Enter or Space on its buttons) answer it and do nothing else.
    if (t && t.closest && t.closest('#asks')) return;
    keyHandler(e);
  });

  function route() {
    stopCurrent();
    stopCurrent = () => {};
    keyHandler = () => {};
    if (REPORT) {
      showRun(0, str(REPORT.run.run_id), reportSource(REPORT));
      return;
    }
    const m = /^#\/run\/(\d+)\/([^/]+)$/.exec(location.hash);
    if (m) {
      let id;
      try { id = decodeURIComponent(m[2]); } catch (e) { location.hash = '#/'; return; }
      showRun(Number(m[1]), id, apiSource(Number(m[1]), id));
    } else {
      showList();
    }
  }
  window.addEventListener('hashchange', route);
  const asksPanel = document.getElementById('asks');
  if (asksPanel && !REPORT) startAsks(asksPanel);
  route();
})();
