import type { PersonOfConcern } from '../../api/types';

export const PLACE_TYPES: Record<string, string> = {
  transport_hub: 'Transport hub',
  takeaway_or_shop: 'Takeaway or shop',
  park_or_open_space: 'Park or open space',
  hotel_or_short_let: 'Hotel or short let',
  private_address: 'Private address',
  school_or_college: 'School or college',
  online_platform: 'Online platform',
  other: 'Other',
};

/** What a person of concern is known by: a nickname, else a vehicle, else a description. */
export function concernLabel(p: Pick<PersonOfConcern, 'nickname' | 'vehicle' | 'description' | 'phone_last_digits'>): string {
  if (p.nickname) return p.nickname;
  if (p.vehicle) return p.vehicle;
  if (p.description) return p.description.length > 40 ? `${p.description.slice(0, 39)}…` : p.description;
  return p.phone_last_digits ? `Phone ending ${p.phone_last_digits}` : 'Person of concern';
}
