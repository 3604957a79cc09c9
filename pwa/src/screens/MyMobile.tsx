// My mobile number for the SMS fallback: recorded by me, shown masked, confirmed by a test SMS.
// The number typed is sent once and never kept in the app; the API answers it masked.
import { useState } from 'preact/hooks';
import { ApiError, call, describeError } from '../api/client';
import type { components } from '../api/types';
import { announce } from '../state';
import { ErrorText, Section } from '../ui/bits';
import { formatTime } from '../ui/format';
import { useAsync } from '../ui/hooks';

type Contact = components['schemas']['ContactOut'];

/** What the last test SMS says to the person: accepted, or why not. */
export function testSmsText(contact: Contact | null | undefined): string | null {
  const last = contact?.last_test_sms;
  if (!last) return null;
  const when = formatTime(last.at);
  return last.outcome === 'accepted' ? `Test SMS sent ${when}: check it arrived.` : `Test SMS of ${when} failed (${last.outcome}).`;
}

export function MyMobile() {
  const contact = useAsync((signal) => call<Contact>('/me/phone', { signal }), []);
  const [number, setNumber] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const data = contact.data;

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await call<Contact>('/me/phone', { method: 'PUT', body: { mobile_number: number } });
      setNumber('');
      announce(`Mobile number ${saved.mobile_number ?? ''} saved. Send a test SMS to check it.`);
      contact.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function test() {
    setBusy(true);
    setError(null);
    try {
      await call('/me/test-sms', { method: 'POST' });
      announce('Test SMS on its way. It should arrive within a minute.');
      window.setTimeout(contact.reload, 5000);
    } catch (e) {
      setError(e instanceof ApiError ? describeError(e) : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Mobile number for SMS pages" id="mobile">
      <p>
        When no phone of yours takes a page, it is sent by SMS to this number
        {data && !data.sms_enabled ? ' (SMS is not set up on this service yet)' : ''}.
      </p>
      <p data-testid="mobile-current">{data ? (data.mobile_number ? `Recorded: ${data.mobile_number}` : 'No number recorded.') : ' '}</p>
      {testSmsText(data) ? <p data-testid="mobile-test-result">{testSmsText(data)}</p> : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
      <form onSubmit={save} class="stack">
        <label>
          UK mobile number{' '}
          <input type="tel" inputMode="tel" autoComplete="tel" value={number} maxLength={32} onInput={(e) => setNumber((e.target as HTMLInputElement).value)} required />
        </label>
        <div class="actions">
          <button type="submit" disabled={busy || !number.trim()}>
            Save number
          </button>
          <button type="button" class="secondary" onClick={test} disabled={busy || !data?.mobile_number || !data?.sms_enabled}>
            Send a test SMS
          </button>
        </div>
      </form>
    </Section>
  );
}
