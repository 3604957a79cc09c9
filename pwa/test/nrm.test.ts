import { describe, expect, it } from 'vitest';
import { nrmBody, nrmDecisionText, nrmFormProblems, type NrmView } from '../src/screens/NrmAction';
import { referralStatus, type ReferralDocument } from '../src/screens/incident/Referral';

const view: NrmView = {
  incident_id: 'i1',
  prompt: 'Consider an NRM referral',
  consent_note: 'Children need no consent for an NRM referral.',
  reasons: ['Drugs or cash with travel out of area (county lines)'],
  rules: ['county-lines-travel'],
  raised_at: '2026-11-30T23:50:00Z',
  s45_flag: null,
  s45_flagged_at: null,
  decision: null,
  referral_reference: null,
  referred_on: null,
  not_referred_reason: null,
  decided_at: null,
  decided_by: null,
  needs_decision: true,
};

describe('the NRM decision', () => {
  it('asks for the reference and date of a referral, or the reason for not referring', () => {
    expect(nrmFormProblems({ decision: '', reference: '', referredOn: '', reason: '' })).toEqual(['referred or not referred']);
    expect(nrmFormProblems({ decision: 'referred', reference: ' ', referredOn: '', reason: '' })).toEqual([
      'the NRM referral reference',
      'the date of the referral',
    ]);
    expect(nrmFormProblems({ decision: 'not_referred', reference: '', referredOn: '', reason: '' })).toEqual(['why not']);
    expect(nrmFormProblems({ decision: 'referred', reference: 'NRM-1', referredOn: '2026-12-01', reason: '' })).toEqual([]);
  });

  it('sends only the fields of the decision taken', () => {
    expect(nrmBody({ decision: 'referred', reference: ' NRM-1 ', referredOn: '2026-12-01', reason: 'ignored' })).toEqual({
      decision: 'referred',
      referral_reference: 'NRM-1',
      referred_on: '2026-12-01',
    });
    expect(nrmBody({ decision: 'not_referred', reference: 'x', referredOn: 'y', reason: ' Already referred ' })).toEqual({
      decision: 'not_referred',
      reason: 'Already referred',
    });
  });

  it('says who recorded the decision, and nothing while it is awaited', () => {
    expect(nrmDecisionText(view)).toBeNull();
    const text = nrmDecisionText({
      ...view,
      decision: 'referred',
      referral_reference: 'NRM-77',
      referred_on: '2026-12-01',
      decided_at: '2026-12-01T10:00:00Z',
      decided_by: { id: 'u1', display_name: 'Day team CCE hub' },
      needs_decision: false,
    });
    expect(text).toMatch(/^Referred: reference NRM-77, 2026-12-01 \(recorded by Day team CCE hub, /);
  });
});

describe('the referral to the front door', () => {
  const doc = {
    decision_clock: { due_at: '2026-12-02T09:00:00Z' },
    receipt: null,
    decision: null,
  } as unknown as ReferralDocument;

  it('says where it stands: awaiting receipt, received, decided', () => {
    expect(referralStatus(doc)).toMatch(/^Not yet received; decision due /);
    const received = { ...doc, receipt: { received_at: '2026-12-01T09:10:00Z', received_by: 'MASH duty desk', recorded_by: 'x' } };
    expect(referralStatus(received as ReferralDocument)).toMatch(/^Received by MASH duty desk at .*; decision due /);
    const decided = {
      ...received,
      decision: { decision: 's47_enquiry', decided_at: '2026-12-01T11:00:00Z', decided_by: 'MASH manager', note: null, recorded_by: 'x' },
    };
    expect(referralStatus(decided as ReferralDocument)).toMatch(/^Decided: Section 47 enquiry \(MASH manager, /);
  });
});
