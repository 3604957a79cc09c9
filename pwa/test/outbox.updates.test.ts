import { describe, expect, it } from 'vitest';
import { createSyncEngine, type SyncDeps } from '../src/outbox/sync';
import type { Outbox } from '../src/outbox/store';
import { custodyEventBody, custodyEventDraft, describeUpdate, disclosureDraft, troubleOf } from '../src/outbox/updates';
import { INCIDENT_ID, fakeApi, json, offerDraft, openOutbox, syncAnswer } from './helpers';

const INCIDENT = { id: INCIDENT_ID, reference: 'LAN-2026-000123', version: 3 };

function engine(outbox: Outbox, fetch: SyncDeps['fetch']) {
  return createSyncEngine({ outbox, fetch, getToken: async () => 'tok-1', random: () => 0.5 });
}

describe('custody events and disclosures as outbox drafts', () => {
  it('builds the PATCH body of each custody event', () => {
    const at = '2026-03-01T03:00:00.000Z';
    expect(custodyEventBody('charged', at, { bailRefused: true })).toEqual({ charged_at: at, bail_refused: true });
    expect(custodyEventBody('charged', at)).toEqual({ charged_at: at });
    expect(custodyEventBody('bail_refused', at)).toEqual({ bail_refused: true });
    expect(custodyEventBody('detained', at)).toEqual({ detained_at: at });
    expect(custodyEventBody('released', at)).toEqual({ released_at: at });
    expect(custodyEventBody('transferred', at)).toEqual({ transferred_at: at });
    expect(custodyEventBody('returned_home', at)).toEqual({ returned_home_at: at });
    expect(custodyEventBody('appropriate_adult_arrived', at)).toEqual({ appropriate_adult_arrived_at: at });
  });

  it('carries the version the person saw, and labels with no personal data', () => {
    const draft = custodyEventDraft(INCIDENT, 'charged', '2026-03-01T03:00:00Z', { bailRefused: true });
    expect(draft).toMatchObject({ kind: 'incident_update', incident_id: INCIDENT_ID, if_match: '3' });
    expect(draft.label).toBe('Custody event · charged, bail refused · LAN-2026-000123');
    const disclosure = disclosureDraft(INCIDENT, ['REL-CONTROLLING-ADULT'], () => 'Controlling adult');
    expect(disclosure.body).toEqual({ indicators: [{ code: 'REL-CONTROLLING-ADULT' }] });
    expect(disclosure.label).toBe('Disclosed to worker · Controlling adult · LAN-2026-000123');
    expect(describeUpdate(disclosure.body as never, () => 'Controlling adult')).toBe('disclosed: Controlling adult');
  });
});

describe('sending incident updates', () => {
  it('PATCHes the incident with If-Match and the record id as Idempotency-Key, never in a batch', async () => {
    const outbox = await openOutbox();
    const a = await outbox.add(offerDraft('a'));
    const b = await outbox.add(offerDraft('b'));
    const update = await outbox.add(disclosureDraft(INCIDENT, ['REL-CONTROLLING-ADULT']));
    const api = fakeApi((req) =>
      req.method === 'POST'
        ? syncAnswer([
            { type: 'support_offer', offer_id: a.id, status: 'created', status_code: 201, version: 1 },
            { type: 'support_offer', offer_id: b.id, status: 'created', status_code: 201, version: 1 },
          ])
        : json(200, { id: INCIDENT_ID, reference: INCIDENT.reference, version: 4 }, { ETag: '"4"' }),
    );
    const report = await engine(outbox, api.fetch).run();
    expect(report).toMatchObject({ sent: 3 });
    const patch = api.seen.find((r) => r.method === 'PATCH')!;
    expect(patch.url).toBe(`/api/v1/incidents/${INCIDENT_ID}`);
    expect(patch.headers['If-Match']).toBe('"3"');
    expect(patch.headers['Idempotency-Key']).toBe(update.id);
    expect(patch.body).toEqual({ indicators: [{ code: 'REL-CONTROLLING-ADULT' }] });
    const batch = api.seen.find((r) => r.method === 'POST')!;
    expect((batch.body as { items: unknown[] }).items).toHaveLength(2);
    expect(await outbox.get(update.id)).toMatchObject({ state: 'sent', payload: { result: { version: '4' } } });
    outbox.close();
  });

  it("sends this device's later update on the version its earlier one made (not a conflict with itself)", async () => {
    const outbox = await openOutbox();
    const first = await outbox.add(custodyEventDraft(INCIDENT, 'charged', '2026-03-01T03:00:00Z', { bailRefused: true }));
    const second = await outbox.add(custodyEventDraft(INCIDENT, 'transferred', '2026-03-01T04:30:00Z'));
    let version = 3;
    const api = fakeApi((req) => {
      if (req.headers['If-Match'] !== `"${version}"`) return json(412, { title: 'Precondition failed', status: 412, version }, { ETag: `"${version}"` });
      version += 1;
      return json(200, { id: INCIDENT_ID, version }, { ETag: `"${version}"` });
    });
    await engine(outbox, api.fetch).run();
    expect(api.seen.map((r) => r.headers['If-Match'])).toEqual(['"3"', '"4"']);
    expect((await outbox.get(first.id))?.state).toBe('sent');
    expect((await outbox.get(second.id))?.state).toBe('sent');
    outbox.close();
  });

  it('keeps a 412 for the person, with the version the server holds, and sends again on it with the same key', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(disclosureDraft(INCIDENT, ['REL-CONTROLLING-ADULT']));
    const answers = [
      json(412, { title: 'Precondition failed', status: 412, version: 5 }, { ETag: '"5"' }),
      json(200, { id: INCIDENT_ID, version: 6 }, { ETag: '"6"' }),
    ];
    const api = fakeApi((_req, n) => answers[n - 1]!);
    const sync = engine(outbox, api.fetch);
    const report = await sync.run();
    expect(report).toMatchObject({ sent: 0, needs_attention: 1 });
    const stale = (await outbox.get(item.id))!;
    expect(stale).toMatchObject({ state: 'needs_attention', payload: { problem: { status: 412 }, server_version: '5' } });
    expect(troubleOf(stale)).toEqual({ stale: true, serverVersion: '5', madeOn: '3' });
    // Nothing is sent again until the person decides.
    await sync.run({ force: true });
    expect(api.seen).toHaveLength(1);

    await outbox.retry(item.id, { overwrite: true });
    await sync.run();
    expect(api.seen[1]!.headers['If-Match']).toBe('"5"');
    expect(api.seen[1]!.headers['Idempotency-Key']).toBe(item.id);
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });

  it('retries a lost answer with the same Idempotency-Key and If-Match', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(disclosureDraft(INCIDENT, ['REL-CONTROLLING-ADULT']));
    let n = 0;
    const api = fakeApi(() => {
      n += 1;
      if (n === 1) throw new TypeError('Failed to fetch');
      return json(200, { id: INCIDENT_ID, version: 4 }, { ETag: '"4"', 'Idempotent-Replayed': 'true' });
    });
    const sync = engine(outbox, api.fetch);
    await sync.run();
    expect((await outbox.get(item.id))?.state).toBe('saved');
    await sync.run({ force: true });
    expect(api.seen.map((r) => [r.headers['If-Match'], r.headers['Idempotency-Key']])).toEqual([
      ['"3"', item.id],
      ['"3"', item.id],
    ]);
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });
});
