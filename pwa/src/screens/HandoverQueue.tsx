import { useState } from 'preact/hooks';
import { call, describeError } from '../api/client';
import type { HandoverItem, Page } from '../api/types';
import { useLive } from '../live';
import { location, navigate } from '../router';
import { announce, app, useStore } from '../state';
import { ErrorText, Loading, PriorityBadge, StateBadge } from '../ui/bits';
import { dueIn, formatTime, kindLabel, OUTCOME_LABELS, teamName } from '../ui/format';
import { useAsync, useDebounced, useNow, useTitle } from '../ui/hooks';

export type HandoverView = 'awaiting_pickup' | 'picked_up';

/** London "night of" date for the printable report: the date the night started. */
export function nightOf(now = new Date()): string {
  const d = new Date(now.getTime() - 12 * 3_600_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export async function loadHandover(team: string, state: HandoverView, signal?: AbortSignal): Promise<HandoverItem[]> {
  const answer = await call<HandoverItem[] | Page<HandoverItem>>(
    `/handover?team=${encodeURIComponent(team)}&state=${state}`,
    signal ? { signal } : {},
  );
  return Array.isArray(answer) ? answer : answer.items;
}

/** The day team's morning: every incident of the night, clocks, and who picks it up. */
export function HandoverQueue() {
  useTitle('Handover');
  const teams = useStore(app, (s) => s.me?.teams ?? []);
  const query = useStore(location, (l) => l.query);
  const team = query.get('team') ?? teams[0]?.slug ?? '';
  const view: HandoverView = query.get('state') === 'picked_up' ? 'picked_up' : 'awaiting_pickup';
  const now = useNow();
  const items = useAsync((signal) => (team ? loadHandover(team, view, signal) : Promise.resolve([])), [team, view]);
  const refetch = useDebounced(items.reload, 500);
  useLive(refetch);

  const go = (nextTeam: string, nextView: HandoverView) =>
    navigate(`/handover?team=${encodeURIComponent(nextTeam)}&state=${nextView}`, { replace: true });

  return (
    <>
      <h1>Handover</h1>
      {teams.length > 1 ? (
        <div class="stack inline">
          <label for="handover-team">Team</label>
          <select id="handover-team" value={team} onChange={(e) => go(e.currentTarget.value, view)}>
            {teams.map((t) => (
              <option key={t.slug} value={t.slug}>
                {teamName(t)}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div class="tabs" role="group" aria-label="Which items">
        <button type="button" aria-pressed={view === 'awaiting_pickup'} onClick={() => go(team, 'awaiting_pickup')}>
          Awaiting pick-up
        </button>
        <button type="button" aria-pressed={view === 'picked_up'} onClick={() => go(team, 'picked_up')}>
          Picked up
        </button>
      </div>
      <p>
        <a href={`/handover/print?team=${encodeURIComponent(team)}&night=${nightOf()}`} data-testid="handover-report">
          Printable report for last night
        </a>
      </p>
      {!team ? <p>You are not in a team yet, so there is no handover queue.</p> : null}
      {items.loading && !items.data ? <Loading what="the handover queue" /> : null}
      {items.error ? <ErrorText>{items.error}</ErrorText> : null}
      {items.data && !items.data.length ? <p>Nothing {view === 'picked_up' ? 'picked up yet' : 'waiting'}.</p> : null}
      <ul class="cards" data-testid="handover-list">
        {(items.data ?? []).map((item) => (
          <HandoverCard key={item.id} item={item} now={now} onPicked={items.reload} />
        ))}
      </ul>
    </>
  );
}

export function HandoverCard({ item, now, onPicked, print }: { item: HandoverItem; now: number; onPicked?: () => void; print?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const incident = item.incident;
  const owner = typeof item.owner === 'string' ? item.owner : item.owner?.display_name;

  async function pickUp() {
    setBusy(true);
    setError(null);
    try {
      await call(`/handover/${encodeURIComponent(item.id)}/pickup`, { method: 'POST' });
      announce(`${incident.reference} picked up by you.`);
      onPicked?.();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const clocks = [...(item.clocks ?? [])].sort((a, b) => new Date(a.due_at).getTime() - new Date(b.due_at).getTime());
  return (
    <li class="card handover" data-testid="handover-item">
      <p class="line1">
        {print ? <strong>{incident.reference}</strong> : <a href={`/incidents/${incident.id}`}><strong>{incident.reference}</strong></a>}
        <StateBadge state={incident.state} uncovered={incident.uncovered} />
        <PriorityBadge priority={incident.priority} />
      </p>
      <p class="line2">
        {[incident.category?.toUpperCase(), kindLabel(incident.kind), incident.police_station, formatTime(incident.occurred_at)].filter(Boolean).join(' · ')}
      </p>
      {item.summary ?? incident.summary ? <p class="prose">{item.summary ?? incident.summary}</p> : null}
      {item.decisions ? <p class="prose"><strong>Decisions:</strong> {item.decisions}</p> : null}
      {clocks.length ? (
        <ul class="clocks" aria-label="Open clocks">
          {clocks.map((c) => {
            const due = dueIn(c.due_at, now);
            return (
              <li key={c.kind + c.due_at} class={c.met_at ? 'met' : due.overdue ? 'overdue' : due.soon ? 'soon' : ''}>
                <strong>{c.label ?? c.kind.replace(/_/g, ' ')}</strong>:{' '}
                {c.met_at ? `met ${formatTime(c.met_at)}` : `${due.text} (${formatTime(c.due_at)})`}
              </li>
            );
          })}
        </ul>
      ) : null}
      {item.offers?.length ? (
        <ul class="plain">
          {item.offers.map((o) => (
            <li key={o.id}>
              {o.kind.replace(/_/g, ' ')}: {OUTCOME_LABELS[o.outcome] ?? o.outcome}
              {o.notes ? ` — ${o.notes}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      {item.picked_up_at ? (
        <p class="notice ok">
          Picked up{owner ? ` by ${owner}` : ''} at {formatTime(item.picked_up_at)}
        </p>
      ) : print ? null : (
        <button type="button" class="primary" onClick={pickUp} disabled={busy} data-testid="pickup">
          {busy ? 'Picking up…' : `Pick up ${incident.reference}`}
        </button>
      )}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </li>
  );
}
