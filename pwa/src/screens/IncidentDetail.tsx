import { ApiError, call } from '../api/client';
import type { HandoverNote as Note, IncidentDetail as Incident } from '../api/types';
import { incidentOf, useLive } from '../live';
import { SAVED_COPY_MAX_AGE as CACHE_MAX_AGE } from '../offline/savedCopy';
import { getLocal } from '../runtime';
import { app, useStore } from '../state';
import { ErrorText, Loading, PriorityBadge, Section, StateBadge } from '../ui/bits';
import { categoryLabel, CUSTODY_LABELS, formatTime, kindLabel, stationName, teamName } from '../ui/format';
import { useAsync, useDebounced, useTitle } from '../ui/hooks';
import { AckPanel } from './incident/AckPanel';
import { HandoverNote } from './incident/HandoverNote';
import { Offers } from './incident/Offers';
import { Referral } from './incident/Referral';
import { Timeline } from './incident/Timeline';
import { Disclosures } from './incident/Updates';

const CACHE_PREFIX = 'incident:';
const PROVENANCE_LABELS: Record<string, string> = {
  observed: 'observed',
  disclosed: 'disclosed to police',
  intelligence: 'intelligence',
  concern: 'concern',
  worker_disclosed: 'disclosed to worker',
};

interface Loaded {
  incident: Incident;
  notes: Note[];
  /** When shown from this device's sealed copy because the server could not be reached. */
  savedAt: number | null;
}

async function loadIncident(id: string, signal: AbortSignal): Promise<Loaded> {
  const vault = getLocal().vault;
  const path = `/incidents/${encodeURIComponent(id)}`;
  try {
    const [incident, notes] = await Promise.all([
      call<Incident>(path, { signal }),
      call<Note[]>(`${path}/handover-notes`, { signal }).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 0) throw error;
        return [] as Note[];
      }),
    ]);
    // Sealed (AES-GCM) before it touches IndexedDB, so the incident can be opened offline.
    await vault.put(CACHE_PREFIX + id, { incident, notes, saved_at: Date.now() });
    void vault.prune(CACHE_PREFIX, CACHE_MAX_AGE);
    return { incident, notes, savedAt: null };
  } catch (error) {
    if (error instanceof ApiError && error.offline) {
      const kept = await vault.get<{ incident: Incident; notes?: Note[]; saved_at: number }>(CACHE_PREFIX + id);
      if (kept) return { incident: kept.incident, notes: kept.notes ?? [], savedAt: kept.saved_at };
    }
    throw error;
  }
}

export function IncidentDetail({ id }: { id: string }) {
  const roles = useStore(app, (s) => s.me?.roles ?? []);
  const loaded = useAsync((signal) => loadIncident(id, signal), [id], { stale: (l) => l.savedAt !== null });
  const refetch = useDebounced(loaded.reload, 300);
  useLive((event) => {
    const about = incidentOf(event);
    if (!about || about === id) refetch();
  });
  const incident = loaded.data?.incident;
  useTitle(incident ? `Incident ${incident.reference}` : 'Incident');
  const canRespond = roles.includes('worker') || roles.includes('manager');
  const canDisclose = canRespond || roles.includes('day_team');
  const offline = loaded.errorStatus === 0;

  return (
    <>
      <p class="back">
        <a href="/incidents">← Incidents</a>
      </p>
      <h1>{incident ? `Incident ${incident.reference}` : 'Incident'}</h1>
      {loaded.loading && !loaded.data ? <Loading what="the incident" /> : null}
      {loaded.data?.savedAt ? (
        <p class="notice warn">
          Offline: shown as saved on this device at {formatTime(loaded.data.savedAt)}. It may be out of date.
        </p>
      ) : null}
      {loaded.error && !loaded.data ? (
        offline ? (
          <p class="notice warn" role="alert">
            You are offline and this incident has not been opened on this device before. You can still record support
            offered and a handover note: they are kept on this device and sent when you are back online.
          </p>
        ) : (
          <ErrorText>{loaded.error}</ErrorText>
        )
      ) : null}

      {/* The answers to a page first, where the thumb is, without a scroll (and the answer given,
          once given, in the same place). */}
      {incident && canRespond ? <AckPanel incident={incident} onDone={loaded.reload} /> : null}
      {incident ? <Summary incident={incident} /> : null}
      {incident ? <Triage incident={incident} /> : null}
      {incident && canDisclose ? (
        <Disclosures
          target={{ id, reference: incident.reference, version: incident.version }}
          onReload={loaded.reload}
        />
      ) : null}
      {incident || offline ? (
        <>
          {canRespond ? <Offers incidentId={id} reference={incident?.reference ?? ''} serverOffers={incident?.support_offers ?? []} /> : null}
          {canRespond ? <HandoverNote incidentId={id} reference={incident?.reference ?? ''} serverNotes={loaded.data?.notes ?? []} /> : null}
        </>
      ) : null}
      {incident && canDisclose ? <Referral incidentId={id} /> : null}
      {incident?.timeline?.length ? <Timeline entries={incident.timeline} /> : null}
    </>
  );
}

function Summary({ incident }: { incident: Incident }) {
  const yp = incident.young_person;
  return (
    <section class="card" aria-label="Summary">
      <p class="line1">
        <StateBadge state={incident.state} uncovered={incident.uncovered} />
        <PriorityBadge priority={incident.priority} />
        <span>{[categoryLabel(incident.category), kindLabel(incident.kind)].filter(Boolean).join(' · ')}</span>
      </p>
      <dl class="facts">
        {yp ? (
          <>
            <dt>Young person</dt>
            <dd data-testid="young-person">
              {yp.id ? (
                <a href={`/young-people/${yp.id}`}>{[yp.first_name, yp.last_name].filter(Boolean).join(' ')}</a>
              ) : (
                [yp.first_name, yp.last_name].filter(Boolean).join(' ')
              )}
              {yp.date_of_birth ? ` · born ${new Date(yp.date_of_birth).toLocaleDateString('en-GB')}` : ''}
              {!yp.date_of_birth && yp.apparent_age ? ` · about ${yp.apparent_age}` : ''}
              {yp.la_reference ? ` · LA ref ${yp.la_reference}` : ''}
              {yp.possible_matches?.length ? (
                <>
                  {' · '}
                  <a href={`/young-people/${yp.id}`} data-testid="possible-matches-link">
                    {yp.possible_matches.length} possible match{yp.possible_matches.length === 1 ? '' : 'es'}
                  </a>
                </>
              ) : null}
              {yp.id ? (
                <>
                  {' · '}
                  <a href={`/young-people/${yp.id}/network`} data-testid="network-link">
                    Network
                  </a>
                </>
              ) : null}
            </dd>
          </>
        ) : null}
        <dt>When</dt>
        <dd>{formatTime(incident.occurred_at)}</dd>
        {incident.police_station ? (
          <>
            <dt>Station</dt>
            <dd>{stationName(incident.police_station)}</dd>
          </>
        ) : null}
        {incident.police_reference ? (
          <>
            <dt>Police reference</dt>
            <dd>{incident.police_reference}</dd>
          </>
        ) : null}
        {incident.location?.description ? (
          <>
            <dt>Where</dt>
            <dd>
              {incident.location.description}
              {incident.location.place ? (
                <>
                  {' · '}
                  <a href={`/places/${incident.location.place.id}`} data-testid="incident-place">
                    {incident.location.place.name}: place profile
                  </a>
                </>
              ) : null}
            </dd>
          </>
        ) : null}
        {incident.custody_status ? (
          <>
            <dt>Custody</dt>
            <dd>{CUSTODY_LABELS[incident.custody_status] ?? incident.custody_status.replace(/_/g, ' ')}</dd>
          </>
        ) : null}
        {incident.teams?.length ? (
          <>
            <dt>Teams</dt>
            <dd>{incident.teams.map(teamName).join(', ')}</dd>
          </>
        ) : null}
      </dl>
      {incident.circumstances ? <p class="prose">{incident.circumstances}</p> : null}
      {incident.needs_manager_review ? <p class="notice warn">Flagged for a manager's review.</p> : null}
    </section>
  );
}

function Triage({ incident }: { incident: Incident }) {
  const reasons = incident.triage?.reasons ?? [];
  const indicators = incident.indicators ?? [];
  if (!reasons.length && !indicators.length) return null;
  return (
    <Section title="Why Lantern paged" id="triage">
      {reasons.length ? (
        <ul data-testid="triage-reasons">
          {reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
      {indicators.length ? (
        <>
          <h3>Indicators</h3>
          <ul class="tags">
            {indicators.map((i) => (
              <li key={i.code}>
                {i.label ?? i.code.replace(/_/g, ' ')}
                {i.provenance ? <small> · {PROVENANCE_LABELS[i.provenance] ?? i.provenance}</small> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}
