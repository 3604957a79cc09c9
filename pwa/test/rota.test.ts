import { describe, expect, it } from 'vitest';
import { pagingText } from '../src/screens/Board';
import { policyBody, wallTime } from '../src/screens/Rota';

describe("the manager's rota and escalation screen", () => {
  it('sends a named person only on a person level, and timeouts in seconds', () => {
    expect(
      policyBody(
        [
          { target: 'primary', user_id: 'ignored', minutes: 5 },
          { target: 'person', user_id: 'u-1', minutes: 2.5 },
          { target: 'managers', user_id: '', minutes: 10 },
        ],
        1,
      ),
    ).toEqual({
      levels: [
        { target: 'primary', ack_timeout_seconds: 300 },
        { target: 'person', user_id: 'u-1', ack_timeout_seconds: 150 },
        { target: 'managers', ack_timeout_seconds: 600 },
      ],
      repeat: 1,
    });
  });

  it('sends a datetime-local value as a London wall time with seconds', () => {
    expect(wallTime('2026-12-01T17:00')).toBe('2026-12-01T17:00:00');
    expect(wallTime('2026-12-01T17:00:30')).toBe('2026-12-01T17:00:30');
  });
});

describe('the board', () => {
  const page = {
    page_id: 'p',
    team: { id: 't', slug: 'city-cce', name: 'City CCE' },
    state: 'active',
    level: 1,
    levels: 3,
    target: 'secondary',
    repeat: 0,
    level_started_at: '2026-12-01T01:00:00Z',
    paging: [{ id: 'u', display_name: 'Ben Ode' }],
  };
  it('says which level an incident is at and whom it pages', () => {
    expect(pagingText(page)).toBe('City CCE: level 2 of 3 (secondary on call) · paging Ben Ode');
    expect(pagingText({ ...page, state: 'uncovered', target: 'uncovered', paging: [] })).toBe('City CCE: uncovered · paging nobody');
  });
});

describe('my mobile number', () => {
  it('says what became of the last test SMS, never the number', async () => {
    const { testSmsText } = await import('../src/screens/MyMobile');
    const base = { display_name: 'Sam', mobile_number: '07••• •••123', sms_enabled: true, last_test_sms: null };
    expect(testSmsText(base)).toBeNull();
    expect(testSmsText({ ...base, last_test_sms: { at: '2026-12-01T18:00:00Z', outcome: 'accepted' } })).toMatch(/^Test SMS sent .*: check it arrived\.$/);
    expect(testSmsText({ ...base, last_test_sms: { at: '2026-12-01T18:00:00Z', outcome: 'auth_failed' } })).toMatch(/failed \(auth_failed\)/);
  });
});

describe('administration', () => {
  it('retires an active row and brings back a retired one', async () => {
    const { toggleBody } = await import('../src/screens/AdminHome');
    expect(toggleBody(true)).toEqual({ active: false });
    expect(toggleBody(false)).toEqual({ active: true });
  });
});

describe('an admin paged because nobody answered', () => {
  it('may open the incident screen (the API admits only the uncovered ones)', async () => {
    const { ROUTES, allowed } = await import('../src/app');
    const detail = ROUTES.find((r) => r.pattern === '/incidents/:id')!;
    expect(allowed(['admin'], detail)).toBe(true);
    expect(allowed(['police'], detail)).toBe(false);
    expect(allowed(['admin'], ROUTES.find((r) => r.pattern === '/incidents')!)).toBe(false);
  });
});
