// Sign-in through the organisation's OpenID provider: authorisation code with PKCE.
// The browser only carries the code back: Lantern's server exchanges it (with the verifier
// kept here) and verifies the ID token, so the provider's tokens never reach this device.
// The state and nonce are kept in sessionStorage for the round trip and checked on return.
import type { components } from '../api/schema';
import { SignInError, type TokenResponse } from './session';

/** GET /api/v1/auth/oidc/config */
export type OidcConfig = components['schemas']['OidcConfigOut'];

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  redirect_uri: string;
}

const PENDING_KEY = 'lantern.oidc.pending';

export async function fetchOidcConfig(fetcher: typeof fetch = fetch): Promise<OidcConfig> {
  try {
    const response = await fetcher('/api/v1/auth/oidc/config', { headers: { Accept: 'application/json' } });
    if (!response.ok) return { enabled: false };
    return (await response.json()) as OidcConfig;
  } catch {
    return { enabled: false };
  }
}

function randomText(bytes = 32): string {
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data);
  return base64url(data);
}

function base64url(data: Uint8Array): string {
  let text = '';
  for (const byte of data) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The provider's authorisation URL for a new attempt; its state, nonce and verifier are kept. */
export async function authorisationUrl(config: OidcConfig, storage: Storage = sessionStorage): Promise<string> {
  if (!config.enabled || !config.authorization_endpoint || !config.client_id || !config.redirect_uri) {
    throw new SignInError(0, 'Your organisation’s sign-in cannot be reached. Try again, or use a password.');
  }
  const pending: Pending = {
    state: randomText(16),
    nonce: randomText(16),
    verifier: randomText(32),
    redirect_uri: config.redirect_uri,
  };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(config.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.client_id,
    response_type: 'code',
    scope: config.scope ?? 'openid',
    redirect_uri: config.redirect_uri,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeFor(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/** Back from the provider: check the state, then have Lantern exchange the code. */
export async function completeOidc(
  query: URLSearchParams,
  storage: Storage = sessionStorage,
  fetcher: typeof fetch = fetch,
): Promise<TokenResponse> {
  const raw = storage.getItem(PENDING_KEY);
  storage.removeItem(PENDING_KEY); // one attempt per round trip
  const pending = raw ? (JSON.parse(raw) as Pending) : null;
  if (query.get('error')) {
    throw new SignInError(400, 'Your organisation did not sign you in. Try again.');
  }
  const code = query.get('code');
  if (!pending || !code || query.get('state') !== pending.state) {
    throw new SignInError(400, 'This sign-in link is not the one Lantern started. Start again.');
  }
  let response: Response;
  try {
    response = await fetcher('/api/v1/auth/oidc/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ code, code_verifier: pending.verifier, redirect_uri: pending.redirect_uri, nonce: pending.nonce }),
    });
  } catch {
    throw new SignInError(0, 'No connection. Signing in needs a signal; anything saved on this device is kept.');
  }
  if (response.ok) return (await response.json()) as TokenResponse;
  if (response.status === 403) {
    throw new SignInError(403, 'Your organisation has not given you access to Lantern. Ask your manager.');
  }
  if (response.status === 502) {
    throw new SignInError(502, 'Your organisation’s sign-in cannot be reached. Try again, or use a password.');
  }
  throw new SignInError(response.status, 'Your organisation’s sign-in was not accepted. Start again.');
}
