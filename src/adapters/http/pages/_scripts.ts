/**
 * The browser scripts of the operator monitor and the observer portal (plain ES2020, no build step): a snapshot
 * from the JSON endpoints, then live updates from the event stream. Internal to src/adapters/http.
 *
 * @module
 */

/** The operator monitor. */
export const MONITOR_JS = `'use strict';
(() => {
  const { el, time, bytes } = fi;
  const admin = document.getElementById('monitor').dataset.admin === 'true';
  const FINAL_BAD = ['INVALID', 'ABANDONED', 'DUPLICATE', 'FAILED'];
  let snap = null;
  const rows = new Map();
  const message = (text) => { document.getElementById('message').textContent = text; };

  function action(label, url, body) {
    return el('button', { class: 'action', text: label, onclick: async (e) => {
      e.target.disabled = true;
      try { const r = await fi.post(url, body); message(label + ': ' + (r.message || 'done')); loadOperations().catch(() => {}); } catch (err) { message(label + ' failed: ' + err.message); e.target.disabled = false; }
    } });
  }
  function actions(f) {
    if (!admin) return '';
    if (FINAL_BAD.includes(f.state)) return action('requeue', '/ui/actions/requeue', { recordId: f.recordId });
    if (f.state === 'ARCHIVED' && f.archiveId) return action('reingest', '/ui/actions/reingest', { archiveId: f.archiveId });
    return '';
  }
  function fileRow(f, fresh) {
    const tr = el('tr', { 'data-record': f.recordId, class: fresh ? 'fresh' : '' }, [
      el('td', { text: time(f.at) }), el('td', { text: f.instrument || '' }), el('td', { class: 'state s-' + f.state, text: f.state }),
      el('td', { text: f.archiveId || '' }), el('td', { text: f.originalName + (f.code ? '  ' + f.code : '') }),
      el('td', { text: f.latencyMs == null ? '' : f.latencyMs + ' ms' }), el('td', {}, [actions(f)]),
    ]);
    return tr;
  }
  function renderCounts() {
    const t = document.getElementById('counts');
    t.textContent = '';
    for (const [state, n] of Object.entries(snap.counts)) t.append(el('tr', {}, [el('td', { class: 'state s-' + state, text: state }), el('td', { 'data-state': state, text: String(n) })]));
  }
  function renderLatest() {
    const body = document.querySelector('#latest tbody');
    body.textContent = '';
    rows.clear();
    for (const f of snap.latest) { rows.set(f.recordId, f); body.append(fileRow(f, false)); }
  }
  function upsert(f) {
    const body = document.querySelector('#latest tbody');
    const old = rows.get(f.recordId);
    if (old) {
      if (snap.counts[old.state] !== undefined && old.state !== f.state) { snap.counts[old.state]--; snap.counts[f.state]++; renderCounts(); }
      Object.assign(old, f);
      const tr = body.querySelector('tr[data-record="' + CSS.escape(f.recordId) + '"]');
      if (tr) tr.remove();
      body.prepend(fileRow(old, true));
    } else {
      if (f.from && snap.counts[f.from] > 0) snap.counts[f.from]--;
      snap.counts[f.state] = (snap.counts[f.state] || 0) + 1;
      renderCounts();
      rows.set(f.recordId, f);
      body.prepend(fileRow(f, true));
      while (body.children.length > 30) { rows.delete(body.lastElementChild.dataset.record); body.lastElementChild.remove(); }
    }
  }
  function renderRest() {
    document.getElementById('night').textContent = snap.night;
    document.getElementById('stuck-after').textContent = '(no change for ' + Math.round(snap.stuckAfterMs / 60000) + ' min)';
    const stuck = document.querySelector('#stuck tbody');
    stuck.textContent = '';
    for (const f of snap.stuck) stuck.append(el('tr', {}, [el('td', { text: new Date(f.at).toISOString().slice(0, 19) }), el('td', { class: 'state s-' + f.state, text: f.state }), el('td', { text: f.originalName }), el('td', { text: f.recordId }), el('td', {}, [actions(f)])]));
    if (!snap.stuck.length) stuck.append(el('tr', {}, [el('td', { text: 'none', colspan: '5' })]));
    const failures = document.getElementById('failures');
    failures.textContent = '';
    for (const f of snap.failures) failures.append(el('tr', {}, [el('td', { text: f.code }), el('td', { text: String(f.count) }), el('td', { text: f.latest })]));
    if (!snap.failures.length) failures.append(el('tr', {}, [el('td', { text: 'none' })]));
    document.getElementById('disk').textContent = snap.disk ? bytes(snap.disk.freeBytes) + ' free of ' + bytes(snap.disk.totalBytes) + ' (' + snap.disk.path + ')' : 'not known';
    const s = snap.series;
    fi.chart(document.getElementById('throughput'), 'files archived per 5 min', [{}, { label: 'archived', stroke: '#1d4ed8', fill: '#1d4ed855', paths: uPlot.paths.bars({ size: [0.8, 40] }) }], [s.t, s.archived], { y0: true });
    fi.chart(document.getElementById('latency'), 'ms per file, per 5 min', [{}, { label: 'median', stroke: '#2e7d32', points: { size: 7 } }, { label: 'max', stroke: '#c62828', points: { size: 7 } }], [s.t, s.latencyMedianMs, s.latencyMaxMs], { y0: true });
  }
  function cancelButton(r) {
    return admin && (r.state === 'QUEUED' || r.state === 'RUNNING') ? action('cancel', '/ui/actions/cancel', { requestId: r.id }) : '';
  }
  function renderOperations(ops) {
    const areas = document.querySelector('#areas tbody');
    const queue = document.querySelector('#queue tbody');
    areas.textContent = ''; queue.textContent = '';
    document.getElementById('processing-card').hidden = !ops.processing;
    if (ops.processing) {
      for (const a of ops.processing.areas) {
        const r = a.request;
        areas.append(el('tr', { 'data-area': a.name }, r
          ? [el('td', { text: a.name }), el('td', { text: r.id, 'data-request': r.id }), el('td', { text: r.instrument }), el('td', { class: 'wrap', text: r.inputs.join(' ') }), el('td', { text: r.startedAt ? time(r.startedAt) : '' }), el('td', {}, [cancelButton(r)])]
          : [el('td', { text: a.name }), el('td', { colspan: '5', class: 'muted', text: 'idle' })]));
      }
      document.getElementById('queued').textContent = '(' + ops.processing.queued + ' queued)';
      for (const r of ops.processing.queue) {
        queue.append(el('tr', { 'data-request': r.id }, [el('td', { text: String(r.position == null ? '' : r.position) }), el('td', { text: r.id }), el('td', { text: r.instrument }), el('td', { text: r.requester }), el('td', { text: String(r.priority) }), el('td', { class: 'wrap', text: r.inputs.join(' ') }), el('td', {}, [cancelButton(r)])]));
      }
      if (!ops.processing.queue.length) queue.append(el('tr', {}, [el('td', { colspan: '7', class: 'muted', text: 'empty' })]));
    }
    const hosts = document.querySelector('#hosts tbody');
    hosts.textContent = '';
    if (!ops.hosts) hosts.append(el('tr', {}, [el('td', { colspan: '3', class: 'muted', text: 'the catalog does not tell' })]));
    else if (!ops.hosts.length) hosts.append(el('tr', {}, [el('td', { colspan: '3', class: 'muted', text: 'none holds work now' })]));
    else for (const h of ops.hosts) hosts.append(el('tr', { 'data-host': h.owner }, [el('td', { text: h.owner }), el('td', { text: String(h.records) }), el('td', { text: time(h.until) })]));
    renderQuickLook(ops.quicklook);
    const scrub = document.getElementById('scrub');
    scrub.textContent = '';
    if (!ops.scrub) { scrub.append(el('p', { class: 'muted', text: 'no archive root given' })); return; }
    const s = ops.scrub;
    const c = s.cursor;
    const pct = s.total ? Math.round((s.checked / s.total) * 1000) / 10 : 0;
    scrub.append(
      el('p', { id: 'scrub-pass', text: c ? 'pass ' + (c.pass + 1) + ': ' + s.checked + ' of ' + s.total + ' files checked (' + pct + ' %), since ' + new Date(c.passStartedAt).toISOString().slice(0, 16) + ' UT' : 'no scrub has run yet (' + s.total + ' files)' }),
      el('progress', { id: 'scrub-progress', max: String(Math.max(1, s.total)), value: String(s.checked) }),
      el('p', { class: 'muted', text: s.coverage.copies + ' copies, ' + bytes(s.coverage.bytes) + '; oldest verification ' + (s.coverage.oldestVerifiedAt ? new Date(s.coverage.oldestVerifiedAt).toISOString().slice(0, 16) + ' UT' : 'none') + '; ' + s.coverage.stale + ' older than ' + s.coverage.targetDays + ' days' }),
    );
  }
  function renderQuickLook(q) {
    document.getElementById('quicklook-card').hidden = !q;
    if (!q) return;
    const body = document.querySelector('#quicklook tbody');
    body.textContent = '';
    const s = (ms) => (ms / 1000).toFixed(2) + ' s';
    for (const [label, key] of [['raw ARCHIVED', 'archived'], ['quick-look ARCHIVED', 'quicklook']]) {
      const v = q[key];
      body.append(el('tr', { 'data-latency': key }, v ? [el('td', { text: label }), el('td', { text: s(v.p50) }), el('td', { text: s(v.p99) }), el('td', { text: s(v.max) }), el('td', { text: String(v.count) })] : [el('td', { text: label }), el('td', { colspan: '4', class: 'muted', text: 'none yet' })]));
    }
    const st = q.states;
    document.getElementById('quicklook-state').textContent = st.DONE + ' done, ' + st.QUEUED + ' queued, ' + st.WAITING + ' waiting for masters, ' + st.FAILED + ' failed; ' + q.late + ' late (over ' + s(q.lateAfterMs) + ')' + (q.nights.length ? '; nights: ' + q.nights.map((n) => n.instrument + ' ' + n.night + ' ' + n.state).join(', ') : '');
  }
  async function loadOperations() {
    renderOperations(await fi.json('/ui/api/operations'));
    document.body.dataset.operations = String(Date.now());
  }
  async function load() {
    loadOperations().catch((e) => message('operations: ' + e.message));
    snap = await fi.json('/ui/api/monitor');
    renderCounts(); renderLatest(); renderRest();
    document.body.dataset.loaded = String(Date.now());
  }
  fi.live({ open: load, state: upsert, archived: upsert, resync: load });
  load();
  setInterval(() => load().catch(() => {}), 15000);
  setInterval(() => loadOperations().catch(() => {}), 3000);
})();
`;

/** The observer portal. */
export const PORTAL_JS = `'use strict';
(() => {
  const { el, time, bytes } = fi;
  const input = document.getElementById('night-input');
  const list = document.getElementById('files');
  const shown = new Set();

  function card(f, fresh) {
    const id = encodeURIComponent(f.archiveId);
    return el('div', { class: 'file' + (fresh ? ' fresh' : ''), 'data-archive-id': f.archiveId }, [
      f.instrument === 'ATTACHMENT'
        ? el('div', { class: 'noimg', text: (f.imageType || 'attachment') + ' (no image)' })
        : el('img', { src: '/ui/files/' + id + '/thumbnail.png', alt: 'thumbnail of ' + f.archiveId, loading: 'lazy', onerror: (e) => e.target.replaceWith(el('div', { class: 'noimg', text: 'no image' })) }),
      el('div', { class: 'id', text: f.archiveId }),
      el('div', { class: 'meta', text: [f.instrument, f.imageType, f.object, f.program].filter(Boolean).join(' · ') }),
      el('div', { class: 'meta', text: 'archived ' + time(f.at) + ' UT · ' + bytes(f.size) + (f.released ? ' · public' : ' · proprietary until ' + (f.releaseDate || '?')) }),
      el('div', {}, [
        el('a', { href: '/ui/files/' + id + '/content', download: f.archiveId + '.fits', text: 'download' }),
        el('a', { href: '#', text: 'header & history', onclick: (e) => { e.preventDefault(); detail(f.archiveId); } }),
      ]),
    ]);
  }
  function add(f, fresh) {
    if (!f.archiveId || shown.has(f.archiveId) || (f.night && f.night !== input.value)) return;
    shown.add(f.archiveId);
    const c = card(f, fresh);
    if (fresh) list.prepend(c); else list.append(c);
    document.getElementById('file-count').textContent = String(shown.size);
  }
  async function detail(archiveId) {
    const d = await fi.json('/ui/api/files/' + encodeURIComponent(archiveId));
    document.getElementById('detail').hidden = false;
    document.getElementById('detail-title').textContent = archiveId;
    const h = document.getElementById('detail-history');
    h.textContent = '';
    for (const e of d.history) h.append(el('tr', {}, [el('td', { text: e.at.slice(0, 19) }), el('td', { text: (e.from || '–') + ' → ' + e.to }), el('td', { text: e.cause }), el('td', { text: e.actor }), el('td', { text: e.message || '' })]));
    document.getElementById('detail-header').textContent = d.header.map((c) => c.keyword.padEnd(8) + (c.value === undefined ? '' : '= ' + JSON.stringify(c.value)) + (c.comment ? ' / ' + c.comment : '')).join('\\n');
    document.getElementById('detail').scrollIntoView();
  }
  async function weather() {
    const w = await fi.json('/ui/api/weather?night=' + input.value);
    const target = document.getElementById('weather');
    const note = document.getElementById('weather-note');
    if (!w.weather) { target.textContent = ''; note.textContent = 'No weather attachment for this night.'; return; }
    note.textContent = 'From ' + w.weather.archiveId;
    const colors = ['#c62828', '#1d4ed8', '#2e7d32', '#8e24aa', '#ef6c00', '#00838f'];
    fi.chart(target, 'weather', [{}].concat(w.weather.columns.map((c, i) => ({ label: c, stroke: colors[i % colors.length], show: i !== 3 && i !== 4 }))), [w.weather.t].concat(w.weather.values));
  }
  async function load() {
    const r = await fi.json('/ui/api/files' + (input.value ? '?night=' + input.value : ''));
    if (!input.value) input.value = r.night;
    list.textContent = '';
    shown.clear();
    for (const f of r.files) add(f, false);
    document.getElementById('file-count').textContent = String(shown.size);
    await weather().catch((e) => { document.getElementById('weather-note').textContent = e.message; });
    document.body.dataset.loaded = String(Date.now());
  }
  input.addEventListener('change', load);
  fi.live({ archived: (f) => { if (f.state === 'ARCHIVED') add(f, true); }, released: (f) => add(f, true), resync: load });
  load();
})();
`;
