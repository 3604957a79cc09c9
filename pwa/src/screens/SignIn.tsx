import { useEffect, useState } from 'preact/hooks';
import { authorisationUrl, fetchOidcConfig, type OidcConfig } from '../auth/oidc';
import { SignInError } from '../auth/session';
import { location, navigate } from '../router';
import { OtherUsersRecords, signIn, signInWithOrganisation, signOutNow } from '../runtime';
import { app, useStore } from '../state';
import { useTitle } from '../ui/hooks';

export function SignIn() {
  useTitle('Sign in');
  const reason = useStore(app, (s) => s.signInReason);
  const unsent = useStore(app, (s) => s.unsent);
  const [username, setUsername] = useState(app.get().username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [otherUser, setOtherUser] = useState(false);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [oidc, setOidc] = useState<OidcConfig | null>(null);

  useEffect(() => {
    void fetchOidcConfig().then(setOidc);
    const here = location.get();
    if (here.query.has('state') && (here.query.has('code') || here.query.has('error'))) {
      // Back from the organisation's sign-in: take the code out of the address bar at once.
      const query = here.query;
      navigate('/', { replace: true });
      setBusy(true);
      signInWithOrganisation(query)
        .catch((e) => {
          setOtherUser(e instanceof OtherUsersRecords);
          setError(e instanceof SignInError || e instanceof OtherUsersRecords ? e.message : 'Lantern could not sign you in. Try again.');
        })
        .finally(() => setBusy(false));
    }
  }, []);

  async function organisation() {
    setError(null);
    try {
      window.location.assign(await authorisationUrl(oidc ?? { enabled: false }));
    } catch (e) {
      setError(e instanceof SignInError ? e.message : 'Lantern could not start your organisation’s sign-in.');
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
    } catch (e) {
      setOtherUser(e instanceof OtherUsersRecords);
      setError(e instanceof SignInError || e instanceof OtherUsersRecords ? e.message : 'Lantern could not sign you in. Try again.');
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  async function discard() {
    await signOutNow({ discardUnsent: true });
    setOtherUser(false);
    setConfirmDiscard(false);
    setError(null);
  }

  return (
    <main id="main" class="center narrow">
      <div class="brand big">
        <span class="mark" aria-hidden="true" />
        Lantern
      </div>
      <h1>Sign in</h1>
      {reason ? <p class="notice">{reason}</p> : null}
      {unsent > 0 ? (
        <p class="notice warn" data-testid="signin-unsent">
          {unsent} record{unsent === 1 ? ' is' : 's are'} saved on this device and will be sent after you sign in.
        </p>
      ) : null}
      <form onSubmit={submit} class="stack" aria-describedby={error ? 'signin-error' : undefined} data-testid="signin-form">
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error ? (
          <p id="signin-error" class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {oidc?.enabled ? (
        <div class="stack">
          <p class="muted">or</p>
          <button type="button" onClick={organisation} disabled={busy} data-testid="signin-oidc">
            {oidc.label ?? 'Sign in with your organisation'}
          </button>
        </div>
      ) : null}
      {otherUser ? (
        confirmDiscard ? (
          <div class="card danger" role="group" aria-label="Discard unsent records">
            <p>
              Discard {unsent} unsent record{unsent === 1 ? '' : 's'} of another user? They will be lost for good.
            </p>
            <div class="actions">
              <button type="button" class="danger" onClick={discard}>
                Discard and continue
              </button>
              <button type="button" onClick={() => setConfirmDiscard(false)}>
                Keep them
              </button>
            </div>
          </div>
        ) : (
          <button type="button" class="link" onClick={() => setConfirmDiscard(true)}>
            Discard the other user's unsent records…
          </button>
        )
      ) : null}
    </main>
  );
}
