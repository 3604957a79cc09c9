import { call } from '../api/client';
import type { Board as BoardData, IncidentSummary } from '../api/types';
import { useLive } from '../live';
import { Loading, PriorityBadge, Section, StateBadge, LoadError } from '../ui/bits';
import { ago, categoryLabel, formatTime, kindLabel, stationName, teamName } from '../ui/format';
import { useAsync, useDebounced, useNow, useTitle } from '../ui/hooks';

/** The duty manager's board: what nobody has taken, what nobody could be reached for, rota gaps. */
export function Board() {
  useTitle('Board');
  const now = useNow();
  const board = useAsync((signal) => call<BoardData>('/board', { signal }), []);
  const refetch = useDebounced(board.reload, 400);
  useLive(refetch);
  const data = board.data;
  return (
    <>
      <h1>Board</h1>
      <p class="hint">Updates live.</p>
      {board.loading && !data ? <Loading what="the board" /> : null}
      <LoadError state={board} what="the board" />
      {data ? (
        <>
          <Section title={`Uncovered (${data.uncovered.length})`} id="uncovered">
            <IncidentList items={data.uncovered} now={now} empty="No uncovered incidents." testId="board-uncovered" />
          </Section>
          <Section title={`Not yet acknowledged (${data.unacknowledged.length})`} id="unacked">
            <IncidentList items={data.unacknowledged} now={now} empty="Every incident has been acknowledged." testId="board-unacknowledged" />
          </Section>
          {data.needs_review ? (
            <Section title={`Needs a manager's review (${data.needs_review.length})`} id="review">
              <IncidentList items={data.needs_review} now={now} empty="Nothing waits for a review." testId="board-review" />
            </Section>
          ) : null}
          <Section title={`Rota gaps (${data.rota_gaps.length})`} id="gaps">
            {data.rota_gaps.length ? (
              <ul class="plain" data-testid="board-gaps">
                {data.rota_gaps.map((g) => (
                  <li key={`${teamName(g.team)}-${g.level}-${g.starts_at}`} class="row gap">
                    <span>
                      <strong>{teamName(g.team)}</strong> · {g.level}
                      <br />
                      <small>
                        {g.reason === 'no_working_device' ? 'On call, but no working device to page' : 'No one on call'} {formatTime(g.starts_at)} –{' '}
                        {formatTime(g.ends_at)}
                      </small>
                    </span>
                  </li>
                ))}
              </ul>
            ) : (
              <p>No gaps in the rotas ahead.</p>
            )}
          </Section>
        </>
      ) : null}
    </>
  );
}

function IncidentList({ items, now, empty, testId }: { items: IncidentSummary[]; now: number; empty: string; testId: string }) {
  if (!items.length) return <p>{empty}</p>;
  return (
    <ul class="cards" data-testid={testId}>
      {items.map((i) => (
        <li key={i.id}>
          <a href={`/incidents/${i.id}`} class={`incident ${i.uncovered || i.state === 'uncovered' ? 'is-uncovered' : ''}`}>
            <span class="line1">
              <strong>{i.reference}</strong>
              <StateBadge state={i.state} uncovered={i.uncovered} />
              <PriorityBadge priority={i.priority} />
            </span>
            <span class="line2">
              {[categoryLabel(i.category), kindLabel(i.kind), stationName(i.police_station), i.teams?.map(teamName).join(', ')].filter(Boolean).join(' · ')}
            </span>
            <span class="line3">
              {formatTime(i.occurred_at ?? i.reported_at)} · {ago(i.reported_at ?? i.occurred_at, now)}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}
