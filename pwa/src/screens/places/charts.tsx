// Small SVG charts for a place's profile, with the numbers behind each as a table (screen
// readers read the table; the SVG is hidden from them). No charting library: the shapes are
// simple and the bundle stays small. Printable: black on white, no colour needed to read.
import type { components } from '../../api/schema';

type WeekCount = components['schemas']['WeekCount'];
type HourCell = components['schemas']['HourCell'];

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Bar heights in chart units (0..height), proportional to the largest count. */
export function barHeights(counts: number[], height: number): number[] {
  const top = Math.max(0, ...counts);
  return counts.map((c) => (top ? Math.round((c / top) * height) : 0));
}

/** A 7 × 24 grid (ISO weekday 1..7, hour 0..23) of counts, and the largest. */
export function hourGrid(cells: HourCell[]): { grid: number[][]; top: number } {
  const grid = WEEKDAYS.map(() => Array.from({ length: 24 }, () => 0));
  for (const c of cells) {
    if (c.weekday >= 1 && c.weekday <= 7 && c.hour >= 0 && c.hour <= 23) grid[c.weekday - 1]![c.hour] = c.incidents;
  }
  return { grid, top: Math.max(0, ...cells.map((c) => c.incidents)) };
}

/** A shade step (0 = none … 4 = most) for a cell: readable in print and without colour. */
export function shade(count: number, top: number): number {
  if (!count || !top) return 0;
  return Math.max(1, Math.min(4, Math.ceil((count / top) * 4)));
}

export function WeeklyBars({ weeks }: { weeks: WeekCount[] }) {
  const width = Math.max(weeks.length * 22, 120);
  const height = 80;
  const heights = barHeights(
    weeks.map((w) => w.incidents),
    height - 14,
  );
  return (
    <figure class="chart" data-testid="weekly-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="presentation" aria-hidden="true" class="bars">
        {weeks.map((w, i) => (
          <g key={w.week}>
            <rect x={i * 22 + 3} y={height - 12 - heights[i]!} width={16} height={heights[i]!} class="bar" />
            {w.incidents ? (
              <text x={i * 22 + 11} y={height - 14 - heights[i]!} text-anchor="middle" class="count">
                {w.incidents}
              </text>
            ) : null}
          </g>
        ))}
        <line x1="0" x2={width} y1={height - 12} y2={height - 12} class="axis" />
      </svg>
      <figcaption>Incidents per week, oldest first</figcaption>
      <details>
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Week</th>
              <th scope="col">Incidents</th>
            </tr>
          </thead>
          <tbody>
            {weeks.map((w) => (
              <tr key={w.week}>
                <td>{w.week}</td>
                <td>{w.incidents}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export function HourHeatMap({ cells }: { cells: HourCell[] }) {
  const { grid, top } = hourGrid(cells);
  const size = 12;
  return (
    <figure class="chart" data-testid="hours-chart">
      <svg viewBox={`0 0 ${30 + 24 * size} ${7 * size + 14}`} role="presentation" aria-hidden="true" class="heat">
        {grid.map((row, d) => (
          <g key={WEEKDAYS[d]}>
            <text x="0" y={d * size + 10} class="label">
              {WEEKDAYS[d]}
            </text>
            {row.map((count, h) => (
              <rect key={h} x={30 + h * size} y={d * size} width={size - 1} height={size - 1} class={`cell s${shade(count, top)}`} />
            ))}
          </g>
        ))}
        {[0, 6, 12, 18].map((h) => (
          <text key={h} x={30 + h * size} y={7 * size + 12} class="label">
            {String(h).padStart(2, '0')}
          </text>
        ))}
      </svg>
      <figcaption>Days and hours (London time); darker is more</figcaption>
      <details>
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Hour</th>
              <th scope="col">Incidents</th>
            </tr>
          </thead>
          <tbody>
            {cells.map((c) => (
              <tr key={`${c.weekday}-${c.hour}`}>
                <td>{WEEKDAYS[c.weekday - 1]}</td>
                <td>{String(c.hour).padStart(2, '0')}:00</td>
                <td>{c.incidents}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
