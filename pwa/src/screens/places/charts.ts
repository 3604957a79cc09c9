// Pure geometry for the hand-written SVG charts of the place profile and the network picture
// (no charting dependency): scales, bars, heat-map cells and the network's ring layout.

/** A "nice" top for an axis: 1, 2, 5 × 10ⁿ at or above `max` (at least 1). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** A linear scale from [0, domainMax] onto [0, rangeMax], clamped. */
export function linearScale(domainMax: number, rangeMax: number): (value: number) => number {
  const top = domainMax > 0 ? domainMax : 1;
  return (value) => Math.max(0, Math.min(rangeMax, (value / top) * rangeMax));
}

export interface Bar {
  label: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Vertical bars over `width` × `height` (the baseline at `height`), one band per value. */
export function bars(values: { label: string; value: number }[], width: number, height: number, gap = 2): { bars: Bar[]; max: number } {
  const max = niceMax(Math.max(0, ...values.map((v) => v.value)));
  const y = linearScale(max, height);
  const band = values.length ? width / values.length : width;
  return {
    max,
    bars: values.map((v, i) => {
      const h = y(v.value);
      return { label: v.label, value: v.value, x: i * band + gap / 2, y: height - h, width: Math.max(1, band - gap), height: h };
    }),
  };
}

export interface HeatCell {
  weekday: number; // 1 = Monday … 7 = Sunday
  hour: number; // 0–23
  incidents: number;
  /** 0 (none) … 4 (the busiest cell): the shade. */
  level: number;
  x: number;
  y: number;
  size: number;
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The full 7 × 24 grid (rows = weekdays, columns = hours) from the cells with incidents. */
export function heatCells(cells: { weekday: number; hour: number; incidents: number }[], size: number): HeatCell[] {
  const counts = new Map<string, number>();
  for (const c of cells) {
    if (c.weekday < 1 || c.weekday > 7 || c.hour < 0 || c.hour > 23) continue;
    counts.set(`${c.weekday}:${c.hour}`, (counts.get(`${c.weekday}:${c.hour}`) ?? 0) + c.incidents);
  }
  const max = Math.max(0, ...counts.values());
  const out: HeatCell[] = [];
  for (let weekday = 1; weekday <= 7; weekday++) {
    for (let hour = 0; hour < 24; hour++) {
      const incidents = counts.get(`${weekday}:${hour}`) ?? 0;
      const level = incidents > 0 && max > 0 ? Math.max(1, Math.ceil((incidents / max) * 4)) : 0;
      out.push({ weekday, hour, incidents, level, x: hour * size, y: (weekday - 1) * size, size });
    }
  }
  return out;
}

export interface NetworkNode {
  id: string;
  label: string;
  kind: 'peer' | 'concern';
  incidents: number;
  x: number;
  y: number;
  /** Where the edge's label (times seen together) goes: the middle of the edge. */
  labelX: number;
  labelY: number;
}

/** The child in the middle of a `size` × `size` square, the others evenly on a ring around,
 * starting at the top and going clockwise. */
export function networkLayout(
  nodes: { id: string; label: string; kind: 'peer' | 'concern'; incidents: number }[],
  size: number,
): { center: { x: number; y: number }; radius: number; nodes: NetworkNode[] } {
  const c = size / 2;
  const radius = size * 0.36;
  const n = nodes.length;
  return {
    center: { x: c, y: c },
    radius,
    nodes: nodes.map((node, i) => {
      const angle = -Math.PI / 2 + (n ? (2 * Math.PI * i) / n : 0);
      const x = round(c + radius * Math.cos(angle));
      const y = round(c + radius * Math.sin(angle));
      return { ...node, x, y, labelX: round((c + x) / 2), labelY: round((c + y) / 2) };
    }),
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** A short label for an ISO week ("2026-W48" → "W48"). */
export function weekLabel(week: string): string {
  const m = /W(\d+)$/.exec(week);
  return m ? `W${m[1]}` : week;
}
