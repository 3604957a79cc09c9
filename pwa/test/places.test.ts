import { describe, expect, it } from 'vitest';
import { barHeights, hourGrid, shade } from '../src/screens/places/charts';

describe("a place's charts", () => {
  it('scales bars to the busiest week, and draws nothing for an empty chart', () => {
    expect(barHeights([0, 1, 2, 4], 40)).toEqual([0, 10, 20, 40]);
    expect(barHeights([0, 0], 40)).toEqual([0, 0]);
    expect(barHeights([], 40)).toEqual([]);
  });

  it('places each weekday and hour in a 7 × 24 grid and ignores what is out of range', () => {
    const { grid, top } = hourGrid([
      { weekday: 2, hour: 23, incidents: 2 },
      { weekday: 7, hour: 0, incidents: 1 },
      { weekday: 9, hour: 3, incidents: 5 },
    ]);
    expect(grid).toHaveLength(7);
    expect(grid[1]![23]).toBe(2);
    expect(grid[6]![0]).toBe(1);
    expect(grid.flat().reduce((a, b) => a + b, 0)).toBe(3);
    expect(top).toBe(5);
  });

  it('shades from none to four steps, any incident at least one', () => {
    expect(shade(0, 10)).toBe(0);
    expect(shade(1, 10)).toBe(1);
    expect(shade(10, 10)).toBe(4);
    expect(shade(3, 0)).toBe(0);
  });
});

describe("a young person's network", () => {
  it('lists who was seen with them, most often first, and places them around the child', async () => {
    const { nodesOf, around } = await import('../src/screens/places/Network');
    const seen = { first_seen: '2026-11-01T00:00:00Z', last_seen: '2026-11-20T00:00:00Z' };
    const nodes = nodesOf({
      young_person_id: 'j',
      incidents: 3,
      peers: [{ id: 'k', first_name: 'Kai', last_name: 'Whitlock', incidents: 1, places: [], ...seen }],
      persons_of_concern: [
        { person: { id: 't', nickname: 'Tee', description: null, vehicle: null, phone_last_digits: null, area: null, created_at: seen.first_seen }, incidents: 2, places: [], ...seen },
        { person: { id: 'c', nickname: null, description: 'Driver', vehicle: 'Silver Corsa', phone_last_digits: null, area: null, created_at: seen.first_seen }, incidents: 2, places: [], ...seen },
      ],
    });
    expect(nodes.map((n) => [n.label, n.times, n.kind])).toEqual([
      ['Silver Corsa', 2, 'concern'],
      ['Tee', 2, 'concern'],
      ['Kai Whitlock', 1, 'peer'],
    ]);
    expect(around(4, 10, 0, 0)).toEqual([
      { x: 0, y: -10 },
      { x: 10, y: 0 },
      { x: 0, y: 10 },
      { x: -10, y: 0 },
    ]);
  });
});
