import { useState } from 'preact/hooks';
import { SignInError } from '../auth/session';
import { signIn } from '../runtime';
import { app, useStore } from '../state';
import { useTitle } from '../ui/hooks';

/** Shown after the idle time: nothing of the session is on screen until the password is given again. */
export function LockScreen() {
  useTitle('Locked');
  const username = useStore(app, (s) => s.username) ?? '';
  const unsent = useStore(app, (s) => s.unsent);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (e) {
      setError(e instanceof SignInError ? e.message : 'Could not unlock. Try again.');
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="center narrow">
      <div class="brand big">
        <span class="mark" aria-hidden="true" />
        Lantern
      </div>
      <h1>Locked</h1>
      <p>Lantern locked itself after a while without use. Enter your password to carry on as {username}.</p>
      {unsent > 0 ? (
        <p class="notice warn">
          {unsent} unsent record{unsent === 1 ? ' is' : 's are'} kept on this device.
        </p>
      ) : null}
      <form onSubmit={submit} class="stack" data-testid="unlock-form">
        <label for="lock-password">Password</label>
        <input
          id="lock-password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
      <button
        type="button"
        class="link"
        onClick={() => app.set({ phase: 'signed_out', me: null, username: null, signInReason: null })}
      >
        Not {username}? Sign in as someone else
      </button>
    </main>
  );
}
