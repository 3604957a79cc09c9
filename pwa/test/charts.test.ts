import { describe, expect, it } from 'vitest';
import { bars, heatCells, linearScale, networkLayout, niceMax, weekLabel } from '../src/screens/places/charts';

describe('scales', () => {
  it('rounds an axis top up to 1, 2 or 5 × 10ⁿ', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(1)).toBe(1);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(11)).toBe(20);
    expect(niceMax(250)).toBe(500);
  });

  it('maps linearly and clamps', () => {
    const y = linearScale(10, 100);
    expect(y(0)).toBe(0);
    expect(y(5)).toBe(50);
    expect(y(20)).toBe(100);
    expect(y(-3)).toBe(0);
    expect(linearScale(0, 100)(0)).toBe(0);
  });
});

describe('bars', () => {
  it('gives one band per value, baseline at the bottom, the tallest reaching the nice top', () => {
    const { bars: b, max } = bars(
      [
        { label: 'a', value: 0 },
        { label: 'b', value: 3 },
        { label: 'c', value: 5 },
      ],
      300,
      100,
      0,
    );
    expect(max).toBe(5);
    expect(b.map((x) => x.x)).toEqual([0, 100, 200]);
    expect(b.map((x) => x.width)).toEqual([100, 100, 100]);
    expect(b[0]).toMatchObject({ height: 0, y: 100 });
    expect(b[1]).toMatchObject({ height: 60, y: 40 });
    expect(b[2]).toMatchObject({ height: 100, y: 0 });
  });

  it('copes with no values', () => {
    expect(bars([], 300, 100)).toEqual({ bars: [], max: 1 });
  });
});

describe('heat map', () => {
  it('fills the 7 × 24 grid and shades relative to the busiest cell', () => {
    const cells = heatCells(
      [
        { weekday: 1, hour: 22, incidents: 4 },
        { weekday: 7, hour: 0, incidents: 1 },
        { weekday: 3, hour: 23, incidents: 2 },
      ],
      10,
    );
    expect(cells).toHaveLength(168);
    const at = (d: number, h: number) => cells.find((c) => c.weekday === d && c.hour === h)!;
    expect(at(1, 22)).toMatchObject({ incidents: 4, level: 4, x: 220, y: 0 });
    expect(at(3, 23)).toMatchObject({ incidents: 2, level: 2, x: 230, y: 20 });
    expect(at(7, 0)).toMatchObject({ incidents: 1, level: 1, x: 0, y: 60 });
    expect(at(2, 5)).toMatchObject({ incidents: 0, level: 0 });
    expect(cells.reduce((n, c) => n + c.incidents, 0)).toBe(7);
  });

  it('ignores cells outside the week', () => {
    const cells = heatCells([{ weekday: 8, hour: 1, incidents: 3 }, { weekday: 1, hour: 24, incidents: 3 }], 10);
    expect(cells.every((c) => c.incidents === 0 && c.level === 0)).toBe(true);
  });
});

describe('network layout', () => {
  it('puts the child in the middle and the others evenly on a ring, first at the top', () => {
    const { center, radius, nodes } = networkLayout(
      [
        { id: 'a', label: 'Tee', kind: 'concern', incidents: 2 },
        { id: 'b', label: 'Kai', kind: 'peer', incidents: 1 },
        { id: 'c', label: 'Car', kind: 'concern', incidents: 2 },
        { id: 'd', label: 'D', kind: 'peer', incidents: 1 },
      ],
      200,
    );
    expect(center).toEqual({ x: 100, y: 100 });
    expect(radius).toBe(72);
    expect(nodes.map((n) => [n.x, n.y])).toEqual([
      [100, 28],
      [172, 100],
      [100, 172],
      [28, 100],
    ]);
    // Edge labels half-way along each edge.
    expect([nodes[0]!.labelX, nodes[0]!.labelY]).toEqual([100, 64]);
    for (const n of nodes) expect(Math.hypot(n.x - center.x, n.y - center.y)).toBeCloseTo(radius, 0);
  });

  it('lays out nobody', () => {
    expect(networkLayout([], 100).nodes).toEqual([]);
  });
});

it('shortens ISO weeks', () => {
  expect(weekLabel('2026-W48')).toBe('W48');
  expect(weekLabel('odd')).toBe('odd');
});
