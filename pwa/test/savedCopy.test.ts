import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/client';
import { INCIDENT_LIST_KEY, liveOrSaved, ON_CALL_KEY, SAVED_COPY_MAX_AGE } from '../src/offline/savedCopy';
import { Vault } from '../src/outbox/vault';
import { openOutbox, rawDump } from './helpers';

const LIST = {
  items: [{ id: 'i1', reference: 'LAN-2026-0042', young_person: { first_name: 'Jordan', last_name: 'Okafor-Whitlock' } }],
  next_cursor: null,
};
const T0 = Date.parse('2026-03-01T02:14:00Z');

const offline = () => Promise.reject(new ApiError(0, { title: 'No connection', status: 0 }));
const failing = (status: number) => () => Promise.reject(new ApiError(status, { title: 'Refused', status }));

function clockAt(t: number) {
  let now = t;
  vi.spyOn(Date, 'now').mockImplementation(() => now);
  return (ms: number) => {
    now += ms;
  };
}

async function setUp() {
  const outbox = await openOutbox();
  return { outbox, vault: new Vault(outbox.db) };
}

afterEach(() => vi.restoreAllMocks());

describe('the last list seen, kept for offline use', () => {
  it('is sealed under a fixed key, with no name readable in IndexedDB', async () => {
    clockAt(T0);
    const { outbox, vault } = await setUp();
    const shown = await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    expect(shown).toEqual({ value: LIST, savedAt: null });
    outbox.close();
    const raw = await rawDump();
    expect(raw.keys).toContain('list:incidents');
    for (const secret of ['Jordan', 'Okafor-Whitlock', 'LAN-2026-0042', 'worker.cce']) expect(raw.text).not.toContain(secret);
  });

  it('is shown, with the time it was saved, when the server cannot be reached', async () => {
    const advance = clockAt(T0);
    const { outbox, vault } = await setUp();
    await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    advance(40 * 60_000);
    const shown = await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', offline);
    expect(shown).toEqual({ value: LIST, savedAt: T0 });
    // Each screen has its own copy: the on-call answer was never saved.
    await expect(liveOrSaved(vault, ON_CALL_KEY, 'worker.cce', offline)).rejects.toMatchObject({ status: 0 });
    outbox.close();
  });

  it('is replaced by the live answer once back online', async () => {
    const advance = clockAt(T0);
    const { outbox, vault } = await setUp();
    await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    advance(60_000);
    const fresh = { items: [], next_cursor: null };
    expect(await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(fresh))).toEqual({ value: fresh, savedAt: null });
    advance(60_000);
    expect(await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', offline)).toEqual({ value: fresh, savedAt: T0 + 60_000 });
    outbox.close();
  });

  it('is not used for a refusal or a server error, only for want of a connection', async () => {
    clockAt(T0);
    const { outbox, vault } = await setUp();
    await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    await expect(liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', failing(403))).rejects.toMatchObject({ status: 403 });
    await expect(liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', failing(500))).rejects.toMatchObject({ status: 500 });
    outbox.close();
  });

  it('is never shown to another person signed in on the same device', async () => {
    clockAt(T0);
    const { outbox, vault } = await setUp();
    await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    await expect(liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cse', offline)).rejects.toMatchObject({ status: 0 });
    outbox.close();
  });

  it('is not shown, and is pruned, once older than an incident copy may be', async () => {
    const advance = clockAt(T0);
    const { outbox, vault } = await setUp();
    await liveOrSaved(vault, ON_CALL_KEY, 'worker.cce', () => Promise.resolve({ now: [], next: null }));
    advance(SAVED_COPY_MAX_AGE - 1_000);
    expect((await liveOrSaved(vault, ON_CALL_KEY, 'worker.cce', offline)).savedAt).toBe(T0);
    advance(2_000);
    await expect(liveOrSaved(vault, ON_CALL_KEY, 'worker.cce', offline)).rejects.toMatchObject({ status: 0 });
    // Saving another list prunes every list copy past the age.
    await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    outbox.close();
    const raw = await rawDump();
    expect(raw.keys).not.toContain('list:on-call');
    expect(raw.keys).toContain('list:incidents');
  });

  it('is wiped with the rest of the vault on sign-out', async () => {
    clockAt(T0);
    const { outbox, vault } = await setUp();
    await liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', () => Promise.resolve(LIST));
    await outbox.wipeAll();
    await expect(liveOrSaved(vault, INCIDENT_LIST_KEY, 'worker.cce', offline)).rejects.toMatchObject({ status: 0 });
    outbox.close();
    expect((await rawDump()).keys).not.toContain('list:incidents');
  });
});
