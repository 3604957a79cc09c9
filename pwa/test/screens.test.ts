import { describe, expect, it } from 'vitest';
import type { IncidentStatus, IncidentSummary } from '../src/api/types';
import { match } from '../src/router';
import { statusText } from '../src/screens/reportStatus';
import { sortIncidents } from '../src/screens/Inbox';
import { movedAwayText } from '../src/screens/ThisPhone';
import { localInputToIso } from '../src/ui/format';

const base: IncidentStatus = {
  id: '0b5e1f3a-0000-4000-8000-000000000123',
  reference: 'LAN-2026-000123',
  kind: 'arrest',
  version: 2,
  reported_at: '2026-03-01T01:41:00Z',
  state: 'paging',
  acknowledged_at: null,
  acknowledged_action: null,
  eta_minutes: null,
  uncovered: false,
  timeline: [],
};

describe('what custody staff read', () => {
  it('follows the response: paged, acknowledged with ETA, attending, uncovered', () => {
    expect(statusText(base)).toBe('Paging the on-call worker');
    expect(statusText({ ...base, state: 'acknowledged', acknowledged_at: '2026-03-01T01:52:00Z', acknowledged_action: 'attending', eta_minutes: 25 })).toMatch(/^Acknowledged by a worker at .*; attending, ETA 25 min$/);
    expect(statusText({ ...base, state: 'acknowledged', acknowledged_action: 'phoning' })).toBe('Acknowledged by a worker; they will phone custody');
    expect(statusText({ ...base, state: 'attending', eta_minutes: 10 })).toBe('A worker is attending, ETA 10 min');
    expect(statusText({ ...base, state: 'uncovered', uncovered: true })).toMatch(/duty manager has been alerted/);
  });
});

describe('the inbox order', () => {
  it('puts uncovered, then paging, then new at the top, newest first within each', () => {
    const at = (h: number) => `2026-03-01T0${h}:00:00Z`;
    const items = [
      { id: 'a', state: 'acknowledged', occurred_at: at(5) },
      { id: 'b', state: 'paging', occurred_at: at(1) },
      { id: 'c', state: 'reported', occurred_at: at(4) },
      { id: 'd', state: 'paging', occurred_at: at(3), uncovered: true },
      { id: 'e', state: 'paging', occurred_at: at(2) },
    ] as IncidentSummary[];
    expect(sortIncidents(items).map((i) => i.id)).toEqual(['d', 'e', 'b', 'c', 'a']);
  });
});

describe('addresses and times', () => {
  it('matches routes by id only', () => {
    expect(match('/incidents/:id', '/incidents/0b5e1f3a')).toEqual({ id: '0b5e1f3a' });
    expect(match('/incidents/:id', '/incidents')).toBeNull();
  });

  it('sends times with an offset', () => {
    expect(localInputToIso('2026-03-01T01:40')).toMatch(/^2026-03-01T01:40:00[+-]\d\d:\d\d$/);
  });
});

describe('a shared phone passed on', () => {
  it('tells the previous holder who has it now, and nothing for a phone still theirs', () => {
    const moved = {
      id: 'd1',
      label: 'Duty phone',
      moved_at: '2026-11-24T08:55:00+00:00',
      moved_to: { id: 'u2', display_name: 'Bob Baptiste' },
    };
    const text = movedAwayText(moved);
    expect(text).toContain('Duty phone was registered by Bob Baptiste');
    expect(text).toContain('It pages them now, not you.');
    expect(movedAwayText({ label: 'My phone' })).toBeNull();
  });
});
