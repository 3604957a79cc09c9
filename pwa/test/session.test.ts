import { describe, expect, it } from 'vitest';
import { SessionStore, requestToken, SignInError } from '../src/auth/session';
import { Vault } from '../src/outbox/vault';
import { clock, openOutbox, rawDump } from './helpers';

describe('the session', () => {
  it('keeps the token sealed in IndexedDB so a reload (or the service worker) can use it', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const store = new SessionStore(new Vault(outbox.db), c.now);
    await store.save({ access_token: 'secret-token-value', token_type: 'bearer', expires_in: 900 }, 'worker');
    const again = new SessionStore(new Vault(outbox.db), c.now);
    expect(await again.token()).toBe('secret-token-value');
    outbox.close();
    const raw = await rawDump();
    expect(raw.text).not.toContain('secret-token-value');
    expect(raw.keys).toContain('session');
  });

  it('stops offering the token shortly before it expires', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const store = new SessionStore(new Vault(outbox.db), c.now);
    await store.save({ access_token: 't', token_type: 'bearer', expires_in: 60 }, 'worker');
    c.advance(30_000);
    expect(await store.token()).toBe('t');
    c.advance(15_000);
    expect(await store.token()).toBeNull();
    outbox.close();
  });

  it('forgets the token on clear, and leaves the outbox alone', async () => {
    const outbox = await openOutbox();
    await outbox.add({ kind: 'handover_note', incident_id: 'i', label: 'Handover note', body: { text: 'n' } });
    const store = new SessionStore(new Vault(outbox.db));
    await store.save({ access_token: 't', token_type: 'bearer', expires_in: 900 }, 'worker');
    await store.clear();
    expect(await store.token()).toBeNull();
    expect(await outbox.unsentCount()).toBe(1);
    outbox.close();
  });

  it('signs in with the form fields the contract names, and explains failures', async () => {
    let seen: { url: string; body: string; type: string } | null = null;
    const ok = (async (url: string, init: RequestInit) => {
      seen = { url, body: String(init.body), type: (init.headers as Record<string, string>)['Content-Type']! };
      return new Response(JSON.stringify({ access_token: 'a', token_type: 'bearer', expires_in: 900 }), { status: 200 });
    }) as typeof fetch;
    expect((await requestToken('worker', 'p@ss word', ok)).access_token).toBe('a');
    expect(seen).toEqual({ url: '/api/v1/auth/token', body: 'username=worker&password=p%40ss+word', type: 'application/x-www-form-urlencoded' });

    const answer = (status: number) => (async () => new Response('{}', { status })) as unknown as typeof fetch;
    await expect(requestToken('w', 'x', answer(401))).rejects.toThrow('not recognised');
    await expect(requestToken('w', 'x', answer(429))).rejects.toThrow('Too many attempts');
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(requestToken('w', 'x', offline)).rejects.toBeInstanceOf(SignInError);
  });
});
