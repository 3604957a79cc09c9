// "This phone": Web Push registration, asked for on a tap, with the VAPID key from the API.
import { call } from '../api/client';

export type PushUnavailable = 'ios_home_screen' | 'no_service_worker' | 'no_push' | 'insecure' | 'denied';

export function isIos(): boolean {
  const ua = navigator.userAgent;
  return /iPhone|iPad|iPod/.test(ua) || (ua.includes('Macintosh') && navigator.maxTouchPoints > 1);
}

export function isStandalone(): boolean {
  return (
    window.matchMedia?.('(display-mode: standalone)').matches === true ||
    (navigator as Navigator & { standalone?: boolean }).standalone === true
  );
}

/** Why push cannot work here, or null when it can. */
export function pushUnavailable(): PushUnavailable | null {
  if (!window.isSecureContext) return 'insecure';
  if (isIos() && !isStandalone()) return 'ios_home_screen';
  if (!('serviceWorker' in navigator)) return 'no_service_worker';
  if (!('PushManager' in window) || !('Notification' in window)) return isIos() ? 'ios_home_screen' : 'no_push';
  if (Notification.permission === 'denied') return 'denied';
  return null;
}

export const UNAVAILABLE_TEXT: Record<PushUnavailable, string> = {
  ios_home_screen:
    'On iPhone and iPad, pages can only reach Lantern once it is on your Home Screen: tap Share, then "Add to Home Screen", and open Lantern from there (iOS 16.4 or later).',
  no_service_worker: 'This browser cannot run Lantern in the background, so it cannot receive pages. Use an up-to-date Chrome, Edge, Firefox or Safari.',
  no_push: 'This browser cannot receive push notifications. Use an up-to-date Chrome, Edge, Firefox or Safari.',
  insecure: 'Notifications need a secure (https) connection to Lantern.',
  denied:
    'Notifications are blocked for Lantern on this device. Allow them in the browser or system settings (site settings → Notifications), then come back here.',
};

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function toBase64url(buffer: ArrayBuffer | null): string {
  if (!buffer) return '';
  let s = '';
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!('serviceWorker' in navigator)) return null;
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

const DEVICE_KEY = 'lantern.deviceId';

/** The id the API gave this browser's subscription (a random UUID: not personal). */
export function thisDeviceId(): string | null {
  try {
    return localStorage.getItem(DEVICE_KEY);
  } catch {
    return null;
  }
}

export function rememberDeviceId(id: string | null): void {
  try {
    if (id) localStorage.setItem(DEVICE_KEY, id);
    else localStorage.removeItem(DEVICE_KEY);
  } catch {
    /* private mode: the list just cannot mark "this device" */
  }
}

export const SUBSCRIBE_TIMEOUT_MS = 20_000;

/** Ask permission (this must run from a tap), subscribe and tell the API. */
export async function enablePush(label: string): Promise<{ id: string }> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(UNAVAILABLE_TEXT.denied);
  const registration = await withTimeout(navigator.serviceWorker.ready, 10_000, 'Lantern is still installing on this device. Reload and try again.');
  const { public_key } = await call<{ public_key: string }>('/push/public-key');
  const wanted = keyBytes(public_key);
  let subscription = await registration.pushManager.getSubscription();
  // A subscription made with another server key must be replaced.
  const existingKey = subscription?.options.applicationServerKey;
  if (subscription && existingKey && toBase64url(existingKey) !== toBase64url(wanted.buffer)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  // The browser's push service can fail to answer (no network to it, a blocked service): never
  // leave "Registering…" spinning.
  subscription ??= await withTimeout(
    registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: wanted }),
    SUBSCRIBE_TIMEOUT_MS,
    "This phone's push service did not answer. Check the connection and try again.",
  );
  const device = await call<{ id: string }>('/push/subscriptions', {
    method: 'POST',
    body: {
      endpoint: subscription.endpoint,
      keys: { p256dh: toBase64url(subscription.getKey('p256dh')), auth: toBase64url(subscription.getKey('auth')) },
      label,
    },
  });
  rememberDeviceId(device.id);
  return device;
}

/** A label that says which device this is without saying whose. */
export function defaultDeviceLabel(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const device = /Android/.test(ua) ? 'Android' : isIos() ? (/iPad/.test(ua) ? 'iPad' : 'iPhone') : /Windows/.test(ua) ? 'Windows' : /Mac/.test(ua) ? 'Mac' : /Linux/.test(ua) ? 'Linux' : 'device';
  return `${browser} on ${device}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(message)), ms))]);
}
