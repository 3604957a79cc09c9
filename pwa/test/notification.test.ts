import { describe, expect, it } from 'vitest';
import { incidentPath, notificationFor } from '../src/push/notification';

const payload = {
  type: 'page',
  incident_id: 'c0ffee00-0000-4000-8000-000000000001',
  page_id: 'p1',
  reference: 'LAN-2026-000123',
  kind: 'cce',
  team: 'City CCE',
  priority: 'P1',
  station: 'Euston St custody',
  ack_token: 'single-use-token',
};

describe('a page on the lock screen', () => {
  it('reads "New CCE incident · <station> · P1", tagged by incident, and stays until answered', () => {
    const plan = notificationFor(payload, true);
    expect(plan.title).toBe('New CCE incident · Euston St custody · P1');
    expect(plan.options.body).toBe('LAN-2026-000123 · City CCE');
    expect(plan.options.tag).toBe(payload.incident_id);
    expect(plan.options.requireInteraction).toBe(true);
    expect(plan.options.actions).toEqual([{ action: 'ack', title: 'Acknowledge' }]);
    expect(plan.options.data).toMatchObject({ incident_id: payload.incident_id, ack_token: 'single-use-token' });
  });

  it('offers no action where the browser cannot show one, and numbers priorities', () => {
    const plan = notificationFor({ ...payload, priority: 2, kind: 'arrest' }, false);
    expect(plan.title).toBe('New arrest incident · Euston St custody · P2');
    expect(plan.options.actions).toBeUndefined();
  });

  it('reads the category from the team of a real payload, and puts the kind in the body', () => {
    const plan = notificationFor({ ...payload, kind: 'arrest', team: 'city-cce', priority: 'P2' }, true);
    expect(plan.title).toBe('New CCE incident · Euston St custody · P2');
    expect(plan.options.body).toBe('LAN-2026-000123 · arrest · city-cce');
  });

  it('shows nothing the payload did not carry, even if a name sneaks in as an unknown field', () => {
    const plan = notificationFor({ ...payload, first_name: 'Jordan' } as typeof payload, true);
    expect(JSON.stringify(plan)).not.toContain('Jordan');
  });

  it('opens the incident by id only', () => {
    expect(incidentPath(payload.incident_id)).toBe(`/incidents/${payload.incident_id}`);
    expect(incidentPath('../../evil?x=1')).toBe('/incidents');
  });
});
