import { useLayoutEffect, useRef, useState } from "react";

// A small line chart of an analytics envelope's series, hand-written in SVG
// (no chart library: a few lines of drawing weigh less than one), and its
// rows as a table.

type Point = { x: string; y: number };
const isDate = (x: unknown) => typeof x === "string" && /^\d{4}-\d{2}-\d{2}/.test(x);
const num = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
const HEIGHT = 180;
const COLORS = 8; // .s0 to .s7 in style.css

/** The series whose points all have a date for x and a number for y, each sorted by date. */
export function dateSeries(series: unknown): [string, Point[]][] {
  if (!series || typeof series !== "object" || Array.isArray(series)) return [];
  return Object.entries(series as Record<string, unknown>)
    .filter((e): e is [string, Point[]] =>
      Array.isArray(e[1]) && e[1].length > 0 &&
      e[1].every((p) => p && isDate(p.x) && typeof p.y === "number" && Number.isFinite(p.y)))
    .map(([name, points]) => [name, [...points].sort((a, b) => (a.x < b.x ? -1 : a.x > b.x ? 1 : 0))]);
}

/** A line per series over its dates: the first and last date under it, the lowest and highest value beside it. */
export function Chart({ series }: { series: [string, Point[]][] }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  const [hidden, setHidden] = useState<string[]>([]);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const shown = series.map((s, i) => ({ name: s[0], points: s[1], color: i % COLORS })).filter((s) => !hidden.includes(s.name));
  const dates = [...new Set(shown.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const ys = shown.flatMap((s) => s.points.map((p) => p.y));
  const min = ys.length ? Math.min(...ys) : 0;
  const max = ys.length ? Math.max(...ys) : 0;
  const [lo, hi] = min === max ? [min - 1, max + 1] : [min, max];
  const left = Math.max(num.format(min).length, num.format(max).length) * 7 + 10;
  const plotW = Math.max(width - left - 8, 10);
  const plotH = HEIGHT - 30;
  // The dots 4 px inside the axes, off the y axis.
  const at = new Map(dates.map((d, i) => [d, left + 4 + (dates.length > 1 ? (i / (dates.length - 1)) * (plotW - 8) : (plotW - 8) / 2)]));
  const yOf = (y: number) => 8 + (1 - (y - lo) / (hi - lo)) * plotH;
  const first = dates[0] ?? "";
  const last = dates[dates.length - 1] ?? "";
  const r = dates.length > 60 ? 1.5 : 2.5;
  const summary = shown.length
    ? `Line chart of ${shown.length} ${shown.length === 1 ? "column" : "columns"} over ${dates.length} dates, ${first} to ${last}: ` +
      shown.map((s) => {
        const v = s.points.map((p) => p.y);
        return `${s.name} from ${num.format(Math.min(...v))} to ${num.format(Math.max(...v))}`;
      }).join("; ")
    : "Line chart with every column hidden";

  return (
    <figure className="chart" data-testid="chart">
      <ul className="legend" aria-label="Columns drawn">
        {series.map(([name], i) => (
          <li key={name}>
            <label className="inline">
              <input type="checkbox" checked={!hidden.includes(name)}
                onChange={(e) => setHidden(e.target.checked ? hidden.filter((h) => h !== name) : [...hidden, name])} />
              <span className={"swatch s" + (i % COLORS)} aria-hidden="true" />
              {name}
            </label>
          </li>
        ))}
      </ul>
      <div ref={box} className="chart-box">
        {width > 0 ? (
          <svg width={width} height={HEIGHT} role="img" aria-label={summary} data-testid="chart-svg">
            <line className="axis" x1={left} y1={8} x2={left} y2={8 + plotH} />
            <line className="axis" x1={left} y1={8 + plotH} x2={left + plotW} y2={8 + plotH} />
            {shown.length ? (
              <>
                <text className="tick" x={left - 4} y={12} textAnchor="end">{num.format(max)}</text>
                <text className="tick" x={left - 4} y={8 + plotH} textAnchor="end">{num.format(min)}</text>
                <text className="tick" x={left} y={HEIGHT - 4} data-testid="chart-first">{first}</text>
                <text className="tick" x={left + plotW} y={HEIGHT - 4} textAnchor="end" data-testid="chart-last">{last}</text>
              </>
            ) : null}
            {shown.map((s) => (
              <g key={s.name} className={"series s" + s.color} data-series={s.name}>
                <polyline fill="none" points={s.points.map((p) => `${at.get(p.x)},${yOf(p.y)}`).join(" ")} />
                {s.points.map((p, i) => (
                  <circle key={i} cx={at.get(p.x)} cy={yOf(p.y)} r={r}>
                    <title>{`${s.name} on ${p.x}: ${num.format(p.y)}`}</title>
                  </circle>
                ))}
              </g>
            ))}
          </svg>
        ) : null}
      </div>
    </figure>
  );
}

/** The rows as a table, one column per key (in the order first met); the first 200 rows. */
export function Rows({ rows }: { rows: unknown }) {
  if (!Array.isArray(rows) || !rows.length || !rows.every((r) => r && typeof r === "object" && !Array.isArray(r))) return null;
  const list = rows as Record<string, unknown>[];
  const columns = [...new Set(list.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "number" ? num.format(v) : typeof v === "object" ? JSON.stringify(v) : String(v));
  return (
    <details className="rows" open data-testid="rows">
      <summary>
        rows: {list.length}
        {list.length > 200 ? " (the first 200 shown)" : ""}
      </summary>
      <div className="rows-box">
        <table>
          <thead>
            <tr>{columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
          </thead>
          <tbody>
            {list.slice(0, 200).map((r, i) => (
              <tr key={i}>
                {columns.map((c) => <td key={c} className={typeof r[c] === "number" ? "num" : undefined}>{cell(r[c])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
