// The bar chart of the place profile, shared with the partnership reports: hand-written SVG (no
// charting dependency) with its numbers as a table (in a <details>, opened for print) for screen
// readers. A value may be a suppressed count ("<5"): drawn as no bar with "<5" over the baseline,
// and shown as such in the table.
import { bars } from './charts';

export function Numbers({ caption, head, rows, testid }: { caption: string; head: string[]; rows: (string | number)[][]; testid: string }) {
  return (
    <details class="numbers">
      <summary>The numbers as a table</summary>
      <table data-testid={testid}>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (j === 0 ? <th key={j} scope="row">{c}</th> : <td key={j}>{c}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export interface BarPoint {
  label: string;
  /** A number, or a shown-as-text value such as "<5" (drawn as no bar), or null (none). */
  value: number | string | null;
}

const W = 320;
const H = 120;

/** Vertical bars with the top of the axis, a baseline, every `tickEvery`-th label under it, and
 * the numbers as a table below. */
export function BarChart({
  points,
  label,
  caption,
  head,
  testid,
  tick = (l) => l,
  tickEvery = 4,
  totalRow,
}: {
  points: BarPoint[];
  /** The chart's accessible name (what the table below has). */
  label: string;
  caption: string;
  head: [string, string];
  testid: string;
  tick?: (label: string) => string;
  tickEvery?: number;
  totalRow?: (string | number)[];
}) {
  const { bars: shown, max } = bars(
    points.map((p) => ({ label: p.label, value: typeof p.value === 'number' ? p.value : 0 })),
    W - 24,
    H - 20,
  );
  return (
    <>
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid={`${testid}-chart`}>
        <text x="0" y="10" class="axis">{max}</text>
        <text x="0" y={H - 20} class="axis">0</text>
        <line x1="24" x2={W} y1={H - 20} y2={H - 20} class="baseline" />
        <g transform="translate(24 0)">
          {shown.map((b) => (
            <rect key={b.label} x={b.x} y={b.y} width={b.width} height={b.height} class="bar" />
          ))}
          {shown.map((b, i) =>
            typeof points[i].value === 'string' ? (
              <text key={`s${b.label}`} x={b.x + b.width / 2} y={H - 23} class="axis" text-anchor="middle">
                {points[i].value}
              </text>
            ) : null,
          )}
          {shown.map((b, i) =>
            i % tickEvery === 0 || i === shown.length - 1 ? (
              <text key={`l${b.label}`} x={b.x + b.width / 2} y={H - 6} class="axis" text-anchor="middle">
                {tick(b.label)}
              </text>
            ) : null,
          )}
        </g>
      </svg>
      <Numbers
        caption={caption}
        head={head}
        rows={[...points.map((p) => [p.label, p.value ?? '–']), ...(totalRow ? [totalRow] : [])]}
        testid={testid}
      />
    </>
  );
}
