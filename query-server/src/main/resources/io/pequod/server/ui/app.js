// Pequod's operator console: one page per hash (#/instances, #/views, ...), drawn from the HTTP API
// alone. No framework and no build step: this file is served from the jar as written.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const page = () => $('#page');
let timers = [];
let generation = 0;

function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
function num(n) {
  return n === undefined || n === null || n < 0 ? '–' : Number(n).toLocaleString('en-US');
}
function ms(n) {
  return n === undefined || n === null ? '–' : (n >= 100 ? Math.round(n) : Math.round(n * 10) / 10) + ' ms';
}
function pill(text, kind) {
  return `<span class="pill ${kind || ''}">${esc(text)}</span>`;
}
function statePill(s) {
  return pill(s, s === 'RUNNING' || s === 'UP' ? 'ok' : s === 'ERROR' || s === 'DOWN' || s === 'UNREACHABLE' ? 'bad' : 'warn');
}
const enc = encodeURIComponent;

/** Calls the API; throws an Error carrying the server's {"error","detail"}. */
async function api(path, options = {}) {
  // the header tells the server this write comes from the console, not from a page of another site
  const headers = { Accept: 'application/json', 'X-Pequod-Console': '1' };
  const r = await fetch(path, Object.assign({ credentials: 'same-origin', headers }, options));
  const text = await r.text();
  let body;
  try { body = text ? JSON.parse(text) : {}; } catch (e) { body = { error: text }; }
  if (!r.ok && !(path === '/health' && r.status === 503)) {
    const err = new Error((body.error || r.status) + (body.detail ? ': ' + body.detail : ''));
    err.status = r.status;
    throw err;
  }
  return body;
}

/** Runs fn now and then ms after each run ends (never two at once: a slow server is not asked more). */
function every(ms, fn) {
  const g = generation;
  const tick = async () => {
    if (g !== generation) return;
    try { await fn(); $('#status').textContent = 'updated ' + new Date().toLocaleTimeString(); }
    catch (e) { $('#status').textContent = 'error: ' + e.message; }
    if (g === generation) timers.push(setTimeout(tick, ms));
  };
  tick();
}

// ---------------------------------------------------------------- instances
async function instancesPage(el) {
  el.innerHTML = `<h1>Instances</h1><div class="cards" id="inst-cards"></div>
    <table id="instances"><thead><tr><th>Instance</th><th>Status</th><th>Applications</th><th class="num">Active partitions</th>
    <th class="num">Standby partitions</th></tr></thead><tbody></tbody></table>
    <h2>Partitions by table</h2><p class="note">Dark: the instance owns the partition's store (active task); light: it holds a standby copy.</p>
    <div id="partitions"></div>`;
  every(3000, async () => {
    const d = await api('/v1/instances');
    const count = o => Object.values(o || {}).reduce((a, v) => a + v.length, 0);
    $('#inst-cards').innerHTML = [['Instances', d.instances.length], ['Up', d.instances.filter(i => i.status === 'UP').length],
      ['Tables and views', Object.keys(d.tables).length]].map(([k, v]) => `<div class="card"><div class="muted">${k}</div><div class="big">${v}</div></div>`).join('');
    $('#instances tbody').innerHTML = d.instances.map(i => `<tr data-instance="${esc(i.instance)}">
      <td class="mono">${esc(i.instance)}${i.self ? ' <span class="muted">(this one)</span>' : ''}</td>
      <td>${statePill(i.status)}${i.error ? `<div class="error">${esc(i.error)}</div>` : ''}</td>
      <td>${Object.entries(i.applications || {}).map(([a, s]) => `<div><span class="mono">${esc(a)}</span> ${statePill(s)}</div>`).join('')}</td>
      <td class="num">${count(i.active)}</td><td class="num">${count(i.standby)}</td></tr>`).join('');
    const names = d.instances.map(i => i.instance);
    let html = `<table id="partition-table"><thead><tr><th>Table</th>${names.map(n => `<th class="mono">${esc(n)}</th>`).join('')}</tr></thead><tbody>`;
    for (const [t, info] of Object.entries(d.tables)) {
      html += `<tr><td class="mono">${esc(t)}</td>`;
      for (const n of names) {
        html += '<td><div class="grid">' + info.partitions.map(p => {
          const kind = p.active === n ? 'active' : (p.standbys || []).includes(n) ? 'standby' : 'none';
          return `<div class="cell ${kind}" title="partition ${p.partition}: ${kind}">${p.partition}</div>`;
        }).join('') + '</div></td>';
      }
      html += '</tr>';
    }
    $('#partitions').innerHTML = html + '</tbody></table>';
  });
}

// ---------------------------------------------------------------- tables and views
const latencyHistory = {};

async function viewsPage(el) {
  el.innerHTML = `<h1>Tables, sources and views</h1>
    <p class="note">Rows are counted with <code>/v1/count</code> over every instance (a partial view shows its materialized ranges instead: it
    cannot be counted as a whole). Lag: records not yet applied to the store (tables and views), or not yet read (sources).
    Latency: write-to-visible over the last 10 s, the slowest instance's.</p>
    <div class="row"><button id="recount" class="secondary">Count rows again</button></div>
    <table id="tables"><thead><tr><th>Table</th><th>Kind</th><th>Definition</th><th class="num">Rows</th><th class="num">Lag</th>
    <th class="num">Records in</th><th class="num">Derived out</th><th class="num">p50</th><th class="num">p99</th></tr></thead><tbody></tbody></table>
    <h2>Write-to-visible latency, live</h2>
    <div class="row"><label>Table <select id="chart-table"></select></label><span class="legend"><span><i style="background:#0b6e99"></i>p50</span>
    <span><i style="background:#c0392b"></i>p99</span></span></div>
    <svg id="latency-chart" class="chart" width="900" height="240" viewBox="0 0 900 240"></svg>`;
  const [joins, inst] = await Promise.all([api('/v1/joins'), api('/v1/instances')]);
  // a partial view installed over existing tables, rebuilt or redefined is computed complete (README)
  const partialHere = new Set(inst.instances.flatMap(i => Object.keys(i.partial_views || {})));
  const kinds = {};
  const defs = {};
  for (const t of joins.tables) { kinds[t] = 'table'; defs[t] = []; }
  for (const s of joins.sources) { kinds[s.table] = 'source'; (defs[s.table] = defs[s.table] || []).push(s.text); }
  for (const j of joins.joins) {
    kinds[j.sink] = j.mode === 'partial' ? (partialHere.has(j.sink) ? 'partial view' : 'view (computed complete)')
      : j.mode === 'pull' ? 'pull view' : 'view';
    (defs[j.sink] = defs[j.sink] || []).push(j.text);
  }
  const tables = Object.keys(kinds).sort();
  $('#tables tbody').innerHTML = tables.map(t => `<tr id="table-${esc(t)}" data-table="${esc(t)}"><td class="mono">${esc(t)}</td>
    <td>${pill(kinds[t], kinds[t].includes('view') ? 'ok' : '')}</td><td>${(defs[t] || []).map(x => `<pre>${esc(x)}</pre>`).join('')}</td>
    <td class="num" id="rows-${esc(t)}">…</td><td class="num" id="lag-${esc(t)}">–</td><td class="num" id="in-${esc(t)}">–</td>
    <td class="num" id="out-${esc(t)}">–</td><td class="num" id="p50-${esc(t)}">–</td><td class="num" id="p99-${esc(t)}">–</td></tr>`).join('');
  const sel = $('#chart-table');
  sel.innerHTML = tables.map(t => `<option ${kinds[t].includes('view') ? '' : ''}>${esc(t)}</option>`).join('');
  const firstView = tables.find(t => kinds[t] === 'view') || tables[0];
  if (firstView) sel.value = firstView;
  sel.onchange = () => drawChart(sel.value);

  const g = generation;
  const recount = async () => {
    const health = await api('/health');
    for (const t of tables) {
      if (g !== generation) return;
      const cell = document.getElementById('rows-' + t);
      if (kinds[t] === 'partial view') {
        const inst = await api('/v1/instances');
        const ranges = inst.instances.reduce((a, i) => a + ((i.partial_views || {})[t] || { ranges: 0 }).ranges, 0);
        cell.innerHTML = `${num(ranges)} <span class="muted">ranges</span>`;
        continue;
      }
      try {
        const c = await api(`/v1/count?first=${enc(t + '|')}&last=${enc(t + '}')}`);
        cell.textContent = num(c.count);
        cell.dataset.count = c.count;
      } catch (e) { cell.innerHTML = `<span class="error" title="${esc(e.message)}">error</span>`; }
    }
    for (const s of health.sources || []) {
      const cell = document.getElementById('lag-' + s.table);
      if (cell) cell.textContent = num(s.lag);
    }
  };
  $('#recount').onclick = recount;
  recount();
  every(2000, async () => {
    const st = await api('/v1/stats?all=true');
    const sums = {};
    for (const inst of st.instances) {
      for (const [t, x] of Object.entries(inst.tables || {})) {
        const s = sums[t] = sums[t] || { in: 0, out: 0, lag: 0, p50: 0, p99: 0, n: 0 };
        s.in += x.records_in; s.out += x.records_out; s.lag += x.store_lag || 0;
        const r = x.visible_latency_recent_ms || {};
        if (r.count > 0) { s.p50 = Math.max(s.p50, r.p50); s.p99 = Math.max(s.p99, r.p99); s.n += r.count; }
      }
    }
    const now = Date.now();
    for (const t of tables) {
      const s = sums[t];
      if (!s) continue;
      document.getElementById('in-' + t).textContent = num(s.in);
      document.getElementById('out-' + t).textContent = num(s.out);
      if (kinds[t] !== 'source') document.getElementById('lag-' + t).textContent = num(s.lag);
      document.getElementById('p50-' + t).textContent = s.n ? ms(s.p50) : '–';
      document.getElementById('p99-' + t).textContent = s.n ? ms(s.p99) : '–';
      const h = latencyHistory[t] = latencyHistory[t] || [];
      h.push({ at: now, p50: s.n ? s.p50 : null, p99: s.n ? s.p99 : null });
      while (h.length > 150) h.shift();
    }
    drawChart(sel.value);
  });
}

function drawChart(table) {
  const svg = $('#latency-chart');
  if (!svg) return;
  const h = latencyHistory[table] || [];
  const W = 900, H = 240, L = 56, R = 10, T = 12, B = 28;
  const vals = h.flatMap(p => [p.p50, p.p99]).filter(v => v !== null);
  const max = Math.max(10, ...vals) * 1.1;
  const t0 = h.length ? h[0].at : Date.now(), t1 = h.length ? Math.max(h[h.length - 1].at, t0 + 1) : t0 + 1;
  const x = at => L + (W - L - R) * (at - t0) / (t1 - t0);
  const y = v => T + (H - T - B) * (1 - v / max);
  let out = `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4;
    out += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)} ms</text>`;
  }
  out += `<text x="${L}" y="${H - 8}">${h.length ? new Date(t0).toLocaleTimeString() : ''}</text><text x="${W - R}" y="${H - 8}" text-anchor="end">${h.length ? new Date(t1).toLocaleTimeString() : ''}</text>`;
  for (const [k, color] of [['p50', '#0b6e99'], ['p99', '#c0392b']]) {
    const pts = h.filter(p => p[k] !== null).map(p => `${x(p.at).toFixed(1)},${y(p[k]).toFixed(1)}`);
    if (pts.length) out += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}" data-series="${k}"/>`;
  }
  if (!vals.length) out += `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no writes reached ${esc(table)} in the last 10 s</text>`;
  svg.innerHTML = out;
}

// ---------------------------------------------------------------- partial views
async function partialPage(el) {
  el.innerHTML = `<h1>Partial views</h1><p class="note">A partial view keeps only the ranges that were read: a read of a cold range
    materializes it (an activation), and past the budget (<code>pequod.partial.max.ranges</code>) the least recently read ones are evicted.</p>
    <div id="partial-defs"></div>
    <table id="partial"><thead><tr><th>View</th><th>Instance</th><th class="num">Materialized ranges</th><th class="num">Activations</th>
    <th class="num">Evictions</th><th class="num">Back-fills</th><th class="num">Back-fill mean</th><th class="num">Back-fill max</th></tr></thead><tbody></tbody></table>`;
  const joins = await api('/v1/joins');
  const partial = joins.joins.filter(j => j.mode === 'partial');
  $('#partial-defs').innerHTML = partial.length ? partial.map(j => `<pre>${esc(j.text)}</pre>`).join('') : '<p class="muted">No partial view is installed.</p>';
  every(2000, async () => {
    const d = await api('/v1/instances');
    const rows = [];
    for (const i of d.instances) {
      for (const [v, s] of Object.entries(i.partial_views || {})) {
        rows.push(`<tr data-view="${esc(v)}"><td class="mono">${esc(v)}</td><td class="mono">${esc(i.instance)}</td><td class="num ranges">${num(s.ranges)}</td>
          <td class="num activations">${num(s.activations)}</td><td class="num evictions">${num(s.evictions)}</td><td class="num">${num(s.backfills)}</td>
          <td class="num">${ms(s.backfill_ms_mean)}</td><td class="num">${ms(s.backfill_ms_max)}</td></tr>`);
      }
    }
    $('#partial tbody').innerHTML = rows.join('') || '<tr><td colspan="8" class="muted">No instance computes a partial view.</td></tr>';
  });
}

// ---------------------------------------------------------------- dead letters
async function deadLettersPage(el) {
  el.innerHTML = `<h1>Dead letters</h1><p class="note">Records that could not be applied, the last dead-lettered first, from the namespace's
    dead-letter topic (the 100 newest; the time is the record's own). The origin is where the record was: fix it there and write it again.</p>
    <table id="dead-letters"><thead><tr><th>Record time</th><th>Reason</th><th>Origin (topic / partition / offset)</th><th>Application</th>
    <th>Key</th><th>Value</th></tr></thead><tbody></tbody></table>`;
  every(3000, async () => {
    const d = await api('/v1/dead-letters?limit=100');
    const show = (r, f) => r[f] !== undefined ? esc(r[f]) : r[f + '_base64'] !== undefined ? `<span class="muted">base64</span> ${esc(r[f + '_base64'])}` : '<span class="muted">null</span>';
    $('#dead-letters tbody').innerHTML = d.dead_letters.map(r => `<tr class="dead-letter">
      <td>${esc(new Date(r.timestamp).toLocaleString())}</td><td class="reason">${esc(r.reason)}</td>
      <td class="mono origin">${esc(r.origin.topic)} / ${r.origin.partition} / ${r.origin.offset}</td><td class="mono">${esc(r.origin.application)}</td>
      <td class="mono key"><pre>${show(r, 'key')}</pre></td><td class="mono value"><pre>${show(r, 'value')}</pre></td></tr>`).join('')
      || '<tr><td colspan="6" class="muted">No dead letters.</td></tr>';
  });
}

// ---------------------------------------------------------------- installs and rebuilds
let lastInstalled = {};

async function installsPage(el) {
  el.innerHTML = `<h1>Installs and rebuilds</h1>
    <h2>Install joins</h2><p class="note">Joins in Pequod's join language, as <code>./pequod install-joins FILE</code> sends them.</p>
    <div class="row"><label>Name <input type="text" id="install-name" value="console.pq"></label></div>
    <textarea id="install-text" spellcheck="false" placeholder="t|&lt;user&gt;|&lt;time&gt;|&lt;poster&gt; = copy p|&lt;poster&gt;|&lt;time&gt; using s|&lt;user&gt;|&lt;poster&gt;;"></textarea>
    <div class="row"><button id="install-go">Install</button><span id="install-result"></span></div>
    <h2>Applications</h2><p class="note">Each application's way through its input: records its group has committed out of those in its
    input partitions. A new or rebuilt view's application starts at 0 and is caught up at 100%.</p>
    <table id="progress"><thead><tr><th>Application</th><th>State</th><th>Progress</th><th class="num">Consumed</th><th class="num">Lag</th></tr></thead><tbody></tbody></table>
    <h2>Rebuild a view</h2><div class="row"><select id="rebuild-view"></select><button id="rebuild-go" class="secondary">Rebuild</button><span id="rebuild-result"></span></div>`;
  $('#install-go').onclick = async () => {
    const out = $('#install-result');
    out.className = '';
    out.textContent = 'installing…';
    try {
      const r = await api('/v1/joins?name=' + enc($('#install-name').value || 'console.pq'), { method: 'POST', body: $('#install-text').value });
      lastInstalled = r.started || {};
      out.textContent = r.added.length ? `installed ${r.added.length} join(s); started: ${Object.entries(lastInstalled).map(([v, a]) => v + ' → ' + a).join(', ') || 'none (computed in the tables application)'}`
        : 'nothing to install: every join is installed already';
      loadViews();
    } catch (e) { out.className = 'error'; out.textContent = e.message; }
  };
  const loadViews = async () => {
    const joins = await api('/v1/joins');
    const views = [...new Set(joins.joins.filter(j => j.mode !== 'pull').map(j => j.sink))].sort();
    $('#rebuild-view').innerHTML = views.map(v => `<option>${esc(v)}</option>`).join('');
  };
  loadViews();
  $('#rebuild-go').onclick = async () => {
    const v = $('#rebuild-view').value;
    if (!v || !confirm(`Rebuild view ${v}? Its table is cleared and computed again from the tables.`)) return;
    try {
      const r = await api(`/v1/views/${enc(v)}/rebuild`, { method: 'POST' });
      lastInstalled = { [v]: r.application };
      $('#rebuild-result').textContent = `rebuilding ${v}: application ${r.application}`;
    } catch (e) { $('#rebuild-result').innerHTML = `<span class="error">${esc(e.message)}</span>`; }
  };
  every(1000, async () => {
    const d = await api('/v1/progress');
    const fresh = new Set(Object.values(lastInstalled));
    $('#progress tbody').innerHTML = d.applications.map(a => {
      const pct = a.fraction < 0 ? null : Math.round(a.fraction * 1000) / 10;
      return `<tr class="application${fresh.has(a.application) ? ' fresh' : ''}" data-application="${esc(a.application)}">
        <td class="mono">${esc(a.application)}${fresh.has(a.application) ? ' <span class="pill warn">new</span>' : ''}</td><td>${statePill(a.state)}</td>
        <td><div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${pct ?? ''}"><span style="width:${pct ?? 0}%"></span>
        <em>${pct === null ? 'waiting for its tasks' : pct + '%'}</em></div></td>
        <td class="num">${num(a.consumed)} / ${num(a.total)}</td><td class="num">${num(a.lag)}</td></tr>`;
    }).join('');
  });
}

// ---------------------------------------------------------------- key and range browser
async function browsePage(el) {
  el.innerHTML = `<h1>Browse keys</h1>
    <h2>Get a key</h2><form class="row" id="get-form"><input type="text" id="get-key" size="50" placeholder="t|00000001|0000000042|00000007">
    <button>Get</button></form><div id="get-result"></div>
    <h2>Scan a range</h2><p class="note">Keys from <em>first</em> (inclusive) to <em>last</em> (exclusive), in order, over every instance.
    A partial view's range is materialized by its first read.</p>
    <form class="row" id="scan-form"><input type="text" id="scan-first" size="30" placeholder="first, e.g. t|00000001|">
    <input type="text" id="scan-last" size="30" placeholder="last, e.g. t|00000001}"><label>per page <input type="number" id="scan-limit" value="20" min="1" max="10000" style="width:80px"></label>
    <button id="scan-go">Scan</button><button type="button" id="scan-count" class="secondary">Count</button></form>
    <div class="row"><button type="button" id="scan-prev" class="secondary" disabled>Previous</button><span id="scan-page" class="muted"></span>
    <button type="button" id="scan-next" class="secondary" disabled>Next</button><span id="count-result"></span></div>
    <div id="scan-error" class="error"></div>
    <table id="scan-results"><thead><tr><th>Key</th><th>Value</th></tr></thead><tbody></tbody></table>`;
  $('#get-form').onsubmit = async ev => {
    ev.preventDefault();
    const key = $('#get-key').value;
    try {
      const r = await api('/v1/keys/' + enc(key));
      $('#get-result').innerHTML = `<table><tr><th>Key</th><td class="mono">${esc(r.key)}</td></tr><tr><th>Value</th><td><pre>${esc(r.value)}</pre></td></tr></table>`;
    } catch (e) { $('#get-result').innerHTML = `<p class="error">${esc(e.message)}</p>`; }
  };
  const starts = [];
  let pageFirst = null;
  const scan = async first => {
    $('#scan-error').textContent = '';
    const last = $('#scan-last').value, limit = $('#scan-limit').value || 20;
    try {
      const r = await api(`/v1/scan?first=${enc(first)}&last=${enc(last)}&limit=${enc(limit)}`);
      pageFirst = first;
      $('#scan-results tbody').innerHTML = r.entries.map(e => `<tr class="entry"><td class="mono key">${esc(e.key)}</td><td><pre>${esc(e.value)}</pre></td></tr>`).join('')
        || '<tr><td colspan="2" class="muted">No keys in this range.</td></tr>';
      $('#scan-page').textContent = `page ${starts.length + 1}: ${r.entries.length} key(s)${r.more ? ', more follow' : ', the last page'}`;
      $('#scan-next').disabled = !r.more;
      $('#scan-prev').disabled = starts.length === 0;
      $('#scan-next').dataset.after = r.entries.length ? r.entries[r.entries.length - 1].key : '';
    } catch (e) { $('#scan-error').textContent = e.message; }
  };
  $('#scan-form').onsubmit = ev => { ev.preventDefault(); starts.length = 0; scan($('#scan-first').value); };
  $('#scan-next').onclick = () => { starts.push(pageFirst); scan($('#scan-next').dataset.after + '\u0000'); };
  $('#scan-prev').onclick = () => { scan(starts.pop()); };
  $('#scan-count').onclick = async () => {
    try {
      const c = await api(`/v1/count?first=${enc($('#scan-first').value)}&last=${enc($('#scan-last').value)}`);
      $('#count-result').innerHTML = `<strong id="count-value">${num(c.count)}</strong> key(s) in the range`;
    } catch (e) { $('#count-result').innerHTML = `<span class="error">${esc(e.message)}</span>`; }
  };
}

// ---------------------------------------------------------------- router
const pages = { instances: instancesPage, views: viewsPage, partial: partialPage, 'dead-letters': deadLettersPage, installs: installsPage, browse: browsePage };

function route() {
  timers.forEach(clearTimeout);
  timers = [];
  generation++;
  const name = (location.hash.replace(/^#\/?/, '').split('?')[0]) || 'instances';
  const render = pages[name] || instancesPage;
  document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', a.dataset.page === name));
  const el = page();
  el.dataset.page = name;
  render(el).catch(e => { el.innerHTML += `<p class="error">${esc(e.message)}</p>`; });
}
window.addEventListener('hashchange', route);
route();
