/**
 * Plots as standalone SVG files that any browser or image viewer opens: line charts (several
 * series over a numeric x axis) and bar charts. No plotting dependency.
 */

export interface Series {
  name: string;
  points: [number, number][];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines, e.g. a latency budget. */
  hLines?: { y: number; label: string }[];
  /** Draw points as dots as well as lines. */
  dots?: boolean;
  /** Start the x axis at 0 rather than at the smallest x. */
  xFromZero?: boolean;
  /** Top of the y axis; larger values are drawn at the top (say so in the title). */
  yMax?: number;
}

export interface BarChart {
  title: string;
  xLabel: string;
  yLabel: string;
  bars: { label: string; value: number; color?: string }[];
}

const W = 800;
const H = 460;
const M = { left: 80, right: 190, top: 50, bottom: 70 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}

/** Extra room below the plot for rotated bar labels. */
const BAR_LABEL_ROOM = 70;

function frame(title: string, xLabel: string, yLabel: string, body: string[], extraBottom = 0): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const h = H + extraBottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${h}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${h - 20}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(20 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...body,
    '</svg>'
  ].join('\n');
}

export function lineChartSvg(c: LineChart): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const all = c.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = [...all.map((p) => p[1]), ...(c.hLines ?? []).map((l) => l.y), 0];
  const x0 = c.xFromZero ? Math.min(0, ...xs) : xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  const y1 = c.yMax ?? (Math.max(...ys) * 1.08 || 1);
  const xt = ticks(x0, x1 > x0 ? x1 : x0 + 1);
  const yt = ticks(0, y1);
  const X = (v: number) => M.left + ((v - x0) / ((x1 > x0 ? x1 : x0 + 1) - x0)) * pw;
  const Y = (v: number) => M.top + ph - (Math.min(v, y1) / y1) * ph;
  const body: string[] = [];
  for (const t of xt) body.push(`<line x1="${X(t)}" y1="${M.top + ph}" x2="${X(t)}" y2="${M.top + ph + 5}" stroke="#333"/><text x="${X(t)}" y="${M.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of yt) body.push(`<line x1="${M.left}" y1="${Y(t)}" x2="${M.left + pw}" y2="${Y(t)}" stroke="#eee"/><text x="${M.left - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  for (const l of c.hLines ?? []) {
    body.push(`<line x1="${M.left}" y1="${Y(l.y)}" x2="${M.left + pw}" y2="${Y(l.y)}" stroke="#999" stroke-dasharray="6 4"/><text x="${M.left + pw - 4}" y="${Y(l.y) - 4}" text-anchor="end" fill="#666">${esc(l.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) body.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    if (c.dots || pts.length === 1) for (const [x, y] of pts) body.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${color}"/>`);
    if (i < 24) {
      const ly = M.top + 10 + i * 16;
      body.push(`<rect x="${W - M.right + 12}" y="${ly - 8}" width="12" height="3" fill="${color}"/><text x="${W - M.right + 30}" y="${ly - 3}">${esc(s.name)}</text>`);
    }
  });
  return frame(c.title, c.xLabel, c.yLabel, body);
}

export function barChartSvg(c: BarChart): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const y1 = Math.max(0, ...c.bars.map((b) => b.value)) * 1.08 || 1;
  const yt = ticks(0, y1);
  const Y = (v: number) => M.top + ph - (v / y1) * ph;
  const slot = pw / Math.max(1, c.bars.length);
  const body: string[] = [];
  for (const t of yt) body.push(`<line x1="${M.left}" y1="${Y(t)}" x2="${M.left + pw}" y2="${Y(t)}" stroke="#eee"/><text x="${M.left - 6}" y="${Y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  const every = Math.ceil(c.bars.length / 40);
  c.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.1;
    body.push(`<rect x="${x.toFixed(1)}" y="${Y(b.value).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${(M.top + ph - Y(b.value)).toFixed(1)}" fill="${b.color ?? COLORS[0]}"><title>${esc(b.label)}: ${fmt(b.value)}</title></rect>`);
    if (i % every === 0) {
      const lx = M.left + i * slot + slot / 2;
      body.push(`<text transform="translate(${lx.toFixed(1)} ${M.top + ph + 12}) rotate(45)" font-size="10">${esc(b.label)}</text>`);
    }
  });
  return frame(c.title, c.xLabel, c.yLabel, body, BAR_LABEL_ROOM);
}
