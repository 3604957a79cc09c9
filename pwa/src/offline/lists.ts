// The incident list and the on-call answer, live or, offline, as last seen on this device.
import { call } from '../api/client';
import type { IncidentPage, MyOnCall } from '../api/types';
import { getLocal } from '../runtime';
import { app } from '../state';
import { INCIDENT_LIST_KEY, liveOrSaved, ON_CALL_KEY, type Shown } from './savedCopy';

/** The first page of the incidents the person may see. */
export function incidentList(signal: AbortSignal): Promise<Shown<IncidentPage>> {
  return liveOrSaved(getLocal().vault, INCIDENT_LIST_KEY, app.get().username, () =>
    call<IncidentPage>('/incidents', { signal }),
  );
}

/** The person's shifts: now and next. */
export function myOnCall(signal: AbortSignal): Promise<Shown<MyOnCall>> {
  return liveOrSaved(getLocal().vault, ON_CALL_KEY, app.get().username, () => call<MyOnCall>('/me/on-call', { signal }));
}
