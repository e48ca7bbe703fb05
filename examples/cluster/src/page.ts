// The live page of `pnpm demo`: one card per instance, updated by server-sent events, with the demo's buttons.

/** The whole page: HTML, CSS and a small script reading /events and posting to /api. */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lbkit demo</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2433; background: #f4f6fa; }
  body { margin: 0; padding: 20px 28px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .sub { color: #5b6475; font-size: 13px; margin-bottom: 16px; }
  .bar { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; background: #fff; border-radius: 10px;
         padding: 12px 16px; box-shadow: 0 1px 3px #0001; margin-bottom: 16px; }
  button { font: inherit; font-size: 13px; border: 1px solid #c5ccd8; background: #fff; border-radius: 6px;
           padding: 5px 12px; cursor: pointer; }
  button.primary { background: #2557d6; color: #fff; border-color: #2557d6; }
  button:hover { filter: brightness(0.95); }
  .counter { font-size: 13px; color: #5b6475; }
  .counter b { font-size: 20px; color: #1d2433; margin-right: 4px; }
  .counter.failed b { color: #178a3f; }
  .counter.failed.bad b { color: #c62828; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 14px; }
  .card { background: #fff; border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 3px #0001;
          border-top: 4px solid #9aa3b2; }
  .card.ready { border-top-color: #178a3f; }
  .card.starting { border-top-color: #d68f00; }
  .card.draining { border-top-color: #d65a00; }
  .card.stopped, .card.exited { border-top-color: #9aa3b2; opacity: 0.75; }
  .card h2 { font-size: 15px; margin: 0; display: flex; justify-content: space-between; align-items: center; }
  .state { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 10px; background: #eef0f4; }
  .ready .state { background: #dff3e6; color: #146c33; }
  .starting .state { background: #fff1d6; color: #8a5b00; }
  .draining .state { background: #ffe6d6; color: #a84400; }
  .meta { font-size: 12px; color: #5b6475; margin: 2px 0 10px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 3px 12px; font-size: 13px; margin: 0 0 12px; }
  dt { color: #5b6475; } dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
  .old { font-size: 12px; color: #a84400; margin-bottom: 8px; }
  .actions { display: flex; gap: 8px; }
  .log { margin-top: 16px; background: #fff; border-radius: 10px; padding: 10px 16px; box-shadow: 0 1px 3px #0001;
         font: 12px ui-monospace, monospace; color: #3b4354; white-space: pre-line; min-height: 60px; }
</style>
</head>
<body>
<h1>lbkit demo</h1>
<div class="sub" id="sub">connecting…</div>
<div class="bar">
  <button class="primary" id="load" data-testid="send-load">Send load (20 s)</button>
  <button id="overload" data-testid="overload">Overload (CPU, 10 s)</button>
  <button id="roll" data-testid="roll">Roll all instances</button>
  <span class="counter"><b id="ok" data-testid="ok">0</b>ok</span>
  <span class="counter failed" id="failed-box"><b id="failed" data-testid="failed">0</b>failed</span>
  <span class="counter"><b id="shed">0</b>shed (503)</span>
  <span class="counter"><b id="retried">0</b>retried</span>
  <span class="counter" id="running"></span>
</div>
<div class="grid" id="instances" data-testid="instances"></div>
<div class="log" id="log" data-testid="log"></div>
<script>
const post = (path) => fetch(path, { method: 'POST' });
document.getElementById('load').onclick = () => post('/api/load?seconds=20&users=8');
document.getElementById('overload').onclick = () => post('/api/load?seconds=10&users=32&mix=cpu');
document.getElementById('roll').onclick = () => post('/api/roll');
const fmt = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
function card(slot, workers, answers) {
  const current = workers[workers.length - 1];
  const older = workers.slice(0, -1).filter((w) => w.status !== 'exited');
  const state = current.state;
  const name = current.instance || 'instance-' + (slot + 1);
  const rows = [
    ['in flight', current.inFlight],
    ['concurrency limit', current.limit],
    ['shed / s', fmt(current.shedPerSecond)],
    ['served / s', fmt(current.servedPerSecond)],
    ['answers to the load', answers[name] || 0],
    ['health', current.health],
    ['sessions', current.sessions + (current.sessions === 'redis' ? ' · ' + current.sessionOps + ' ops' : '')],
  ];
  const restartLabel = current.status === 'exited' ? 'Start' : 'Restart';
  return '<div class="card ' + esc(state) + '" data-slot="' + (slot + 1) + '" data-testid="instance">' +
    '<h2><span>' + esc(name) + '</span><span class="state" data-field="state">' + esc(state) + '</span></h2>' +
    '<div class="meta">pid ' + esc(current.pid) + ' · generation ' + current.generation +
    (current.status === 'exited' ? ' · exit code ' + esc(current.exitCode) : '') + '</div>' +
    older.map((w) => '<div class="old">pid ' + esc(w.pid) + ' ' + esc(w.state) + ' (' + w.inFlight + ' in flight)</div>').join('') +
    '<dl>' + rows.map(([k, v]) => '<dt>' + k + '</dt><dd data-field="' + k + '">' + esc(v) + '</dd>').join('') + '</dl>' +
    '<div class="actions"><button data-action="drain" data-slot="' + (slot + 1) + '"' +
    (current.status === 'exited' || current.status === 'draining' ? ' disabled' : '') + '>Drain</button>' +
    '<button data-action="restart" data-slot="' + (slot + 1) + '">' + restartLabel + '</button></div></div>';
}
document.getElementById('instances').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (button) post('/api/instances/' + button.dataset.slot + '/' + button.dataset.action);
});
const events = new EventSource('/events');
events.onmessage = (event) => {
  const s = JSON.parse(event.data);
  document.getElementById('sub').textContent =
    s.mode + ' · app on ' + s.appUrl + ' · ' + s.sessions;
  const bySlot = new Map();
  for (const w of s.instances) {
    if (!bySlot.has(w.slot)) bySlot.set(w.slot, []);
    bySlot.get(w.slot).push(w);
  }
  document.getElementById('instances').innerHTML = [...bySlot.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([slot, workers]) => card(slot, workers, s.load.byInstance))
    .join('');
  for (const key of ['ok', 'failed', 'shed', 'retried']) document.getElementById(key).textContent = s.load[key];
  document.getElementById('failed-box').classList.toggle('bad', s.load.failed > 0);
  document.getElementById('running').textContent = s.load.running
    ? 'load running: ' + s.load.users + ' users'
    : s.load.lastError ? 'last failure: ' + s.load.lastError : '';
  document.getElementById('log').textContent = s.log.join('\\n');
};
</script>
</body>
</html>
`;
