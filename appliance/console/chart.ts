/**
 * A line chart as inline SVG, drawn on the server: no script, no external file, allowed by the
 * console's content security policy (SVG attributes are not inline styles; the colours come
 * from console.css through the series' class). Minutes are summed into `bucket`-minute points
 * so a long window stays a few hundred points.
 */
import { html } from 'hono/html';
import type { Html } from './layout.ts';

export interface ChartSeries {
  /** CSS class of the line and its legend swatch (`series-<name>` in console.css). */
  name: string;
  label: string;
  values: number[];
}

const W = 720;
const H = 200;
const PAD = { left: 40, right: 8, top: 8, bottom: 22 };

function sumInto(values: number[], bucket: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += bucket) out.push(values.slice(i, i + bucket).reduce((a, b) => a + b, 0));
  return out;
}

/** Times along the x axis: the window's start, middle and end as HH:MM (UTC, like the logs). */
function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

export function lineChart(o: { start: number; minutes: number; series: ChartSeries[]; title: string; unit: string }): Html {
  const bucket = Math.max(1, Math.ceil(o.minutes / 180));
  const series = o.series.map((s) => ({ ...s, points: sumInto(s.values, bucket) }));
  const n = series[0]?.points.length ?? 0;
  const max = Math.max(1, ...series.flatMap((s) => s.points));
  const x = (i: number) => PAD.left + (n <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (n - 1));
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const end = o.start + o.minutes * 60_000;
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${o.title}" xmlns="http://www.w3.org/2000/svg">
<title>${o.title}</title>
<line class="axis" x1="${PAD.left}" y1="${y(0)}" x2="${W - PAD.right}" y2="${y(0)}"/>
<line class="grid" x1="${PAD.left}" y1="${y(max)}" x2="${W - PAD.right}" y2="${y(max)}"/>
<text class="tick" x="${PAD.left - 4}" y="${y(max) + 4}" text-anchor="end">${max}</text>
<text class="tick" x="${PAD.left - 4}" y="${y(0) + 4}" text-anchor="end">0</text>
<text class="tick" x="${PAD.left}" y="${H - 6}">${hhmm(o.start)}</text>
<text class="tick" x="${(PAD.left + W - PAD.right) / 2}" y="${H - 6}" text-anchor="middle">${hhmm((o.start + end) / 2)}</text>
<text class="tick" x="${W - PAD.right}" y="${H - 6}" text-anchor="end">${hhmm(end)} UTC</text>
${series.map((s) => html`<polyline class="line series-${s.name}" fill="none" points="${s.points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${s.label}</title></polyline>`)}
</svg>
<figcaption>${o.unit.replace('{n}', String(bucket))} ${series.map((s) => html`<span class="legend series-${s.name}">${s.label}</span> `)}</figcaption>
</figure>`;
}
