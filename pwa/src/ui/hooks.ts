import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/client';
import { app, useStore } from '../state';

/** While a load has failed for want of a connection, it is tried again this often, and at once
 * when the phone says it is online or the live stream opens again. */
export const OFFLINE_RETRY_MS = 5_000;

/** Page titles never carry personal data: "Lantern" or "Lantern · <what>". */
export function useTitle(what?: string): void {
  useEffect(() => {
    document.title = what ? `Lantern · ${what}` : 'Lantern';
  }, [what]);
}

export interface Async<T> {
  data: T | undefined;
  error: string | null;
  errorStatus: number | null;
  loading: boolean;
  reload: () => void;
}

/** Load something; `reload()` refetches while keeping what is shown. `stale(value)` says a
 * value is this device's saved copy shown for want of a connection: it is retried like a
 * failed load until the live answer replaces it. */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  options: { stale?: (value: T) => boolean } = {},
): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [errorStatus, setErrorStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadRef
      .current(controller.signal)
      .then((value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
        setErrorStatus(null);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted) return;
        setError(describeError(e));
        setErrorStatus((e as { status?: number }).status ?? null);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);

  // Back from "No connection" by itself: the header saying Live while the list still says No
  // connection would be a lie.
  const connected = useStore(app, (s) => s.online && s.live === 'open');
  const waiting = errorStatus === 0 || (data !== undefined && error === null && Boolean(options.stale?.(data)));
  useEffect(() => {
    if (connected && waiting) reload();
  }, [connected]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!waiting || loading) return;
    const timer = setTimeout(reload, OFFLINE_RETRY_MS);
    return () => clearTimeout(timer);
  }, [waiting, loading, reload]);

  return { data, error, errorStatus, loading, reload };
}

/** A function that runs at most once per `ms`, trailing. */
export function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => ref.current(), ms);
  }, [ms]);
}

/** Re-render every `ms` (for clocks and "12 min ago"). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
