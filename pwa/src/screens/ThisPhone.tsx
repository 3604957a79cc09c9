import { useEffect, useState } from 'preact/hooks';
import { call, describeError } from '../api/client';
import type { Device } from '../api/types';
import { currentSubscription, defaultDeviceLabel, enablePush, pushUnavailable, rememberDeviceId, thisDeviceId, UNAVAILABLE_TEXT } from '../push/register';
import { announce } from '../state';
import { ErrorText, Loading, Section } from '../ui/bits';
import { formatTime } from '../ui/format';
import { useAsync } from '../ui/hooks';

/** What the previous holder reads about a shared phone a colleague took over, or null. */
export function movedAwayText(device: Pick<Device, 'label' | 'moved_at' | 'moved_to'>): string | null {
  if (!device.moved_to) return null;
  const when = device.moved_at ? ` on ${formatTime(device.moved_at)}` : '';
  return `${device.label || 'A device'} was registered by ${device.moved_to.display_name}${when}. It pages them now, not you.`;
}

/** Push registration for this device, the test button, and my devices. */
export function ThisPhone() {
  const unavailable = pushUnavailable();
  const devices = useAsync((signal) => call<Device[]>('/push/subscriptions', { signal }), []);
  const [endpoint, setEndpoint] = useState<string | null>(null);
  const [label, setLabel] = useState(defaultDeviceLabel());
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void currentSubscription().then((s) => setEndpoint(s?.endpoint ?? null)).catch(() => setEndpoint(null));
  }, []);

  // Removed devices are kept by the API for the delivery history; they receive nothing.
  const list: Device[] = (devices.data ?? []).filter((d) => !d.retired_at);
  // A shared phone a colleague registered since: said, so nobody believes it still pages them.
  const moved: Device[] = (devices.data ?? []).filter((d) => d.moved_to);
  const hereId = thisDeviceId();
  const registeredHere = endpoint !== null && hereId !== null && list.some((d) => d.id === hereId);

  async function enable() {
    setBusy('enable');
    setError(null);
    try {
      await enablePush(label.trim() || defaultDeviceLabel());
      setEndpoint((await currentSubscription())?.endpoint ?? null);
      announce('This device will now receive pages.');
      devices.reload();
    } catch (e) {
      setError(e instanceof Error && !('status' in e) ? e.message : describeError(e));
    } finally {
      setBusy(null);
    }
  }

  async function test() {
    setBusy('test');
    setError(null);
    try {
      const answer = await call<{ queued: number }>('/push/test', { method: 'POST' });
      announce(
        answer?.queued
          ? `Test notification sent to ${answer.queued} device${answer.queued === 1 ? '' : 's'}. It should arrive within a minute.`
          : 'No device is registered: register this one first.',
      );
      devices.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  async function remove(device: Device) {
    setBusy(device.id);
    setError(null);
    try {
      await call(`/push/subscriptions/${encodeURIComponent(device.id)}`, { method: 'DELETE' });
      if (device.id === hereId) {
        await (await currentSubscription())?.unsubscribe();
        rememberDeviceId(null);
        setEndpoint(null);
      }
      announce(`${device.label ?? 'Device'} removed. It will no longer receive pages.`);
      devices.reload();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Section title="This device" id="this-phone">
      {unavailable ? (
        <p class="notice warn" data-testid="push-unavailable">
          {UNAVAILABLE_TEXT[unavailable]}
        </p>
      ) : endpoint && registeredHere ? (
        <p class="notice ok" data-testid="push-enabled">
          Pages reach this device.
        </p>
      ) : (
        <div class="stack">
          <p>Pages are sent to every device you register. Register this one to be paged on it, even when Lantern is closed.</p>
          <label for="device-label">Name for this device</label>
          <input id="device-label" value={label} maxLength={60} onInput={(e) => setLabel(e.currentTarget.value)} />
          <button type="button" class="primary" onClick={enable} disabled={busy !== null} data-testid="push-enable">
            {busy === 'enable' ? 'Registering…' : 'Receive pages on this device'}
          </button>
        </div>
      )}
      <div class="actions">
        <button type="button" onClick={test} disabled={busy !== null} data-testid="push-test">
          {busy === 'test' ? 'Sending…' : 'Send a test notification'}
        </button>
      </div>
      {error ? <ErrorText>{error}</ErrorText> : null}
      <h3>My devices</h3>
      {moved.length ? (
        <ul class="plain" data-testid="device-moved">
          {moved.map((d) => (
            <li key={`moved-${d.id}`} class="notice warn">
              {movedAwayText(d)}
            </li>
          ))}
        </ul>
      ) : null}
      {devices.loading && !devices.data ? <Loading what="your devices" /> : null}
      {devices.error && !devices.data ? <ErrorText>{devices.error}</ErrorText> : null}
      {devices.data ? (
        list.length ? (
          <ul class="plain" data-testid="device-list">
            {list.map((d) => (
              <li key={d.id} class="row">
                <span>
                  <strong>{d.label || 'Unnamed device'}</strong>
                  {d.id === hereId ? ' (this device)' : ''}
                  <br />
                  <small>
                    {d.last_success_at ? `Last delivered ${formatTime(d.last_success_at)}` : 'Nothing delivered yet'}
                    {d.failure_count ? ` · ${d.failure_count} failed` : ''}
                  </small>
                  {d.working === false ? (
                    <small class="error-text">
                      <br />
                      Not working: pages may not reach it.
                    </small>
                  ) : null}
                </span>
                <button type="button" onClick={() => remove(d)} disabled={busy !== null} aria-label={`Remove ${d.label || 'device'}`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p>No devices registered. You will not receive pages until you register one.</p>
        )
      ) : null}
    </Section>
  );
}
