/// <reference lib="webworker" />
// Lantern's service worker: precaches the app shell (never API answers), shows pages from the
// push payload alone, acknowledges from the notification, and sends the outbox on Background Sync.
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { openLocal, SYNC_TAG } from './outbox/local';
import { incidentPath, notificationFor, type PagePayload } from './push/notification';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
}

self.addEventListener('install', () => void self.skipWaiting());
clientsClaim();
cleanupOutdatedCaches();

// The shell only: index.html, hashed assets, manifest, icons. /api is never matched or cached.
precacheAndRoute(self.__WB_MANIFEST);
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/api\//, /^\/(healthz|readyz|metrics|openapi\.json|docs|redoc)/],
  }),
);

self.addEventListener('push', (event) => {
  let payload: PagePayload;
  try {
    payload = (event.data?.json() as PagePayload | undefined) ?? { type: 'test' };
  } catch {
    payload = { type: 'page' };
  }
  const canAct = 'maxActions' in Notification && (Notification as unknown as { maxActions: number }).maxActions > 0;
  const plan = notificationFor(payload, canAct);
  event.waitUntil(
    self.registration.showNotification(plan.title, plan.options).then(() => tellClients({ type: 'push' })),
  );
});

self.addEventListener('notificationclick', (event) => {
  const data = (event.notification.data ?? {}) as { incident_id?: string; ack_token?: string; reference?: string };
  event.notification.close();
  if (event.action === 'ack' && data.incident_id && data.ack_token) {
    event.waitUntil(acknowledge(data.incident_id, data.ack_token, data.reference ?? ''));
  } else {
    event.waitUntil(openApp(incidentPath(data.incident_id)));
  }
});

/** The ack_token is the credential here: single use, for this page only; no bearer token. */
async function acknowledge(incidentId: string, ackToken: string, reference: string): Promise<void> {
  let ok = false;
  try {
    // The public door (POST /api/v1/acknowledgements): the single-use ack_token names the
    // person, the incident and the page; a notification has no session to send.
    const response = await fetch('/api/v1/acknowledgements', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ action: 'phoning', ack_token: ackToken }),
      credentials: 'omit',
      cache: 'no-store',
    });
    ok = response.ok;
  } catch {
    ok = false;
  }
  await self.registration.showNotification(ok ? 'Acknowledged · phoning custody' : 'Not acknowledged', {
    body: ok ? `${reference} · escalation stopped` : `${reference} · open Lantern to respond`,
    tag: incidentId,
    requireInteraction: !ok,
    icon: '/icons/icon-192.png',
    data: { incident_id: incidentId, reference },
  });
  await tellClients({ type: 'push' });
}

async function openApp(path: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const existing = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (existing) {
    existing.postMessage({ type: 'navigate', path });
    await existing.focus();
    return;
  }
  await self.clients.openWindow(path);
}

async function tellClients(message: { type: string }): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) w.postMessage(message);
}

self.addEventListener('sync', (event) => {
  const sync = event as SyncEvent;
  if (sync.tag === SYNC_TAG) sync.waitUntil(sendOutbox());
});

async function sendOutbox(): Promise<void> {
  const local = await openLocal(() => undefined);
  try {
    const report = await local.sync.run({ force: true });
    // Rejecting asks the browser to fire the sync again later.
    if (report.retrying > 0) throw new Error('Some records are waiting to be sent again');
  } finally {
    local.outbox.close();
  }
}
