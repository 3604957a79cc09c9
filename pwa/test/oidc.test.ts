import { describe, expect, it } from 'vitest';
import { authorisationUrl, challengeFor, completeOidc } from '../src/auth/oidc';
import { SignInError } from '../src/auth/session';

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

const CONFIG = {
  enabled: true,
  label: 'Sign in with your organisation',
  authorization_endpoint: 'https://idp.example/auth',
  client_id: 'lantern',
  scope: 'openid profile groups',
  redirect_uri: 'https://lantern.example/signin/oidc',
};

describe('sign-in through the organisation', () => {
  it('makes the S256 challenge of RFC 7636', async () => {
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('sends state, nonce and challenge, and posts the code with the verifier and nonce', async () => {
    const storage = new MemoryStorage();
    const url = new URL(await authorisationUrl(CONFIG, storage));
    expect(url.origin + url.pathname).toBe('https://idp.example/auth');
    const state = url.searchParams.get('state')!;
    const nonce = url.searchParams.get('nonce')!;
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(state.length).toBeGreaterThan(16);
    let posted: Record<string, string> = {};
    const fetcher = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      posted = JSON.parse(String(init?.body));
      return new Response(JSON.stringify({ access_token: 't', token_type: 'bearer', expires_in: 60 }), { status: 200 });
    }) as typeof fetch;
    const token = await completeOidc(new URLSearchParams({ code: 'c0de', state }), storage, fetcher);
    expect(token.access_token).toBe('t');
    expect(posted.code).toBe('c0de');
    expect(posted.nonce).toBe(nonce);
    expect(await challengeFor(posted.code_verifier!)).toBe(url.searchParams.get('code_challenge'));
    expect(storage.length).toBe(0);
  });

  it('refuses a state it did not start, without calling the server', async () => {
    const storage = new MemoryStorage();
    await authorisationUrl(CONFIG, storage);
    let called = false;
    const fetcher = (async () => {
      called = true;
      return new Response('{}');
    }) as typeof fetch;
    await expect(completeOidc(new URLSearchParams({ code: 'c', state: 'forged' }), storage, fetcher)).rejects.toBeInstanceOf(SignInError);
    expect(called).toBe(false);
  });

  it('names a refusal for lack of access', async () => {
    const storage = new MemoryStorage();
    const state = new URL(await authorisationUrl(CONFIG, storage)).searchParams.get('state')!;
    const fetcher = (async () => new Response('{}', { status: 403 })) as typeof fetch;
    await expect(completeOidc(new URLSearchParams({ code: 'c', state }), storage, fetcher)).rejects.toThrow(/not given you access/);
  });
});
