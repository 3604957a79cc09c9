// The last answer a screen showed, sealed in this device's vault, to show (with its age) when
// the server cannot be reached. Keys are fixed nouns ("list:incidents"), never a name or an id
// of a person; values are sealed like an opened incident's copy, bound to who saw them, pruned
// after the same time, and wiped with the rest of the vault on sign-out.
import { ApiError } from '../api/client';
import type { Vault } from '../outbox/vault';

/** How long a sealed copy (an incident, a list, an on-call answer) stays on the device. */
export const SAVED_COPY_MAX_AGE = 24 * 3_600_000;

export const LIST_PREFIX = 'list:';
export const INCIDENT_LIST_KEY = `${LIST_PREFIX}incidents`;
export const ON_CALL_KEY = `${LIST_PREFIX}on-call`;

export interface Shown<T> {
  value: T;
  /** When the copy shown was saved on this device; null when it is the live answer. */
  savedAt: number | null;
}

interface Kept<T> {
  value: T;
  owner: string | null;
  saved_at: number;
}

/**
 * Fetch live and keep a sealed copy; when the fetch fails for want of a connection, the copy
 * this same person saw last (not older than SAVED_COPY_MAX_AGE) instead. Any other failure, or
 * no usable copy, is thrown as it came.
 */
export async function liveOrSaved<T>(
  vault: Vault,
  key: string,
  owner: string | null,
  fetchLive: () => Promise<T>,
): Promise<Shown<T>> {
  try {
    const value = await fetchLive();
    await vault.put(key, { value, owner, saved_at: Date.now() } satisfies Kept<T>);
    await vault.prune(LIST_PREFIX, SAVED_COPY_MAX_AGE).catch(() => undefined);
    return { value, savedAt: null };
  } catch (error) {
    if (error instanceof ApiError && error.offline) {
      const kept = await vault.get<Kept<T>>(key);
      if (kept && kept.owner === owner && Date.now() - kept.saved_at <= SAVED_COPY_MAX_AGE) {
        return { value: kept.value, savedAt: kept.saved_at };
      }
    }
    throw error;
  }
}
