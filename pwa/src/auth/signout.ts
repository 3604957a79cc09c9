// Sign-out never loses an unsent record silently: it wipes local data only when nothing is
// unsent, or when the person explicitly chose to discard what is.
import type { Outbox } from '../outbox/store';

export type SignOutResult = { done: true } | { done: false; unsent: number };

export async function signOut(outbox: Outbox, options: { discardUnsent?: boolean } = {}): Promise<SignOutResult> {
  const unsent = await outbox.unsentCount();
  if (unsent > 0 && !options.discardUnsent) return { done: false, unsent };
  await outbox.wipeAll();
  return { done: true };
}
