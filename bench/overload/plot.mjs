// Writes bench/overload/overload.svg: goodput and admitted p99 against offered load, one line per configuration.

const COLOURS = ['#7f7f7f', '#bcbd22', '#ff7f0e', '#1f77b4', '#8c564b', '#d62728', '#2ca02c', '#9467bd'];
const W = 460;
const H = 300;
const M = { left: 56, right: 14, top: 30, bottom: 44 };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** x: offered load (× capacity) on a log2 axis from 0.5 to 4. */
function xOf(load) {
  return M.left + ((Math.log2(load) + 1) / 3) * (W - M.left - M.right);
}

function panel({ x0, title, yLabel, yTicks, yOf, series, extra = '' }) {
  const out = [`<g transform="translate(${x0},0)">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  for (const t of yTicks) {
    const y = yOf(t.value);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${esc(t.label)}</text>`);
  }
  for (const load of [0.5, 0.8, 1, 1.5, 2, 4]) {
    const x = xOf(load);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${load}×</text>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">offered load (× measured capacity)</text>`);
  out.push(
    `<text transform="translate(14,${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  out.push(extra);
  for (const s of series) {
    const points = s.points.filter((p) => Number.isFinite(p.y));
    if (points.length === 0) continue;
    const d = points.map((p) => `${xOf(p.x).toFixed(1)},${yOf(p.y).toFixed(1)}`).join(' ');
    out.push(
      `<polyline points="${d}" fill="none" stroke="${s.colour}" stroke-width="${s.key?.includes('lbkit') ? 3 : 1.5}" ${s.dash ? 'stroke-dasharray="5,3"' : ''}/>`,
    );
    for (const p of points)
      out.push(
        `<circle cx="${xOf(p.x).toFixed(1)}" cy="${yOf(p.y).toFixed(1)}" r="2.5" fill="${s.colour}"/>`,
      );
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`,
  );
  out.push('</g>');
  return out.join('\n');
}

/**
 * `results`: [{ label, dash, cells: [{ load, goodput, p99 }] }]. Goodput on a linear axis (0–1.2 of
 * capacity, with the ideal min(load, 1) dotted); p99 on a log axis (1 ms – 30 s).
 */
export function plot(results, caption) {
  const series = results.map((r, i) => ({ ...r, colour: r.colour ?? COLOURS[i % COLOURS.length] }));
  const plotH = H - M.top - M.bottom;
  const gY = (v) => M.top + (1 - Math.min(v, 1.2) / 1.2) * plotH;
  const LOG_MIN = 0;
  const LOG_MAX = Math.log10(30_000);
  const pY = (v) =>
    M.top + (1 - (Math.log10(Math.max(1, Math.min(v, 30_000))) - LOG_MIN) / (LOG_MAX - LOG_MIN)) * plotH;
  const ideal = [0.5, 0.8, 1, 1.5, 2, 4]
    .map((x) => `${xOf(x).toFixed(1)},${gY(Math.min(x, 1)).toFixed(1)}`)
    .join(' ');
  const left = panel({
    x0: 0,
    title: 'Goodput (2xx within 1 s)',
    yLabel: 'fraction of capacity',
    yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2].map((v) => ({ value: v, label: v.toFixed(1) })),
    yOf: gY,
    series: series.map((s) => ({ ...s, points: s.cells.map((c) => ({ x: c.load, y: c.goodput })) })),
    extra: `<polyline points="${ideal}" fill="none" stroke="#000" stroke-width="1" stroke-dasharray="1,3"/>`,
  });
  const right = panel({
    x0: W,
    title: 'p99 latency of admitted requests',
    yLabel: 'ms (log scale)',
    yTicks: [1, 10, 100, 1000, 10_000].map((v) => ({
      value: v,
      label: v >= 1000 ? `${v / 1000} s` : `${v}`,
    })),
    yOf: pY,
    series: series.map((s) => ({ ...s, points: s.cells.map((c) => ({ x: c.load, y: c.p99 })) })),
  });
  const legendY = H + 10;
  const legend = series
    .map((s, i) => {
      const x = 20 + (i % 3) * 300;
      const y = legendY + Math.floor(i / 3) * 18;
      return `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${s.colour}" stroke-width="${s.key?.includes('lbkit') ? 3 : 1.5}" ${s.dash ? 'stroke-dasharray="5,3"' : ''}/><text x="${x + 28}" y="${y + 4}">${esc(s.label)}</text>`;
    })
    .join('\n');
  const rows = Math.ceil(series.length / 3);
  const total = legendY + rows * 18 + 22;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${total}" viewBox="0 0 ${2 * W} ${total}" font-family="sans-serif" font-size="11">
<title>Goodput and admitted p99 latency against offered load, one line per configuration</title>
<rect width="100%" height="100%" fill="#fff"/>
${left}
${right}
${legend}
<text x="20" y="${total - 6}" fill="#555">${esc(caption)}</text>
</svg>
`;
}
