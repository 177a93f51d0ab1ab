/**
 * The HTML shells of the pages (login, monitor, portal) and their shared stylesheet and script helpers. Pages
 * load only same-origin scripts (a strict Content-Security-Policy): uPlot from node_modules and the page scripts.
 * Data is inserted with textContent, never as HTML. Internal to src/adapters/http.
 *
 * @module
 */

/** Escapes text for HTML. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Headers of every page: no caching, no framing, same-origin scripts only. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
} as const;

function shell(title: string, body: string, scripts: readonly string[], meta: Record<string, string> = {}): string {
  const metas = Object.entries(meta)
    .map(([name, content]) => `<meta name="${escapeHtml(name)}" content="${escapeHtml(content)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${metas}
<title>${escapeHtml(title)} · fits-ingest</title>
<link rel="stylesheet" href="/ui/static/uPlot.min.css">
<link rel="stylesheet" href="/ui/static/style.css">
</head>
<body>
${body}
${scripts.map((s) => `<script src="/ui/static/${s}"></script>`).join('\n')}
</body>
</html>
`;
}

/** The login form (the token is posted, never put in a URL). */
export function loginPage(message?: string): string {
  return shell(
    'Log in',
    `<main class="login">
<h1>fits-ingest</h1>
<form method="post" action="/ui/login" autocomplete="off">
<label for="token">Access token</label>
<input id="token" name="token" type="password" required minlength="24" autofocus>
<button type="submit">Log in</button>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
</form>
</main>`,
    [],
  );
}

function header(site: string, csrf: string, active: 'monitor' | 'portal', monitor: boolean): string {
  return `<header>
<strong>fits-ingest</strong>
<nav>${monitor ? `<a href="/ui/monitor"${active === 'monitor' ? ' class="active"' : ''}>Monitor</a>` : ''}<a href="/ui/portal"${active === 'portal' ? ' class="active"' : ''}>Portal</a></nav>
<span class="who">${escapeHtml(site)}</span>
<form method="post" action="/ui/logout" class="logout"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Log out</button></form>
<span id="live" class="live off">offline</span>
</header>`;
}

/** The operator monitor. */
export function monitorPage(site: string, csrf: string, admin: boolean): string {
  return shell(
    'Monitor',
    `${header(site, csrf, 'monitor', true)}
<main id="monitor" data-admin="${admin}">
<section class="row">
<div class="card"><h2>Files by state</h2><table id="counts"></table></div>
<div class="card"><h2>Archive disk</h2><p id="disk">–</p><h2>Failures (24 h) by code</h2><table id="failures"></table></div>
</section>
<section class="row">
<div class="card wide"><h2>Throughput over the night <span id="night"></span></h2><div id="throughput" class="chart"></div></div>
<div class="card wide"><h2>Latency, detected → archived</h2><div id="latency" class="chart"></div></div>
</section>
<section class="card"><h2>Latest files</h2><table id="latest"><thead><tr><th>time</th><th>instrument</th><th>state</th><th>archive id</th><th>file</th><th>latency</th><th></th></tr></thead><tbody></tbody></table></section>
<section class="card" id="processing-card"><h2>Processing areas</h2><table id="areas"><thead><tr><th>area</th><th>request</th><th>instrument</th><th>inputs</th><th>since</th><th></th></tr></thead><tbody></tbody></table>
<h2>Request queue <span id="queued"></span></h2><table id="queue"><thead><tr><th>#</th><th>request</th><th>instrument</th><th>requester</th><th>priority</th><th>inputs</th><th></th></tr></thead><tbody></tbody></table></section>
<section class="row">
<div class="card wide"><h2>Hosts at work</h2><table id="hosts"><thead><tr><th>host / worker</th><th>files</th><th>lease until</th></tr></thead><tbody></tbody></table></div>
<div class="card wide"><h2>Scrub</h2><div id="scrub"><p>–</p></div></div>
<div class="card wide" id="quicklook-card" hidden><h2>Quick-look latency</h2><table id="quicklook"><thead><tr><th>from file complete to</th><th>p50</th><th>p99</th><th>max</th><th>frames</th></tr></thead><tbody></tbody></table><p id="quicklook-state" class="muted"></p></div>
</section>
<section class="card"><h2>Stuck files <span id="stuck-after"></span></h2><table id="stuck"><thead><tr><th>since</th><th>state</th><th>file</th><th>record</th><th></th></tr></thead><tbody></tbody></table></section>
<p id="message" role="status"></p>
</main>`,
    ['uPlot.iife.min.js', 'common.js', 'monitor.js'],
    { csrf },
  );
}

/** The observer portal. */
export function portalPage(site: string, csrf: string, monitor: boolean, programs: string): string {
  return shell(
    'Portal',
    `${header(site, csrf, 'portal', monitor)}
<main id="portal">
<section class="row">
<div class="card"><h2>Night</h2><input id="night-input" type="date"><p>Programs: <span id="programs">${escapeHtml(programs)}</span></p><p>Files: <span id="file-count">0</span></p></div>
<div class="card wide"><h2>Weather</h2><div id="weather" class="chart"></div><p id="weather-note"></p></div>
</section>
<section class="card"><h2>Files</h2><div id="files" class="files"></div></section>
<section id="detail" class="card" hidden><h2 id="detail-title"></h2><h3>History</h3><table id="detail-history"></table><h3>Header</h3><pre id="detail-header"></pre></section>
</main>`,
    ['uPlot.iife.min.js', 'common.js', 'portal.js'],
    { csrf },
  );
}

/** The stylesheet of every page. */
export const STYLE_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1d2433;background:#f3f5f8}
header{display:flex;gap:16px;align-items:center;padding:8px 16px;background:#1d2433;color:#fff}
header nav a{color:#cfd8e6;margin-right:12px;text-decoration:none}header nav a.active{color:#fff;font-weight:600}
header .who{margin-left:auto;color:#cfd8e6}.logout{margin:0}.logout button{background:none;border:1px solid #6b7a93;color:#fff;border-radius:4px;cursor:pointer}
.live{padding:2px 8px;border-radius:10px;font-size:12px}.live.on{background:#2e8b57}.live.off{background:#a33}
main{padding:16px;display:flex;flex-direction:column;gap:16px}.row{display:flex;gap:16px;flex-wrap:wrap}
.card{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px #0002;min-width:260px}.card.wide{flex:1 1 520px;min-width:0;overflow-x:auto}td.wrap{white-space:normal}
h2{font-size:15px;margin:0 0 8px}h3{font-size:13px;margin:12px 0 4px}table{border-collapse:collapse;width:100%}
td,th{padding:3px 8px;border-bottom:1px solid #e4e8ee;text-align:left;font-variant-numeric:tabular-nums;white-space:nowrap}
th{font-weight:600;color:#56627a}.state{font-weight:600}.s-ARCHIVED{color:#2e7d32}.s-INVALID,.s-ABANDONED{color:#c62828}.s-FAILED{color:#ef6c00}.s-DUPLICATE,.s-SUPERSEDED{color:#6a6f7d}
progress{width:100%;height:14px}.muted{color:#56627a}
tr.fresh{animation:fresh 2s}@keyframes fresh{from{background:#fff3b0}to{background:transparent}}
button.action{border:1px solid #1d4ed8;color:#1d4ed8;background:#fff;border-radius:4px;cursor:pointer;padding:1px 8px}
.chart{min-height:220px}.files{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.file{border:1px solid #e4e8ee;border-radius:6px;padding:8px;background:#fafbfc}.file img{width:100%;aspect-ratio:1;object-fit:contain;background:#000;border-radius:4px}
.noimg{width:100%;aspect-ratio:1;display:flex;align-items:center;justify-content:center;background:#e4e8ee;color:#56627a;border-radius:4px}
.file .id{font-weight:600;word-break:break-all}.file .meta{color:#56627a;font-size:12px}.file a{margin-right:8px}
pre{max-height:360px;overflow:auto;background:#0f1420;color:#d7e0ee;padding:8px;border-radius:4px;font-size:12px}
.login{max-width:360px;margin:80px auto;background:#fff;padding:24px;border-radius:8px;box-shadow:0 1px 3px #0003}
.login input{width:100%;padding:8px;margin:8px 0 12px}.login button{padding:8px 16px}.error{color:#c62828}
`;

/** Helpers both page scripts use. */
export const COMMON_JS = `'use strict';
window.fi = {
  csrf: document.querySelector('meta[name=csrf]').content,
  el(tag, props, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'text') e.textContent = v; else if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  },
  time(ms) { return new Date(ms).toISOString().slice(11, 19); },
  bytes(n) { if (n == null) return ''; const u = ['B', 'kB', 'MB', 'GB', 'TB']; let i = 0; while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; } return n.toFixed(i ? 1 : 0) + ' ' + u[i]; },
  async json(url, options) {
    const r = await fetch(url, Object.assign({ credentials: 'same-origin' }, options));
    if (r.status === 401) { location.href = '/ui/login'; throw new Error('logged out'); }
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
    return body;
  },
  post(url, body) {
    return this.json(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': this.csrf }, body: JSON.stringify(body) });
  },
  live(handlers) {
    const badge = document.getElementById('live');
    const es = new EventSource('/ui/events');
    es.onopen = () => { badge.textContent = 'live'; badge.className = 'live on'; if (handlers.open) handlers.open(); };
    es.onerror = () => { badge.textContent = 'reconnecting'; badge.className = 'live off'; };
    for (const [name, fn] of Object.entries(handlers)) if (name !== 'open') es.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    return es;
  },
  chart(target, title, series, data, options) {
    target.textContent = '';
    const y = options && options.y0 ? { range: (u, min, max) => [0, Math.max(1, (max || 0) * 1.15)] } : {};
    const plot = new uPlot({ width: Math.max(320, target.clientWidth || 520), height: 220, title, scales: { x: { time: true }, y }, series }, data, target);
    // At least an hour of x axis, so a single bin early in the night does not stretch the axis over years.
    const t = data[0];
    const last = t.length ? t[t.length - 1] : Date.now() / 1000;
    const first = t.length ? t[0] : last;
    plot.setScale('x', { min: Math.min(first, last - 3600) - 150, max: last + 150 });
    return plot;
  },
};
`;
