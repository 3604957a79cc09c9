// Small shared pieces: loading text (never a bare spinner), errors, badges.
import type { ComponentChildren } from 'preact';
import { formatTime, priorityText, stateLabel } from './format';

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorText({ children }: { children: ComponentChildren }) {
  return (
    <p class="error" role="alert">
      {children}
    </p>
  );
}

/** A load that failed: what went wrong and a way to try again now (it is also retried by itself
 * while the failure is a lost connection). */
export function LoadError({ state, what }: { state: { error: string | null; loading: boolean; reload: () => void }; what: string }) {
  if (!state.error) return null;
  return (
    <div class="load-error" data-testid="load-error">
      <ErrorText>{state.error}</ErrorText>
      <button type="button" onClick={state.reload} disabled={state.loading} data-testid="retry">
        {state.loading ? 'Trying again…' : `Try loading ${what} again`}
      </button>
    </div>
  );
}

/** "Offline: the list as saved on this device at 02:14." over a copy shown from the vault. */
export function SavedNotice({ savedAt, what }: { savedAt: number | null | undefined; what: string }) {
  if (!savedAt) return null;
  return (
    <p class="notice warn" data-testid="saved-copy">
      Offline: {what} as saved on this device at {formatTime(savedAt)}. It may be out of date.
    </p>
  );
}

export function StateBadge({ state, uncovered }: { state: string; uncovered?: boolean | undefined }) {
  const s = uncovered ? 'uncovered' : state;
  return <span class={`badge state-${s}`}>{stateLabel(s)}</span>;
}

export function PriorityBadge({ priority }: { priority: string | number | null | undefined }) {
  const text = priorityText(priority);
  if (!text) return null;
  return <span class={`badge prio prio-${text.toLowerCase()}`}>{text}</span>;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = id ? `${id}-h` : undefined;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}
