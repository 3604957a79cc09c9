import { describe, expect, it } from 'vitest';
import { emptyForm, fromQuery, hiddenFilters, toQuery } from '../src/screens/search/query';

describe('search filters', () => {
  it('leaves empty filters out and keeps a relative window relative', () => {
    expect(toQuery(emptyForm())).toEqual({ last_days: 28 });
    expect(toQuery({ ...emptyForm(), window: 'all' })).toEqual({});
  });

  it('sends each chosen filter once, trimmed', () => {
    const query = toQuery({
      ...emptyForm(),
      window: '7',
      categories: ['cce'],
      groups: ['movement'],
      indicator: 'MOV-OUT-OF-AREA',
      kinds: ['arrest'],
      priorities: ['P1', 'P2'],
      team: 'city-cce',
      placeName: '  london road ',
      placeType: 'transport_hub',
      location: ' bay 4 ',
    });
    expect(query).toEqual({
      last_days: 7,
      indicator_categories: ['cce'],
      indicator_groups: ['movement'],
      indicators: ['MOV-OUT-OF-AREA'],
      kinds: ['arrest'],
      priorities: ['P1', 'P2'],
      teams: ['city-cce'],
      place_name: 'london road',
      place_types: ['transport_hub'],
      location_contains: 'bay 4',
    });
  });

  it('reads a saved search back, keeping what the form cannot show', () => {
    const stored = { last_days: 28, indicator_categories: ['cce'], place_types: ['transport_hub'], teams: ['city-cce', 'county-cce'], young_person_id: 'abc' };
    const form = fromQuery(stored);
    expect(form.window).toBe('28');
    expect(form.categories).toEqual(['cce']);
    expect(form.placeType).toBe('transport_hub');
    expect(form.team).toBe('');
    expect(hiddenFilters(form)).toBe(2);
    expect(toQuery(form)).toEqual(stored);
  });

  it('turns a day range into instants, the last day included', () => {
    const query = toQuery({ ...emptyForm(), window: 'dates', from: '2026-11-01', to: '2026-11-30' });
    expect(new Date(query.from!).getDate()).toBe(1);
    expect(new Date(query.to!).getTime() - new Date(query.from!).getTime()).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000 - 3600 * 1000);
    const back = fromQuery(query as Record<string, unknown>);
    expect([back.window, back.from, back.to]).toEqual(['dates', '2026-11-01', '2026-11-30']);
  });
});
