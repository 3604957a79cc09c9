// enablePush never leaves "Registering…" spinning: a push service that does not answer
// pushManager.subscribe ends in a clear error after SUBSCRIBE_TIMEOUT_MS.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../src/api/client', () => ({
  call: vi.fn(async (path: string) => {
    if (path === '/push/public-key') return { public_key: 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U' };
    return { id: 'device-1' };
  }),
}));

const { enablePush, SUBSCRIBE_TIMEOUT_MS } = await import('../src/push/register');
const { call } = await import('../src/api/client');

function phone(subscribe: () => Promise<unknown>) {
  const pushManager = { getSubscription: async () => null, subscribe: vi.fn(subscribe) };
  vi.stubGlobal('Notification', { requestPermission: async () => 'granted', permission: 'granted' });
  vi.stubGlobal('navigator', { serviceWorker: { ready: Promise.resolve({ pushManager }) }, userAgent: 'test' });
  vi.stubGlobal('localStorage', { setItem: () => undefined, getItem: () => null, removeItem: () => undefined });
  return pushManager;
}

describe('enablePush', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.mocked(call).mockClear();
  });

  it('gives up with a clear message when the push service never answers', async () => {
    const pushManager = phone(() => new Promise(() => undefined));
    const outcome = enablePush('Chrome on Android').then(
      () => 'registered',
      (error: Error) => error.message,
    );
    await vi.advanceTimersByTimeAsync(SUBSCRIBE_TIMEOUT_MS - 1);
    expect(pushManager.subscribe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2);
    await expect(outcome).resolves.toMatch(/push service did not answer/);
    expect(vi.mocked(call).mock.calls.map(([path]) => path)).not.toContain('/push/subscriptions');
  });

  it('registers the device when the push service answers in time', async () => {
    phone(async () => ({
      endpoint: 'https://push.example.test/abc',
      getKey: () => new Uint8Array([1, 2, 3]).buffer,
      options: {},
    }));
    await expect(enablePush('Chrome on Android')).resolves.toEqual({ id: 'device-1' });
    expect(vi.mocked(call).mock.calls.map(([path]) => path)).toContain('/push/subscriptions');
  });
});
