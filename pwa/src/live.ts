// One server-sent-events connection for the app; screens subscribe and refetch.
import { useEffect, useRef } from 'preact/hooks';
import type { LiveEvent } from './api/events';

type Handler = (event: LiveEvent) => void;
const handlers = new Set<Handler>();

export function emitLive(event: LiveEvent): void {
  for (const h of handlers) h(event);
}

/**
 * Call `handler` on every live event, and on the synthetic "reconnected" event after the stream
 * (or the service worker) says something may have been missed.
 */
export function useLive(handler: Handler): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const h: Handler = (e) => ref.current(e);
    handlers.add(h);
    return () => {
      handlers.delete(h);
    };
  }, []);
}

/** The incident an event is about, where it says. */
export function incidentOf(event: LiveEvent): string | null {
  const data = event.data as { incident_id?: unknown; id?: unknown } | null;
  if (data && typeof data === 'object') {
    if (typeof data.incident_id === 'string') return data.incident_id;
  }
  return null;
}
