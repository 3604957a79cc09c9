import { describe, expect, it, vi } from 'vitest';
import { BACKOFF_CAP_MS, backoffDelay, createSyncEngine, retryAfterMs, type SyncDeps } from '../src/outbox/sync';
import type { Outbox } from '../src/outbox/store';
import { INCIDENT_ID, clock, fakeApi, json, offerDraft, openOutbox, reportDraft, syncAnswer, type SeenRequest } from './helpers';

function engine(outbox: Outbox, fetch: SyncDeps['fetch'], extra: Partial<SyncDeps> = {}) {
  return createSyncEngine({
    outbox,
    fetch,
    getToken: async () => 'tok-1',
    random: () => 0.5,
    ...extra,
  });
}

describe('sending one record', () => {
  it('PUTs a support offer to its own URL, with the bearer token, and marks it sent on 201', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    const api = fakeApi(() => json(201, { id: item.id, version: 1 }));
    const report = await engine(outbox, api.fetch).run();

    expect(report).toMatchObject({ ran: true, sent: 1 });
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]).toMatchObject({
      method: 'PUT',
      url: `/api/v1/incidents/${INCIDENT_ID}/support-offers/${item.id}`,
      body: offerDraft().body,
    });
    expect(api.seen[0]!.headers.Authorization).toBe('Bearer tok-1');
    expect((await outbox.get(item.id))?.state).toBe('sent');
    expect(await outbox.unsentCount()).toBe(0);
    outbox.close();
  });

  it('treats 200 (the same body again) as sent too', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    await engine(outbox, fakeApi(() => json(200, { id: item.id })).fetch).run();
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });

  it('POSTs an incident report with the record id as Idempotency-Key and keeps the reference', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(reportDraft());
    const api = fakeApi(() => json(201, { id: 'inc-9', reference: 'LAN-2026-000123', state: 'paging' }));
    await engine(outbox, api.fetch).run();
    expect(api.seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/incidents', body: reportDraft().body });
    expect(api.seen[0]!.headers['Idempotency-Key']).toBe(item.id);
    const sent = await outbox.get(item.id);
    expect(sent?.state).toBe('sent');
    expect(sent?.payload.result).toEqual({ id: 'inc-9', reference: 'LAN-2026-000123' });
    outbox.close();
  });

  it('PUTs a handover note to its own URL under the record id, body {text}', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add({
      kind: 'handover_note',
      incident_id: INCIDENT_ID,
      label: 'Handover note',
      body: { text: 'Lift home accepted; RHI due.' },
    });
    const api = fakeApi(() => json(201, { id: item.id, version: 1 }, { ETag: '"1"' }));
    await engine(outbox, api.fetch).run();
    expect(api.seen[0]).toMatchObject({
      method: 'PUT',
      url: `/api/v1/incidents/${INCIDENT_ID}/handover-note/${item.id}`,
    });
    expect(api.seen[0]!.body).toEqual({ text: 'Lift home accepted; RHI due.', captured_offline: false });
    expect(await outbox.get(item.id)).toMatchObject({ state: 'sent', payload: { result: { id: item.id, version: '1' } } });
    outbox.close();
  });

  it('says captured_offline when the record was saved offline or waited for a retry', async () => {
    const outbox = await openOutbox();
    const offline = await outbox.add(offerDraft('saved offline'), { savedOffline: true });
    const api = fakeApi(() => json(201, {}));
    await engine(outbox, api.fetch).run();
    expect(api.seen[0]!.body).toMatchObject({ notes: 'saved offline', captured_offline: true });
    expect((await outbox.get(offline.id))?.state).toBe('sent');

    const waited = await outbox.add(offerDraft('waited'));
    let n = 0;
    const flaky = fakeApi(() => (n++ === 0 ? json(503, { title: 'Down', status: 503 }) : json(201, {})));
    const sync = engine(outbox, flaky.fetch);
    await sync.run();
    await sync.run({ force: true });
    expect(flaky.seen.map((r) => (r.body as { captured_offline: boolean }).captured_offline)).toEqual([false, true]);
    expect((await outbox.get(waited.id))?.state).toBe('sent');
    outbox.close();
  });
});

describe('when the network or the server fails', () => {
  it('keeps the record on a network error and tries again after a backoff, with the same id', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const item = await outbox.add(reportDraft());
    let online = false;
    const api = fakeApi(() => {
      if (!online) throw new TypeError('Failed to fetch');
      return json(201, { id: 'inc-1', reference: 'LAN-2026-000001' });
    });
    const sync = engine(outbox, api.fetch, { now: c.now });

    expect(await sync.run()).toMatchObject({ retrying: 1, sent: 0 });
    const waiting = await outbox.get(item.id);
    expect(waiting).toMatchObject({ state: 'saved', attempts: 1 });
    expect(waiting!.next_attempt_at).toBe(c.now() + backoffDelay(0, () => 0.5));
    expect(waiting!.payload.problem?.title).toBe('No connection');

    // Not due yet: nothing is sent before the backoff ends.
    await sync.run();
    expect(api.seen).toHaveLength(1);

    online = true;
    c.advance(BACKOFF_CAP_MS);
    expect(await sync.run()).toMatchObject({ sent: 1 });
    expect(api.seen.map((r) => r.headers['Idempotency-Key'])).toEqual([item.id, item.id]);
    expect(await outbox.unsentCount()).toBe(0);
    outbox.close();
  });

  it('sends a waiting record before its backoff ends when forced (back online, app opened, a tap)', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const item = await outbox.add(offerDraft());
    let online = false;
    const api = fakeApi(() => {
      if (!online) throw new TypeError('Failed to fetch');
      return json(201, {});
    });
    const sync = engine(outbox, api.fetch, { now: c.now });
    await sync.run();
    online = true;
    await sync.run();
    expect(api.seen).toHaveLength(1); // still waiting for its backoff
    await sync.run({ force: true });
    expect(api.seen).toHaveLength(2);
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });

  it.each([500, 502, 503, 408, 429])('retries later on %i', async (status) => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const item = await outbox.add(offerDraft());
    await engine(outbox, fakeApi(() => json(status, { title: 'Busy', status })).fetch, { now: c.now }).run();
    const after = await outbox.get(item.id);
    expect(after).toMatchObject({ state: 'saved', attempts: 1 });
    expect(after!.next_attempt_at).toBeGreaterThan(c.now());
    outbox.close();
  });

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const item = await outbox.add(offerDraft());
    const api = fakeApi(() => json(503, { title: 'Unavailable', status: 503 }, { 'Retry-After': '120' }));
    await engine(outbox, api.fetch, { now: c.now }).run();
    expect((await outbox.get(item.id))!.next_attempt_at).toBe(c.now() + 120_000);
    outbox.close();
  });

  it('backs off exponentially, with jitter, up to a cap', () => {
    expect(backoffDelay(0, () => 0)).toBe(1_000);
    expect(backoffDelay(0, () => 1)).toBe(2_000);
    expect(backoffDelay(3, () => 1)).toBe(16_000);
    expect(backoffDelay(30, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(30, () => 0)).toBe(BACKOFF_CAP_MS / 2);
    const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
    expect(spread.size).toBeGreaterThan(1);
    expect(retryAfterMs('Wed, 01 Mar 2026 02:01:00 GMT', Date.parse('2026-03-01T02:00:00Z'))).toBe(60_000);
  });
});

describe('when the server says no', () => {
  it.each([400, 403, 404, 422])('puts the record in needs attention on %i, and never resends it by itself', async (status) => {
    const outbox = await openOutbox();
    const item = await outbox.add(reportDraft());
    const api = fakeApi(() =>
      json(status, {
        type: 'about:blank',
        title: 'Validation failed',
        status,
        errors: [{ field: 'occurred_at', message: 'must have an offset' }],
      }),
    );
    const sync = engine(outbox, api.fetch);
    expect(await sync.run()).toMatchObject({ needs_attention: 1 });
    const kept = await outbox.get(item.id);
    expect(kept?.state).toBe('needs_attention');
    expect(kept?.payload.problem).toMatchObject({ status, title: 'Validation failed' });
    expect(kept?.payload.problem?.errors).toEqual([{ field: 'occurred_at', message: 'must have an offset' }]);
    expect(kept?.payload.body).toEqual(reportDraft().body);

    await sync.run();
    expect(api.seen).toHaveLength(1);
    expect(await outbox.unsentCount()).toBe(1);
    outbox.close();
  });

  it('on 401 keeps everything as saved and asks for a new sign-in', async () => {
    const outbox = await openOutbox();
    const a = await outbox.add(offerDraft());
    const b = await outbox.add(reportDraft());
    const onUnauthorised = vi.fn();
    const api = fakeApi(() => json(401, { title: 'Not signed in', status: 401 }));
    const report = await engine(outbox, api.fetch, { onUnauthorised }).run();
    expect(report.reason).toBe('unauthorised');
    expect(onUnauthorised).toHaveBeenCalledOnce();
    expect(api.seen).toHaveLength(1);
    for (const id of [a.id, b.id]) expect(await outbox.get(id)).toMatchObject({ state: 'saved', attempts: 0 });
    outbox.close();
  });

  it('does not try at all without a token', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft());
    const api = fakeApi(() => json(201, {}));
    const report = await engine(outbox, api.fetch, { getToken: async () => null }).run();
    expect(report).toMatchObject({ ran: false, reason: 'no_token' });
    expect(api.seen).toHaveLength(0);
    outbox.close();
  });
});

describe('conflicts', () => {
  it('shows the server version on 409 and overwrites with If-Match only when asked', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    const answers = [
      json(409, { title: 'Conflict', status: 409, current: { outcome: 'declined', version: 3 } }, { ETag: '"3"' }),
      json(200, { id: item.id, version: 4 }),
    ];
    const api = fakeApi((_req, n) => answers[n - 1]!);
    const sync = engine(outbox, api.fetch);

    await sync.run();
    const conflicted = await outbox.get(item.id);
    expect(conflicted?.state).toBe('needs_attention');
    expect(conflicted?.payload.server_version).toBe('3');
    expect(conflicted?.payload.server_current).toEqual({ outcome: 'declined', version: 3 });

    await outbox.retry(item.id, { overwrite: true });
    await sync.run();
    expect(api.seen[1]!.headers['If-Match']).toBe('"3"');
    expect(api.seen[1]!.url).toBe(api.seen[0]!.url);
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });

  it('treats 412 (a stale If-Match) like a conflict, keeping the newer server version', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    const answers = [
      json(409, { title: 'Conflict', status: 409, version: 2, current: { outcome: 'declined' } }, { ETag: '"2"' }),
      json(412, { title: 'Precondition Failed', status: 412, version: 3, current: { outcome: 'not_possible' } }, { ETag: '"3"' }),
      json(200, { id: item.id, version: 4 }, { ETag: '"4"' }),
    ];
    const api = fakeApi((_req, n) => answers[n - 1]!);
    const sync = engine(outbox, api.fetch);
    await sync.run();
    await outbox.retry(item.id, { overwrite: true });
    await sync.run();
    const stale = await outbox.get(item.id);
    expect(api.seen[1]!.headers['If-Match']).toBe('"2"');
    expect(stale).toMatchObject({ state: 'needs_attention', payload: { server_version: '3', server_current: { outcome: 'not_possible' } } });
    await outbox.retry(item.id, { overwrite: true });
    await sync.run();
    expect(api.seen[2]!.headers['If-Match']).toBe('"3"');
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });

  it('reads the version from the problem body when there is no ETag', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    await engine(outbox, fakeApi(() => json(409, { title: 'Conflict', status: 409, version: 7 })).fetch).run();
    expect((await outbox.get(item.id))?.payload.server_version).toBe('7');
    outbox.close();
  });
});

describe('the batch', () => {
  it('sends several queued offers in one POST /api/v1/sync and applies each result', async () => {
    const outbox = await openOutbox();
    const offers = [];
    for (let i = 0; i < 4; i++) offers.push(await outbox.add(offerDraft(`note ${i}`)));
    const [created, unchanged, conflict, rejected] = offers.map((o) => o.id);
    const api = fakeApi((req) => {
      expect(req.url).toBe('/api/v1/sync');
      return syncAnswer([
        { type: 'support_offer', offer_id: created, status: 'created', status_code: 201, version: 1 },
        { type: 'support_offer', offer_id: unchanged, status: 'unchanged', status_code: 200, version: 1 },
        { type: 'support_offer', offer_id: conflict, status: 'conflict', status_code: 409, version: 2, current: { outcome: 'declined' } },
        { type: 'support_offer', offer_id: rejected, status: 'rejected', status_code: 422, errors: [{ field: 'kind', message: 'unknown kind' }] },
      ]);
    });
    const report = await engine(outbox, api.fetch).run();
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/sync' });
    expect((api.seen[0]!.body as { items: unknown[] }).items[0]).toEqual({
      type: 'support_offer',
      incident_id: INCIDENT_ID,
      offer_id: created,
      body: { ...offerDraft('note 0').body, captured_offline: false },
    });
    const sentIds = (api.seen[0]!.body as { items: { offer_id: string }[] }).items.map((i) => i.offer_id);
    expect(sentIds).toEqual(offers.map((o) => o.id)); // oldest first
    expect(report).toMatchObject({ sent: 2, needs_attention: 2 });
    expect((await outbox.get(created!))?.state).toBe('sent');
    expect((await outbox.get(unchanged!))?.state).toBe('sent');
    expect(await outbox.get(conflict!)).toMatchObject({ state: 'needs_attention', payload: { server_version: '2' } });
    expect((await outbox.get(rejected!))?.payload.problem?.errors?.[0]?.field).toBe('kind');
    outbox.close();
  });

  it('sends offers and handover notes together, with if_match as a number, and takes "updated" as sent', async () => {
    const outbox = await openOutbox();
    const offer = await outbox.add(offerDraft('offer'));
    const note = await outbox.add({ kind: 'handover_note', incident_id: INCIDENT_ID, label: 'Handover note', body: { text: 'RHI due' } });
    const report = await outbox.add(reportDraft());
    // The offer conflicted earlier and the worker chose to replace version 2.
    await outbox.markNeedsAttention(offer.id, { status: 409, title: 'Conflict' }, { version: '2' });
    await outbox.retry(offer.id, { overwrite: true });
    const api = fakeApi((req) =>
      req.url.endsWith('/sync')
        ? syncAnswer([
            { type: 'support_offer', offer_id: offer.id, status: 'updated', status_code: 200, version: 3 },
            { type: 'handover_note', note_id: note.id, status: 'created', status_code: 201, version: 1 },
          ])
        : json(201, { id: 'inc-1', reference: 'LAN-2026-000001' }),
    );
    const result = await engine(outbox, api.fetch).run();
    expect(api.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/v1/sync', 'POST /api/v1/incidents']);
    expect((api.seen[0]!.body as { items: unknown[] }).items).toEqual([
      { type: 'support_offer', incident_id: INCIDENT_ID, offer_id: offer.id, if_match: 2, body: { ...offerDraft('offer').body, captured_offline: false } },
      { type: 'handover_note', incident_id: INCIDENT_ID, note_id: note.id, body: { text: 'RHI due', captured_offline: false } },
    ]);
    expect(result).toMatchObject({ sent: 3, needs_attention: 0 });
    expect(await outbox.get(offer.id)).toMatchObject({ state: 'sent', payload: { result: { version: '3' } } });
    expect((await outbox.get(note.id))?.state).toBe('sent');
    expect((await outbox.get(report.id))?.state).toBe('sent');
    outbox.close();
  });

  it('keeps a stale if_match in the batch as needs attention with the server copy', async () => {
    const outbox = await openOutbox();
    const a = await outbox.add(offerDraft('a'));
    const b = await outbox.add(offerDraft('b'));
    const api = fakeApi(() =>
      syncAnswer([
        { type: 'support_offer', offer_id: a.id, status: 'conflict', status_code: 412, version: 5, current: { notes: 'theirs' } },
        { type: 'support_offer', offer_id: b.id, status: 'unchanged', status_code: 200, version: 1 },
      ]),
    );
    await engine(outbox, api.fetch).run();
    expect(await outbox.get(a.id)).toMatchObject({
      state: 'needs_attention',
      payload: { problem: { status: 412 }, server_version: '5', server_current: { notes: 'theirs' } },
    });
    expect((await outbox.get(b.id))?.state).toBe('sent');
    outbox.close();
  });

  it('uses a single PUT when only one offer is queued', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft());
    const api = fakeApi(() => json(201, {}));
    await engine(outbox, api.fetch).run();
    expect(api.seen.map((r) => r.method)).toEqual(['PUT']);
    outbox.close();
  });

  it('falls back to one PUT per offer where the batch endpoint is missing', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft('a'));
    await outbox.add(offerDraft('b'));
    const api = fakeApi((req) => (req.url.endsWith('/sync') ? json(404, { title: 'Not Found', status: 404 }) : json(201, {})));
    const report = await engine(outbox, api.fetch).run();
    expect(api.seen.map((r) => r.method)).toEqual(['POST', 'PUT', 'PUT']);
    expect(report.sent).toBe(2);
    outbox.close();
  });

  it('retries the whole batch later on a 5xx', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft('a'));
    await outbox.add(offerDraft('b'));
    const report = await engine(outbox, fakeApi(() => json(503, { title: 'Down', status: 503 })).fetch).run();
    expect(report.retrying).toBe(2);
    expect(await outbox.countByState()).toMatchObject({ saved: 2, sent: 0 });
    outbox.close();
  });
});

describe('one sender at a time', () => {
  it('shares one pass between concurrent calls in a tab, sending each record once', async () => {
    const outbox = await openOutbox();
    await outbox.add(reportDraft());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const api = fakeApi(async () => {
      await gate;
      return json(201, { id: 'inc-1', reference: 'LAN-2026-000001' });
    });
    const sync = engine(outbox, api.fetch);
    const first = sync.run();
    const second = sync.run();
    await new Promise((r) => setTimeout(r, 20));
    release();
    await Promise.all([first, second]);
    await sync.run();
    expect(api.seen).toHaveLength(1);
    outbox.close();
  });

  it('runs once more after the pass when a record was added meanwhile', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft('first'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const api = fakeApi(async () => {
      await gate;
      return json(201, {});
    });
    const sync = engine(outbox, api.fetch);
    const first = sync.run();
    await new Promise((r) => setTimeout(r, 20));
    await outbox.add(offerDraft('second'));
    const second = sync.run();
    release();
    await Promise.all([first, second]);
    expect(api.seen.map((r: SeenRequest) => (r.body as { notes: string }).notes)).toEqual(['first', 'second']);
    expect(await outbox.unsentCount()).toBe(0);
    outbox.close();
  });

  it('does nothing while another tab holds the outbox lock', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft());
    const held = new Set<string>(['lantern-outbox']);
    const locks = {
      request: ((name: string, options: LockOptions, callback: (lock: Lock | null) => unknown) => {
        expect(options.ifAvailable).toBe(true);
        if (held.has(name)) return Promise.resolve(callback(null));
        held.add(name);
        return Promise.resolve(callback({ name, mode: 'exclusive' } as Lock)).finally(() => held.delete(name));
      }) as LockManager['request'],
    };
    const api = fakeApi(() => json(201, {}));
    const sync = engine(outbox, api.fetch, { locks });
    expect(await sync.run()).toMatchObject({ ran: false, reason: 'locked' });
    expect(api.seen).toHaveLength(0);

    held.clear();
    expect(await sync.run()).toMatchObject({ ran: true, sent: 1 });
    outbox.close();
  });

  it('sends again a record left "sending" by a tab that closed mid-flight', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    await outbox.markSending([item.id]);
    const api = fakeApi(() => json(200, {}));
    await engine(outbox, api.fetch).run();
    expect((await outbox.get(item.id))?.state).toBe('sent');
    outbox.close();
  });
});
