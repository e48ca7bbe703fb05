// The live page of `pnpm demo`: its HTML (with the legend of every counter) and CSS; the script is page-script.ts.

/** The page's style sheet, served as /page.css. */
export const PAGE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2433; background: #f4f6fa; }
body { margin: 0; padding: 20px 28px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 0; }
.sub { color: #5b6475; font-size: 13px; margin-bottom: 16px; }
.panel { background: #fff; border-radius: 10px; padding: 12px 16px; box-shadow: 0 1px 3px #0001; margin-bottom: 16px; }
.bar { display: flex; gap: 18px; align-items: flex-start; flex-wrap: wrap; }
.control { display: flex; flex-direction: column; align-items: flex-start; gap: 4px; max-width: 340px; }
.status { font-size: 12px; color: #5b6475; min-height: 15px; }
.status.bad { color: #c62828; }
button { font: inherit; font-size: 13px; border: 1px solid #c5ccd8; background: #fff; border-radius: 6px;
         padding: 5px 12px; cursor: pointer; }
button.primary { background: #2557d6; color: #fff; border-color: #2557d6; }
button:hover:not(:disabled) { filter: brightness(0.95); }
button:disabled { cursor: default; opacity: 0.6; }
button.running { background: #fff1d6; color: #8a5b00; border-color: #d68f00; opacity: 1; }
.counters { display: flex; gap: 16px; flex-wrap: wrap; margin-top: 10px; padding-top: 10px; border-top: 1px solid #eef0f4; }
.counter { font-size: 13px; color: #5b6475; }
.counter b { font-size: 20px; color: #1d2433; margin-right: 4px; }
.counter.failed b { color: #178a3f; }
.counter.failed.bad b { color: #c62828; }
.pool { display: grid; grid-template-columns: 230px 1fr 1fr; gap: 16px; align-items: start; }
.pool dl { margin: 8px 0 0; }
.share { margin-top: 12px; }
.share-bar { display: flex; height: 22px; border-radius: 6px; overflow: hidden; background: #eef0f4; margin: 6px 0; }
.share-bar span { display: block; height: 100%; color: #fff; font-size: 12px; line-height: 22px; text-align: center;
                  overflow: hidden; white-space: nowrap; }
.share-list { display: flex; gap: 16px; flex-wrap: wrap; font-size: 13px; }
.swatch { display: inline-block; width: 10px; height: 10px; flex: none; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
.card { background: #fff; border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 3px #0001;
        border-top: 4px solid #9aa3b2; }
.card.ready { border-top-color: #178a3f; }
.card.starting { border-top-color: #d68f00; }
.card.draining { border-top-color: #d65a00; }
.card.stopped, .card.exited { border-top-color: #9aa3b2; opacity: 0.75; }
.card h2 { display: flex; justify-content: space-between; align-items: center; }
.state { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 10px; background: #eef0f4; }
.ready .state { background: #dff3e6; color: #146c33; }
.starting .state { background: #fff1d6; color: #8a5b00; }
.draining .state { background: #ffe6d6; color: #a84400; }
.meta { font-size: 12px; color: #5b6475; margin: 2px 0 10px; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 3px 12px; font-size: 13px; margin: 0 0 10px; }
dt { color: #5b6475; } dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: 11px; color: #7a8294; text-align: right; margin: -8px 0 10px; }
.old { font-size: 12px; color: #a84400; margin-bottom: 8px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 12px; margin-bottom: 10px; }
.chart { font-size: 11px; color: #5b6475; }
.chart .head { display: flex; justify-content: space-between; gap: 6px; }
.chart .keys span { margin-left: 8px; white-space: nowrap; }
.chart svg.plot { display: block; width: 100%; height: auto; background: #fafbfd; border: 1px solid #eef0f4; border-radius: 4px; }
.chart .axis { display: flex; justify-content: space-between; color: #9aa3b2; font-size: 10px; }
.actions { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.result { font-size: 12px; color: #5b6475; margin-top: 6px; min-height: 15px; }
.result.bad { color: #c62828; }
.legend dl { grid-template-columns: 170px 1fr; gap: 6px 16px; font-size: 12.5px; }
.legend dd { text-align: left; color: #3b4354; }
.legend h2 { margin-bottom: 8px; }
.log { font: 12px ui-monospace, monospace; color: #3b4354; white-space: pre-line; min-height: 60px; }
@media (max-width: 900px) { .pool { grid-template-columns: 1fr; } }
`;

const LEGEND: ReadonlyArray<readonly [string, string]> = [
  ['ok', "Requests of the page's load (the buttons) answered: 2xx, 3xx or 4xx."],
  [
    'failed',
    "Requests of the page's load that got no answer (refused, reset, timed out) or a 5xx other than a shed 503. The number that must stay 0 through drains, restarts and rolls.",
  ],
  [
    'shed (503)',
    "Requests an instance's load shedder answered 503 with Retry-After: the instance protecting itself under overload, counted apart from failures (a balancer or client retries later or elsewhere).",
  ],
  [
    'retried',
    'GETs sent a second time because the server closed a reused keep-alive connection just as the request went out, as browsers and balancers do. The only retry.',
  ],
  [
    'served / s',
    "Requests the instance's load shedder admitted per second: all traffic to the app, not only the page's load (health probes and /metrics are exempt and not counted).",
  ],
  ['shed / s', 'Requests the instance answered with a shed 503 per second.'],
  [
    'p50 / p99 latency',
    "Median and 99th percentile of the time the page's load waited for the answers this instance gave (client side, through the balancer), per half second. No line while the load sends nothing; the normal mix includes /slow?ms=50.",
  ],
  [
    'concurrency limit',
    'A ceiling on requests in flight, not a measure of load. It reads 1000 (the maximum) until the instance has seen 10 requests in a 100 ms window; then it starts at 20 or twice the peak in flight and moves only while requests arrive: cut when requests queue for the event loop, raised when in flight reaches half of it. Idle or under light load it holds its last value, which then limits nothing.',
  ],
  ['in flight', 'Requests the instance is handling now; queued: waiting in its admission queue for a slot.'],
  [
    'answers to the load',
    "How many of the page's load requests this instance answered since the demo started.",
  ],
  [
    'health',
    'Readiness as a balancer sees it: pass; warn (shedding for 10 s, still HTTP 200); fail (draining, or a dependency down).',
  ],
  [
    'sessions',
    'redis: shared by every instance. memory: this instance only. "closed by the drain" / "closed with the instance": the instance closed its Redis connection as it stopped, not a Redis outage. "unreachable": a ready instance that cannot reach Redis.',
  ],
  [
    'share of requests',
    "Each instance's part of the requests served over the last 60 s: the balance made visible. node:cluster's primary hands out connections round robin, blind to load, unless --balance picks another policy, and a keep-alive connection stays with the instance that accepted it; with --lb, HAProxy or nginx picks an instance per request (round robin in examples/lb).",
  ],
  [
    'state',
    'starting, ready, draining (readiness fails, responses carry Connection: close), stopped, exited (the slot is empty until Start). generation: how many processes have run in the slot.',
  ],
  [
    'buttons',
    'A running action shows as "running…" and its button is disabled; its result stays beside it. Roll all instances sends a bounded background load (4 users) for the whole roll, so its failed count is of real requests.',
  ],
];

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The whole page; it loads /page.css and /page.js from the same server, nothing from elsewhere. */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lbkit demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/page.css">
</head>
<body>
<h1>lbkit demo</h1>
<div class="sub" id="sub">connecting…</div>
<div class="panel">
  <div class="bar">
    <div class="control"><button class="primary" id="load" data-testid="send-load">Send load (20 s)</button>
      <span class="status" id="load-status" data-testid="load-status"></span></div>
    <div class="control"><button id="overload" data-testid="overload">Overload (CPU, 10 s)</button>
      <span class="status" id="overload-status" data-testid="overload-status"></span></div>
    <div class="control"><button id="roll" data-testid="roll">Roll all instances</button>
      <span class="status" id="roll-status" data-testid="roll-status"></span></div>
  </div>
  <div class="counters">
    <span class="counter" title="${esc(LEGEND[0]![1])}"><b id="ok" data-testid="ok">0</b>ok</span>
    <span class="counter failed" id="failed-box" title="${esc(LEGEND[1]![1])}"><b id="failed" data-testid="failed">0</b>failed</span>
    <span class="counter" title="${esc(LEGEND[2]![1])}"><b id="shed">0</b>shed (503) <small id="shed-reasons" data-testid="shed-reasons"></small></span>
    <span class="counter" title="${esc(LEGEND[3]![1])}"><b id="retried">0</b>retried</span>
    <span class="counter" id="running"></span>
  </div>
</div>
<div class="panel" data-testid="pool">
  <div class="pool">
    <div><h2>Pool</h2><dl id="pool-figures"></dl></div>
    <div id="pool-requests"></div>
    <div id="pool-latency"></div>
  </div>
  <div class="share" data-testid="share"><b>Share of requests served, last 60 s</b>
    <div class="share-bar" id="share-bar"></div><div class="share-list" id="share-list"></div></div>
</div>
<div class="grid" id="instances" data-testid="instances"></div>
<div class="panel legend" data-testid="legend"><h2>Legend</h2><dl>
${LEGEND.map(([term, text]) => `  <dt>${esc(term)}</dt><dd>${esc(text)}</dd>`).join('\n')}
</dl></div>
<div class="panel log" id="log" data-testid="log"></div>
<script src="/page.js"></script>
</body>
</html>
`;
