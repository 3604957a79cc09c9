// The signed-in session. The short-lived access token is kept sealed in IndexedDB so that a
// reload (and the service worker's Background Sync) can use it until it expires.
import type { components } from '../api/schema';
import type { Vault } from '../outbox/vault';

export interface Session {
  access_token: string;
  /** Epoch ms after which the token is no longer offered. */
  expires_at: number;
  username: string;
}

/** POST /api/v1/auth/token (and the OIDC exchange). */
export type TokenResponse = components['schemas']['TokenOut'];

const SESSION_KEY = 'session';
/** Stop using a token this long before it expires, so a request never races its expiry. */
const EXPIRY_MARGIN_MS = 20_000;

export class SessionStore {
  private cached: Session | null | undefined;

  constructor(
    private readonly vault: Vault,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<Session | null> {
    if (this.cached === undefined) this.cached = (await this.vault.get<Session>(SESSION_KEY)) ?? null;
    if (this.cached && this.cached.expires_at - EXPIRY_MARGIN_MS <= this.now()) return null;
    return this.cached;
  }

  async token(): Promise<string | null> {
    return (await this.load())?.access_token ?? null;
  }

  async save(answer: TokenResponse, username: string): Promise<Session> {
    const session: Session = {
      access_token: answer.access_token,
      expires_at: this.now() + answer.expires_in * 1000,
      username,
    };
    await this.vault.put(SESSION_KEY, session);
    this.cached = session;
    return session;
  }

  /** Forget the token (expired, rejected, or the screen locked). The outbox is untouched. */
  async clear(): Promise<void> {
    this.cached = null;
    await this.vault.delete(SESSION_KEY);
  }

  /** Forget what is cached in memory, e.g. after another context changed the vault. */
  reset(): void {
    this.cached = undefined;
  }
}

export class SignInError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** POST /api/v1/auth/token with the form fields the contract names. */
export async function requestToken(
  username: string,
  password: string,
  fetcher: typeof fetch = fetch,
): Promise<TokenResponse> {
  let response: Response;
  try {
    response = await fetcher('/api/v1/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ username, password }).toString(),
    });
  } catch {
    throw new SignInError(0, 'No connection. Signing in needs a signal; anything saved on this device is kept.');
  }
  if (response.ok) return (await response.json()) as TokenResponse;
  if (response.status === 401 || response.status === 400 || response.status === 422) {
    throw new SignInError(response.status, 'Username or password not recognised.');
  }
  if (response.status === 429) {
    throw new SignInError(429, 'Too many attempts. Wait a few minutes, then try again.');
  }
  throw new SignInError(response.status, `Lantern could not sign you in (error ${response.status}). Try again shortly.`);
}
