/**
 * The benchmark's results as an SVG (no dependency): req/s per target and case on the
 * left, p50 (bar) and p99 (whisker) on the right, and the one-connection p50 of our gateway
 * beside the physical limit below.
 */
export interface ChartRow {
  target: string;
  case: string;
  rps: number;
  p50: number;
  p99: number;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#64748b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function panel(x0: number, y0: number, w: number, h: number, title: string, unit: string, cases: string[], targets: string[], value: (t: string, c: string) => number | undefined, whisker?: (t: string, c: string) => number | undefined): string {
  const all = cases.flatMap((c) => targets.flatMap((t) => [value(t, c), whisker?.(t, c)])).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const max = niceMax(Math.max(...all, 0));
  const out: string[] = [`<text x="${x0}" y="${y0 - 8}" font-weight="bold">${esc(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const y = y0 + h - (h * i) / 4;
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`, `<text x="${x0 - 4}" y="${y + 4}" text-anchor="end" font-size="10">${+((max * i) / 4).toFixed(1)}</text>`);
  }
  out.push(`<text x="${x0 - 34}" y="${y0 + h / 2}" font-size="10" transform="rotate(-90 ${x0 - 34} ${y0 + h / 2})" text-anchor="middle">${esc(unit)}</text>`);
  const group = w / cases.length;
  const bar = Math.min(28, (group * 0.8) / targets.length);
  cases.forEach((c, ci) => {
    const gx = x0 + ci * group + (group - bar * targets.length) / 2;
    targets.forEach((t, ti) => {
      const v = value(t, c);
      if (v === undefined || !Number.isFinite(v)) return;
      const bh = (h * v) / max;
      const x = gx + ti * bar;
      out.push(`<rect x="${x.toFixed(1)}" y="${(y0 + h - bh).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[ti % COLORS.length]}"><title>${esc(`${t}, ${c}: ${v.toFixed(1)} ${unit}`)}</title></rect>`);
      out.push(`<text x="${(x + bar / 2 - 1).toFixed(1)}" y="${(y0 + h - bh - 3).toFixed(1)}" font-size="9" text-anchor="middle">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`);
      const wv = whisker?.(t, c);
      if (wv !== undefined && Number.isFinite(wv)) {
        const wy = y0 + h - (h * wv) / max;
        const cx = x + bar / 2 - 1;
        out.push(`<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${(y0 + h - bh).toFixed(1)}" y2="${wy.toFixed(1)}" stroke="#111" stroke-width="1"/>`, `<line x1="${(cx - 4).toFixed(1)}" x2="${(cx + 4).toFixed(1)}" y1="${wy.toFixed(1)}" y2="${wy.toFixed(1)}" stroke="#111"/>`);
      }
    });
    out.push(`<text x="${(x0 + ci * group + group / 2).toFixed(1)}" y="${y0 + h + 14}" text-anchor="middle">(${esc(c)})</text>`);
  });
  return out.join('\n');
}

export function chartSvg(title: string, subtitle: string, load: ChartRow[], lowLoad: ChartRow[]): string {
  const cases = [...new Set(load.map((r) => r.case))];
  const targets = [...new Set(load.map((r) => r.target))];
  const lowTargets = [...new Set(lowLoad.map((r) => r.target))];
  const find = (rows: ChartRow[], t: string, c: string) => rows.find((r) => r.target === t && r.case === c);
  const W = 960;
  const legend = (names: string[], y: number) =>
    names.map((t, i) => `<rect x="${60 + (i % 3) * 300}" y="${y + Math.floor(i / 3) * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${75 + (i % 3) * 300}" y="${y + 9 + Math.floor(i / 3) * 16}">${esc(t)}</text>`).join('\n');
  const H = 640;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="20" y="40" font-size="11" fill="#374151">${esc(subtitle)}</text>
${legend(targets, 52)}
${panel(60, 110, 400, 200, 'req/s (median of rounds), 10 connections', 'req/s', cases, targets, (t, c) => find(load, t, c)?.rps)}
${panel(540, 110, 400, 200, 'p50 (bar) and p99 (whisker), ms', 'ms', cases, targets, (t, c) => find(load, t, c)?.p50, (t, c) => find(load, t, c)?.p99)}
${legend(lowTargets, 370)}
${panel(60, 420, 880, 170, 'one connection: p50 (bar) and p99 (whisker), ms', 'ms', cases, lowTargets, (t, c) => find(lowLoad, t, c)?.p50, (t, c) => find(lowLoad, t, c)?.p99)}
</svg>
`;
}
