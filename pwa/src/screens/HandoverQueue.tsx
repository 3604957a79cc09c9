import { useState } from 'preact/hooks';
import { call, describeError, download } from '../api/client';
import type { HandoverItem, HandoverQueue as Queue } from '../api/types';
import { useLive } from '../live';
import { location, navigate } from '../router';
import { announce, app, useStore } from '../state';
import { ErrorText, LoadError, Loading, PriorityBadge, StateBadge } from '../ui/bits';
import { dueIn, formatTime, kindLabel, OUTCOME_LABELS, stationName, teamName } from '../ui/format';
import { useAsync, useDebounced, useNow, useTitle } from '../ui/hooks';
import { ItemActions } from './handover/ItemActions';
import { MyClocks } from './handover/MyClocks';
import { NrmAction } from './NrmAction';
import { pagingText } from './Board';

/** The queue's two lists (a closed item is in neither). */
export type HandoverView = Exclude<HandoverItem['state'], 'closed'>;

/**
 * The "night of" date of the printable report: the night of D starts on D at 17:00 (London), so
 * the most recent night started 17 hours before the local "now" rounded down to a date.
 */
/** The date on which the most recent complete night began ("last night", as the server's
 * report and demo count it): yesterday, or the day before while a night is still going on
 * (before 03:30). The evening before midnight is still the day team's day: last night is the
 * one they picked up this morning, never the night that is just starting. */
export function nightOf(now = new Date()): string {
  const d = new Date(now.getTime());
  d.setDate(d.getDate() - 1);
  if (now.getHours() * 60 + now.getMinutes() < 3 * 60 + 30) d.setDate(d.getDate() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export async function loadHandover(team: string, state: HandoverView, signal?: AbortSignal): Promise<HandoverItem[]> {
  const params = new URLSearchParams({ state });
  if (team) params.set('team', team);
  const answer = await call<Queue>(`/handover?${params.toString()}`, signal ? { signal } : {});
  return answer.items;
}

/** The day team's morning: every incident of the night, clocks, and who picks it up. */
export function HandoverQueue() {
  useTitle('Handover');
  const teams = useStore(app, (s) => s.me?.teams ?? []);
  const query = useStore(location, (l) => l.query);
  const team = query.get('team') ?? '';
  const view: HandoverView = query.get('state') === 'picked_up' ? 'picked_up' : 'awaiting_pickup';
  const now = useNow();
  const items = useAsync((signal) => loadHandover(team, view, signal), [team, view]);
  const refetch = useDebounced(items.reload, 500);
  useLive(refetch);
  // The reports of the team chosen above, or of each of one's teams.
  const reportTeams = team ? teams.filter((t) => t.slug === team) : teams;
  // Awaiting pick-up: an incident whose page nobody has answered yet is shown apart, below.
  const all = items.data ?? [];
  const paging = view === 'awaiting_pickup' ? all.filter((i) => i.being_paged) : [];
  const ready = view === 'awaiting_pickup' ? all.filter((i) => !i.being_paged) : all;

  const go = (nextTeam: string, nextView: HandoverView) => {
    const params = new URLSearchParams({ state: nextView });
    if (nextTeam) params.set('team', nextTeam);
    navigate(`/handover?${params.toString()}`, { replace: true });
  };

  return (
    <>
      <h1>Handover</h1>
      {teams.length > 1 ? (
        <div class="stack inline">
          <label for="handover-team">Team</label>
          <select id="handover-team" value={team} onChange={(e) => go(e.currentTarget.value, view)}>
            <option value="">All my teams</option>
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
      {reportTeams.length ? (
        reportTeams.map((t) => <ReportLinks key={t.slug} team={t.slug} name={teams.length > 1 ? teamName(t) : ''} />)
      ) : (
        <p>You are not in a team yet, so there is no handover queue.</p>
      )}
      {items.loading && !items.data ? <Loading what="the handover queue" /> : null}
      <LoadError state={items} what="the handover queue" />
      {items.data && !ready.length ? <p>Nothing {view === 'picked_up' ? 'picked up yet' : 'waiting'}.</p> : null}
      <ul class="cards" data-testid="handover-list">
        {ready.map((item) => (
          <HandoverCard key={item.id} item={item} now={now} onPicked={items.reload} />
        ))}
      </ul>
      {paging.length ? <StillBeingPaged items={paging} now={now} /> : null}
      <MyClocks now={now} />
    </>
  );
}

/** Incidents of the night whose page nobody has answered yet: not the day team's to pick up
 * while the on-call response is still running, but in view (with their clocks) so that nothing
 * of the night is missed. Each joins the queue above once someone acknowledges it or the page
 * goes uncovered (the live stream reloads the list). */
function StillBeingPaged({ items, now }: { items: HandoverItem[]; now: number }) {
  return (
    <section class="being-paged" aria-labelledby="being-paged-h" data-testid="handover-being-paged">
      <h2 id="being-paged-h">Still being paged ({items.length})</h2>
      <p>
        Nobody on call has answered these yet. They join the queue when someone acknowledges, or when every level goes
        unanswered and managers are alerted.
      </p>
      <ul class="cards">
        {items.map((item) => {
          const incident = item.incident;
          const clocks = openClocks(item);
          return (
            <li key={item.id} class="card handover paged" data-testid="handover-paged-item">
              <h3 class="line1">
                <a href={`/incidents/${incident.id}`}>{incident.reference}</a>
                <PriorityBadge priority={incident.priority} />
              </h3>
              <p class="line2">
                {[incident.kind_label ?? kindLabel(incident.kind), stationName(incident.station), formatTime(incident.occurred_at)]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
              {item.being_paged ? <p class="line3" data-testid="handover-paging">{pagingText(item.being_paged)}</p> : null}
              {clocks.length ? <ClockList clocks={clocks} now={now} /> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function openClocks(item: HandoverItem) {
  return [...(item.open_clocks ?? item.clocks?.filter((c) => !c.met) ?? [])].sort(
    (a, b) => new Date(a.due_at).getTime() - new Date(b.due_at).getTime(),
  );
}

function ClockList({ clocks, now }: { clocks: ReturnType<typeof openClocks>; now: number }) {
  return (
    <ul class="clocks" aria-label="Open clocks">
      {clocks.map((c) => {
        const due = dueIn(c.due_at, now);
        const overdue = c.status === 'overdue' || due.overdue;
        const soon = c.status === 'approaching' || due.soon;
        return (
          <li key={(c.id ?? c.kind) + c.due_at} class={overdue ? 'overdue' : soon ? 'soon' : ''}>
            <strong>{c.label ?? c.kind.replace(/_/g, ' ')}</strong>: {`${due.text} (${formatTime(c.due_at)})`}
          </li>
        );
      })}
    </ul>
  );
}

/** Last night's report of one team: the printable page, and the CSV and PDF as files. */
function ReportLinks({ team, name }: { team: string; name: string }) {
  const [error, setError] = useState<string | null>(null);
  const night = nightOf();
  const query = `team=${encodeURIComponent(team)}&night=${night}`;
  const save = (suffix: 'csv' | 'pdf', accept: string) => async () => {
    setError(null);
    try {
      await download(`/handover/report.${suffix}?${query}`, `lantern-handover-${team}-${night}.${suffix}`, accept);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <div class="downloads" data-testid={`handover-reports-${team}`}>
      <a href={`/handover/print?${query}`} data-testid="handover-report">
        Printable report for last night{name ? `: ${name}` : ''}
      </a>
      <button type="button" class="link" onClick={save('csv', 'text/csv')} data-testid="handover-csv">
        CSV
      </button>
      <button type="button" class="link" onClick={save('pdf', 'application/pdf')} data-testid="handover-pdf">
        PDF
      </button>
      {error ? <ErrorText>{error}</ErrorText> : null}
    </div>
  );
}

export function HandoverCard({ item, now, onPicked }: { item: HandoverItem; now: number; onPicked?: () => void }) {
  const me = useStore(app, (s) => s.me);
  const mayAct = !!me && (item.owner?.id === me.id || me.roles.includes('manager'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const incident = item.incident;

  async function pickUp() {
    setBusy(true);
    setError(null);
    try {
      await call(`/handover/${encodeURIComponent(item.id)}/pickup`, { method: 'POST' });
      announce(`${incident.reference} picked up by you.`);
      onPicked?.();
    } catch (e) {
      setError(describeError(e));
      onPicked?.();
    } finally {
      setBusy(false);
    }
  }

  const clocks = openClocks(item);
  const reasons = item.decisions?.reasons ?? [];
  return (
    <li class="card handover" data-testid="handover-item">
      <h2 class="line1">
        <a href={`/incidents/${incident.id}`}>{incident.reference}</a>
        <StateBadge state={incident.state} uncovered={incident.uncovered} />
        <PriorityBadge priority={incident.priority} />
      </h2>
      <p class="line2">
        {[incident.kind_label ?? kindLabel(incident.kind), stationName(incident.station), formatTime(incident.occurred_at), item.team ? teamName(item.team) : '']
          .filter(Boolean)
          .join(' · ')}
      </p>
      {item.what_happened?.summary ? <p class="prose">{item.what_happened.summary}</p> : null}
      {clocks.length ? <ClockList clocks={clocks} now={now} /> : null}
      {item.nrm ? <NrmAction incidentId={incident.id} view={item.nrm} {...(onPicked ? { onDecided: onPicked } : {})} /> : null}
      {reasons.length ? (
        <details>
          <summary>Why Lantern routed it here</summary>
          <ul>
            {reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </details>
      ) : null}
      {item.support_offers?.length ? (
        <>
          <h3>Support offered</h3>
          <ul class="plain">
            {item.support_offers.map((o) => (
              <li key={o.id}>
                {o.kind_label ?? o.kind.replace(/_/g, ' ')}: {OUTCOME_LABELS[o.outcome] ?? o.outcome}
                {o.notes ? ` — ${o.notes}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {item.handover_notes?.length ? (
        <>
          <h3>Notes from the night</h3>
          <ul class="plain">
            {item.handover_notes.map((n) => (
              <li key={n.id}>
                <span class="prose">{n.text}</span>
                {n.recorded_by?.display_name ? <small> — {n.recorded_by.display_name}</small> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {item.picked_up_at ? (
        <p class="notice ok" data-testid="picked-up">
          Picked up{item.owner?.display_name ? ` by ${item.owner.display_name}` : ''} at {formatTime(item.picked_up_at)}
        </p>
      ) : item.state === 'awaiting_pickup' ? (
        <button type="button" class="primary" onClick={pickUp} disabled={busy} data-testid="pickup">
          {busy ? 'Picking up…' : `Pick up ${incident.reference}`}
        </button>
      ) : null}
      {item.state === 'picked_up' && mayAct ? <ItemActions item={item} clocks={clocks} onChanged={() => onPicked?.()} /> : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </li>
  );
}
