// The timeline's words (issue 16): the first level of a page is "Paging …", a later level is an
// escalation, a repeat round says so, and a state change does not repeat its action.
import { describe, expect, it } from 'vitest';
import { timelineDetail, timelineLabel } from '../src/ui/format';

describe('timelineLabel', () => {
  it('names the first level as paging, not as the next level', () => {
    expect(timelineLabel('page.level_started', { level: 0, target: 'primary', repeat: 0 })).toBe('Paging the primary on call');
  });

  it('names a later level as an escalation and a repeat round as a repeat', () => {
    expect(timelineLabel('page.level_started', { level: 1, target: 'secondary', repeat: 0 })).toBe(
      'Escalated: paging the secondary on call',
    );
    expect(timelineLabel('page.level_started', { level: 0, target: 'primary', repeat: 1 })).toBe(
      'Paging again from the start: the primary on call',
    );
  });

  it('keeps the fixed labels of other entries', () => {
    expect(timelineLabel('page.acknowledged')).toBe('Acknowledged');
    expect(timelineLabel('some.new_thing')).toBe('some new thing');
  });
});

describe('timelineDetail', () => {
  it('does not repeat the action a state change already names', () => {
    expect(timelineDetail({ from: 'paging', to: 'attending', action: 'attending' })).toBe('Paging → Attending');
  });

  it('keeps an action that adds something', () => {
    expect(timelineDetail({ from: 'paging', to: 'acknowledged', action: 'phoning' })).toContain('Phoning custody');
  });
});
