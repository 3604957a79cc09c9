import { useEffect, useState } from 'preact/hooks';
import { getLocal, signOutNow, syncNow } from '../runtime';
import { app, useStore } from '../state';
import { useTitle } from '../ui/hooks';

/** Sign-out wipes this device's data only when nothing is unsent, or on an explicit discard. */
export function SignOut() {
  useTitle('Sign out');
  const unsent = useStore(app, (s) => s.unsent);
  const online = useStore(app, (s) => s.online);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [checked, setChecked] = useState(false);

  useEffect(() => {
    void getLocal().outbox.unsentCount().then(() => setChecked(true));
  }, []);

  async function out(discardUnsent: boolean) {
    setBusy(true);
    try {
      await signOutNow({ discardUnsent });
    } finally {
      setBusy(false);
    }
  }

  async function send() {
    setBusy(true);
    try {
      await syncNow({ force: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Sign out</h1>
      {!checked ? null : unsent === 0 ? (
        <>
          <p>Everything has been sent. Signing out removes all Lantern data from this device.</p>
          <button type="button" class="primary" onClick={() => out(false)} disabled={busy} data-testid="sign-out-confirm">
            {busy ? 'Signing out…' : 'Sign out'}
          </button>
        </>
      ) : (
        <div class="card warn-card" role="group" aria-labelledby="unsent-h">
          <h2 id="unsent-h">
            {unsent} record{unsent === 1 ? ' is' : 's are'} not sent yet
          </h2>
          <p>
            {online
              ? 'Send them now, then sign out. If you discard them, they are lost for good.'
              : 'You are offline. Stay signed in until you have a signal so they can be sent, or discard them for good.'}
          </p>
          <div class="actions">
            <button type="button" class="primary" onClick={send} disabled={busy || !online} data-testid="sign-out-send-first">
              {busy ? 'Sending…' : 'Send now'}
            </button>
            <a class="button" href="/outbox">
              Review the outbox
            </a>
          </div>
          {confirm ? (
            <div class="actions">
              <button type="button" class="danger" onClick={() => out(true)} disabled={busy} data-testid="sign-out-discard-confirm">
                Discard {unsent} record{unsent === 1 ? '' : 's'} and sign out
              </button>
              <button type="button" onClick={() => setConfirm(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" class="link danger-text" onClick={() => setConfirm(true)} data-testid="sign-out-discard">
              Discard unsent records and sign out…
            </button>
          )}
        </div>
      )}
    </>
  );
}
