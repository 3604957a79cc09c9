// Reference data the offline forms need (indicator catalogue, support-offer kinds): fetched
// when online, kept in clear on the device (it is not personal), used when offline.
import { ApiError, call } from '../api/client';
import type { Indicator, OfferKind } from '../api/types';
import { getLocal } from '../runtime';

export interface Catalogue<T> {
  items: T[];
  fromDevice: boolean;
}

// One request per catalogue at a time: the sign-in prefetch and a screen opening at once (the
// report form) share it instead of fetching the same catalogue twice on the way to the screen.
const inFlight = new Map<string, Promise<Catalogue<unknown>>>();

function load<T>(path: string, name: string, fallback: T[]): Promise<Catalogue<T>> {
  let pending = inFlight.get(name) as Promise<Catalogue<T>> | undefined;
  if (!pending) {
    pending = fetchCatalogue<T>(path, name, fallback).finally(() => inFlight.delete(name));
    inFlight.set(name, pending);
  }
  return pending;
}

async function fetchCatalogue<T>(path: string, name: string, fallback: T[]): Promise<Catalogue<T>> {
  const vault = getLocal().vault;
  try {
    const answer = await call<T[] | { items: T[] }>(path);
    const items = Array.isArray(answer) ? answer : answer.items;
    await vault.putCatalogue(name, items);
    return { items, fromDevice: false };
  } catch (error) {
    const kept = await vault.getCatalogue<T[]>(name);
    if (kept) return { items: kept, fromDevice: true };
    if (error instanceof ApiError && error.offline && fallback.length) return { items: fallback, fromDevice: true };
    throw error;
  }
}

export function offerKinds(): Promise<Catalogue<OfferKind>> {
  return load<OfferKind>('/support-offer-kinds', 'support-offer-kinds', []);
}

export function indicators(): Promise<Catalogue<Indicator>> {
  return load<Indicator>('/indicators', 'indicators', []);
}

/** Fetch the catalogues a role will need offline, right after sign-in. */
export function prefetchCatalogues(roles: string[]): void {
  // Police report indicators; workers and managers add those disclosed to them.
  if (roles.some((r) => r === 'police' || r === 'worker' || r === 'manager' || r === 'day_team')) {
    void indicators().catch(() => undefined);
  }
  if (roles.some((r) => r === 'worker' || r === 'manager')) void offerKinds().catch(() => undefined);
}
