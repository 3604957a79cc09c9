import { useState } from 'preact/hooks';
import { call } from '../api/client';
import type { IncidentPage, IncidentSummary } from '../api/types';
import { useLive } from '../live';
import { incidentList } from '../offline/lists';
import { Loading, PriorityBadge, StateBadge, LoadError, SavedNotice } from '../ui/bits';
import { ago, categoryLabel, formatTime, kindLabel, stationName } from '../ui/format';
import { useAsync, useDebounced, useNow, useTitle } from '../ui/hooks';

const RANK: Record<string, number> = { uncovered: 0, paging: 1, reported: 2, acknowledged: 3, attending: 4 };

/** Uncovered first, then paging, then new; within a rank, the most recent first. */
export function sortIncidents(items: IncidentSummary[]): IncidentSummary[] {
  const rank = (i: IncidentSummary) => (i.uncovered ? 0 : (RANK[i.state] ?? 9));
  const when = (i: IncidentSummary) => new Date(i.occurred_at ?? i.reported_at ?? 0).getTime();
  return [...items].sort((a, b) => rank(a) - rank(b) || when(b) - when(a));
}

export function Inbox() {
  useTitle('Incidents');
  const now = useNow();
  const [more, setMore] = useState<IncidentSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const list = useAsync(
    async (signal) => {
      const shown = await incidentList(signal);
      setMore([]);
      // A saved copy offers no "Show more": the next page would need the server.
      setCursor(shown.savedAt ? null : (shown.value.next_cursor ?? null));
      return shown;
    },
    [],
    { stale: (shown) => shown.savedAt !== null },
  );
  const refetch = useDebounced(list.reload, 400);
  useLive(refetch);

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await call<IncidentPage>(`/incidents?cursor=${encodeURIComponent(cursor)}`);
      setMore((m) => [...m, ...page.items]);
      setCursor(page.next_cursor ?? null);
    } finally {
      setLoadingMore(false);
    }
  }

  const items = sortIncidents([...(list.data?.value.items ?? []), ...more]);
  return (
    <>
      <h1>Incidents</h1>
      <p class="hint">Updates live. Uncovered, paging and new incidents are at the top.</p>
      {list.loading && !list.data ? <Loading what="incidents" /> : null}
      <SavedNotice savedAt={list.data?.savedAt} what="the list" />
      <LoadError state={list} what="incidents" />
      {list.data && !items.length ? <p>No incidents for your teams.</p> : null}
      <ul class="cards" data-testid="incident-list">
        {items.map((i) => (
          <li key={i.id}>
            <a href={`/incidents/${i.id}`} class={`incident ${i.uncovered || i.state === 'uncovered' ? 'is-uncovered' : ''} ${i.state === 'paging' ? 'is-paging' : ''}`}>
              <span class="line1">
                <strong>{i.reference}</strong>
                <StateBadge state={i.state} uncovered={i.uncovered} />
                <PriorityBadge priority={i.priority} />
              </span>
              <span class="line2">
                {[categoryLabel(i.category), kindLabel(i.kind), stationName(i.police_station)].filter(Boolean).join(' · ')}
              </span>
              {i.young_person?.first_name || i.young_person?.last_name ? (
                <span class="line2">{[i.young_person.first_name, i.young_person.last_name].filter(Boolean).join(' ')}</span>
              ) : null}
              <span class="line3">
                {formatTime(i.occurred_at ?? i.reported_at)} · {ago(i.occurred_at ?? i.reported_at, now)}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {cursor ? (
        <button type="button" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? 'Loading more…' : 'Show more'}
        </button>
      ) : null}
    </>
  );
}
