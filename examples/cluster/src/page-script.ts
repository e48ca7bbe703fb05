// The live page's script, served as /page.js: reads /events, draws the charts as inline SVG, posts the buttons' actions.

/**
 * Plain browser JavaScript (no build step, no library). Colours go in SVG attributes, never in
 * style attributes, so the page runs under a `default-src 'self'` Content-Security-Policy.
 */
export const PAGE_SCRIPT = String.raw`'use strict';
const COLORS = ['#2557d6', '#d65a00', '#178a3f', '#8e3cc7', '#c62828', '#00838f', '#9e7700', '#5b6475'];
const W = 300;
const H = 64;
let hist = [];
let snap;
// Buttons pressed whose POST has not been answered, or answered before the next snapshot: shown as running.
const pending = new Map();
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (n) => (n === null || n === undefined ? '–' : Number.isInteger(n) ? String(n) : n.toFixed(1));
const swatch = (color) =>
  '<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="' + color + '"/></svg>';

function post(key, kind, path) {
  pending.set(key, { kind, answered: false });
  render();
  fetch(path, { method: 'POST' }).finally(() => {
    const p = pending.get(key);
    if (p) p.answered = true;
  });
}
$('load').onclick = () => post('load', 'load', '/api/load?seconds=20&users=8');
$('overload').onclick = () => post('overload', 'overload', '/api/load?seconds=10&users=32&mix=cpu');
$('roll').onclick = () => post('roll', 'roll', '/api/roll');
$('instances').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (button && !button.disabled) {
    post('slot-' + button.dataset.slot, button.dataset.action, '/api/instances/' + button.dataset.slot + '/' + button.dataset.action);
  }
});

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p + 1e-9) return m * p;
  return 10 * p;
}
function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i][1] !== null && values[i][1] !== undefined) return values[i][1];
  return null;
}
/** One chart: series of [t, value|null] over the last 60 s; null breaks the line. */
function chart(name, title, unit, series) {
  const end = hist.length ? hist[hist.length - 1].t : 0;
  const span = snap ? snap.historyMs : 60000;
  const start = end - span;
  let max = 0;
  for (const s of series) for (const [, v] of s.values) if (v !== null && v !== undefined && v > max) max = v;
  max = niceMax(max);
  const x = (t) => (((t - start) / span) * W).toFixed(1);
  const y = (v) => (H - 3 - (v / max) * (H - 14)).toFixed(1);
  let body = '<line x1="0" x2="' + W + '" y1="' + y(max / 2) + '" y2="' + y(max / 2) + '" stroke="#eef0f4"/>' +
    '<line x1="0" x2="' + W + '" y1="' + y(0) + '" y2="' + y(0) + '" stroke="#dde1e8"/>';
  for (const s of series) {
    let seg = [];
    const flush = () => {
      if (seg.length > 1) {
        body += '<polyline data-series="' + s.key + '" fill="none" stroke="' + s.color +
          '" stroke-width="1.6" stroke-linejoin="round" points="' + seg.join(' ') + '"/>';
      } else if (seg.length === 1) {
        const [cx, cy] = seg[0].split(',');
        body += '<circle data-series="' + s.key + '" cx="' + cx + '" cy="' + cy + '" r="1.6" fill="' + s.color + '"/>';
      }
      seg = [];
    };
    for (const [t, v] of s.values) {
      if (v === null || v === undefined) flush();
      else seg.push(x(t) + ',' + y(v));
    }
    flush();
  }
  body += '<text x="3" y="9" font-size="8.5" fill="#9aa3b2">' + esc(fmt(max) + ' ' + unit) + '</text>';
  const keys = series.map((s) => '<span>' + swatch(s.color) + esc(s.label) + ' <b>' + fmt(lastValue(s.values)) + '</b></span>').join('');
  return '<div class="chart" data-chart="' + name + '"><div class="head"><span>' + esc(title) + '</span><span class="keys">' + keys +
    '</span></div><svg class="plot" viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' + esc(title + ', last 60 s') + '">' + body +
    '</svg><div class="axis"><span>−60 s</span><span>now</span></div></div>';
}
const slotSeries = (slot, key) => hist.map((h) => {
  const s = h.slots.find((x) => x.slot === slot);
  return [h.t, s ? s[key] : null];
});
const poolSeries = (key) => hist.map((h) => [h.t, h.pool[key]]);

function card(slot, workers) {
  const current = workers[workers.length - 1];
  const older = workers.slice(0, -1).filter((w) => w.status !== 'exited');
  const name = current.instance || 'instance-' + (slot + 1);
  const answers = snap.load.byInstance[name] || 0;
  const rows = [
    ['in flight', current.inFlight],
    ['queued', current.queued],
    ['concurrency limit', current.limit],
    ['shed / s', fmt(current.shedPerSecond)],
    ['served / s', fmt(current.servedPerSecond)],
    ['answers to the load', answers],
    ['health', current.health],
    ['sessions', current.sessions + (current.sessions === 'redis' ? ' · ' + current.sessionOps + ' ops' : '')],
  ];
  const key = 'slot-' + (slot + 1);
  const action = snap.actions[key];
  const p = pending.get(key);
  const busy = Boolean(p || (action && action.running));
  const kind = p ? p.kind : action ? action.kind : '';
  const exited = current.status === 'exited';
  const drainRunning = busy && kind === 'drain';
  const restartRunning = busy && kind === 'restart';
  const restartLabel = restartRunning ? (exited ? 'Start: running…' : 'Restart: running…') : exited ? 'Start' : 'Restart';
  const result = busy ? (action && action.running ? action.label : 'starting…') : (action && action.result) || '';
  const charts = [
    chart('requests', 'requests / s', '/s', [
      { key: 'served', label: 'served', color: '#178a3f', values: slotSeries(slot, 'served') },
      { key: 'shed', label: 'shed', color: '#c62828', values: slotSeries(slot, 'shed') },
    ]),
    chart('latency', 'latency of the load', 'ms', [
      { key: 'p50', label: 'p50', color: '#2557d6', values: slotSeries(slot, 'p50') },
      { key: 'p99', label: 'p99', color: '#8e3cc7', values: slotSeries(slot, 'p99') },
    ]),
    chart('limit', 'concurrency limit', '', [
      { key: 'limit', label: 'limit', color: '#d68f00', values: slotSeries(slot, 'limit') },
    ]),
    chart('in-flight', 'in flight', '', [
      { key: 'inFlight', label: 'in flight', color: '#2557d6', values: slotSeries(slot, 'inFlight') },
      { key: 'queued', label: 'queued', color: '#d65a00', values: slotSeries(slot, 'queued') },
    ]),
  ].join('');
  const body =
    '<h2><span>' + swatch(COLORS[slot % COLORS.length]) + esc(name) + '</span><span class="state" data-field="state">' + esc(current.state) + '</span></h2>' +
    '<div class="meta">pid ' + esc(current.pid) + ' · generation ' + current.generation +
    (exited ? ' · exit code ' + esc(current.exitCode) : '') + '</div>' +
    older.map((w) => '<div class="old">previous pid ' + esc(w.pid) + ' ' + esc(w.state) + ' (' + w.inFlight + ' in flight)</div>').join('') +
    '<dl>' + rows.map(([k, v]) => '<dt>' + k + '</dt><dd data-field="' + k + '">' + esc(v) + '</dd>').join('') + '</dl>' +
    (current.limitNote ? '<div class="note" data-field="limit-note">' + esc(current.limitNote) + '</div>' : '') +
    '<div class="charts">' + charts + '</div>';
  const controls =
    '<div class="actions"><button data-action="drain" data-slot="' + (slot + 1) + '"' +
    (busy || exited || current.status === 'draining' ? ' disabled' : '') + (drainRunning ? ' class="running"' : '') + '>' +
    (drainRunning ? 'Drain: running…' : 'Drain') + '</button>' +
    '<button data-action="restart" data-slot="' + (slot + 1) + '"' + (busy ? ' disabled' : '') +
    (restartRunning ? ' class="running"' : '') + '>' + restartLabel + '</button></div>' +
    '<div class="result' + (!busy && action && action.failed ? ' bad' : '') + '" data-field="result">' + esc(result) + '</div>';
  return { state: current.state, body, controls };
}

// Parts are replaced only when their markup changed, so a button under the pointer is never swapped mid-click.
function setHtml(el, html) {
  if (el.lbkitHtml !== html) {
    el.innerHTML = html;
    el.lbkitHtml = html;
  }
}
function renderCards() {
  const bySlot = new Map();
  for (const w of snap.instances) {
    if (!bySlot.has(w.slot)) bySlot.set(w.slot, []);
    bySlot.get(w.slot).push(w);
  }
  const container = $('instances');
  for (const [slot, workers] of [...bySlot.entries()].sort((a, b) => a[0] - b[0])) {
    let el = container.querySelector('[data-testid="instance"][data-slot="' + (slot + 1) + '"]');
    if (!el) {
      el = document.createElement('div');
      el.setAttribute('data-testid', 'instance');
      el.setAttribute('data-slot', String(slot + 1));
      el.innerHTML = '<div class="body"></div><div class="controls"></div>';
      container.appendChild(el);
    }
    const parts = card(slot, workers);
    el.className = 'card ' + parts.state;
    setHtml(el.children[0], parts.body);
    setHtml(el.children[1], parts.controls);
  }
}

function control(key, idle, running) {
  const button = $(key);
  const action = snap.actions[key];
  const busy = Boolean(pending.get(key) || (action && action.running));
  button.disabled = busy;
  button.classList.toggle('running', busy);
  button.textContent = busy ? running : idle;
  const status = $(key + '-status');
  status.textContent = busy ? (action && action.running ? action.label : 'starting…') : action && action.result ? 'done: ' + action.result : '';
  status.classList.toggle('bad', !busy && Boolean(action && action.failed));
}

function renderPool() {
  const latest = hist.length ? hist[hist.length - 1].pool : undefined;
  const figures = [
    ['ready', latest ? latest.ready + ' of ' + snap.slots : '–'],
    ['served / s', latest ? fmt(latest.served) : '–'],
    ['shed / s', latest ? fmt(latest.shed) : '–'],
    ['in flight', latest ? latest.inFlight : '–'],
    ['p50 / p99', latest ? fmt(lastValue(poolSeries('p50'))) + ' / ' + fmt(lastValue(poolSeries('p99'))) + ' ms' : '–'],
  ];
  $('pool-figures').innerHTML = figures.map(([k, v]) => '<dt>' + k + '</dt><dd data-field="pool ' + k + '">' + esc(v) + '</dd>').join('');
  const perSlot = [];
  for (let slot = 0; slot < snap.slots; slot++) {
    perSlot.push({ key: 'served-' + (slot + 1), label: 'instance-' + (slot + 1), color: COLORS[slot % COLORS.length], values: slotSeries(slot, 'served') });
  }
  $('pool-requests').innerHTML =
    chart('pool-requests', 'pool: requests / s', '/s', [
      { key: 'served', label: 'served', color: '#178a3f', values: poolSeries('served') },
      { key: 'shed', label: 'shed', color: '#c62828', values: poolSeries('shed') },
    ]) + chart('pool-per-instance', 'served / s per instance', '/s', perSlot);
  $('pool-latency').innerHTML =
    chart('pool-latency', 'pool: latency of the load', 'ms', [
      { key: 'p50', label: 'p50', color: '#2557d6', values: poolSeries('p50') },
      { key: 'p99', label: 'p99', color: '#8e3cc7', values: poolSeries('p99') },
    ]) + chart('pool-in-flight', 'pool: in flight', '', [
      { key: 'inFlight', label: 'in flight', color: '#2557d6', values: poolSeries('inFlight') },
    ]);
  const total = snap.share.reduce((t, s) => t + s.requests, 0);
  let x = 0;
  const rects = snap.share.map((s) => {
    const width = total > 0 ? (s.requests / total) * 1000 : 0;
    const rect = '<rect x="' + x.toFixed(1) + '" width="' + width.toFixed(1) + '" height="22" fill="' + COLORS[s.slot % COLORS.length] + '"/>';
    x += width;
    return rect;
  });
  $('share-bar').innerHTML = '<svg viewBox="0 0 1000 22" preserveAspectRatio="none" width="100%" height="22" role="img" aria-label="share of requests per instance">' + rects.join('') + '</svg>';
  $('share-list').innerHTML = total > 0
    ? snap.share.map((s) => '<span data-testid="share-item" data-slot="' + (s.slot + 1) + '" data-share="' + s.percent + '">' +
        swatch(COLORS[s.slot % COLORS.length]) + 'instance-' + (s.slot + 1) + ' <b>' + fmt(s.percent) + ' %</b> (' + s.requests + ' requests)</span>').join('')
    : '<span>no requests served in the last 60 s</span>';
}

function render() {
  if (!snap) return;
  $('sub').textContent = snap.mode + ' · app on ' + snap.appUrl + ' · ' + snap.sessions;
  control('load', 'Send load (20 s)', 'Send load: running…');
  control('overload', 'Overload (CPU, 10 s)', 'Overload: running…');
  control('roll', 'Roll all instances', 'Roll: running…');
  for (const key of ['ok', 'failed', 'shed', 'retried']) $(key).textContent = snap.load[key];
  $('failed-box').classList.toggle('bad', snap.load.failed > 0);
  const reasons = Object.entries(snap.load.shedReasons).map(([reason, n]) => reason + ' ' + n).join(', ');
  $('shed-reasons').textContent = reasons ? '(' + reasons + ')' : '';
  $('running').textContent = snap.load.running
    ? 'load running: ' + snap.load.users + ' users'
    : snap.load.lastError ? 'last failure: ' + snap.load.lastError : '';
  renderPool();
  renderCards();
  $('log').textContent = snap.log.join('\n');
}

const events = new EventSource('/events');
events.onmessage = (event) => {
  const s = JSON.parse(event.data);
  if (s.history) hist = s.history.slice();
  else if (s.sample) hist.push(s.sample);
  const newest = hist.length ? hist[hist.length - 1].t : 0;
  while (hist.length && hist[0].t < newest - s.historyMs) hist.shift();
  snap = s;
  for (const [key, p] of pending) if (p.answered) pending.delete(key);
  render();
};
events.onerror = () => {
  $('sub').textContent = 'disconnected from the demo; retrying…';
};
`;
