import type { IncidentPage, MyOnCall, OnCallShift } from '../api/types';
import { useLive } from '../live';
import { incidentList, myOnCall } from '../offline/lists';
import type { Shown } from '../offline/savedCopy';
import { app, useStore } from '../state';
import { formatTime, teamName } from '../ui/format';
import { type Async, useAsync, useDebounced, useTitle } from '../ui/hooks';
import { Loading, Section, LoadError, SavedNotice } from '../ui/bits';
import { ThisPhone } from './ThisPhone';

/** The on-call worker's home: am I on call, will pages reach this phone, anything waiting? */
export function WorkerHome() {
  useTitle('On call');
  const me = useStore(app, (s) => s.me);
  const onCall = useAsync(myOnCall, [], { stale: (shown) => shown.savedAt !== null });
  const list = useAsync(incidentList, [], { stale: (shown) => shown.savedAt !== null });
  // The sections appear together once both answers (or errors) are in, at their own heights:
  // none is pushed down the screen by one above it finishing (no layout shift, issue 16).
  // Everything is fetched meanwhile; the sections wait hidden.
  const settled = (onCall.data !== undefined || !onCall.loading) && (list.data !== undefined || !list.loading);
  return (
    <>
      <h1>Hello, {me?.display_name ?? me?.username}</h1>
      {settled ? null : <Loading what="your shifts and incidents" />}
      <div hidden={!settled}>
        <OnCall onCall={onCall} />
        <Waiting list={list} />
        <ThisPhone />
      </div>
    </>
  );
}

function shiftText(shift: OnCallShift): string {
  return `${teamName(shift.team)}, ${shift.level}`;
}

function OnCall({ onCall }: { onCall: Async<Shown<MyOnCall>> }) {
  const now = onCall.data?.value.now ?? [];
  const next = onCall.data?.value.next ?? null;
  return (
    <Section title="On call" id="oncall">
      {onCall.loading && !onCall.data ? <Loading what="your shifts" /> : null}
      <SavedNotice savedAt={onCall.data?.savedAt} what="your shifts" />
      {!onCall.data ? <LoadError state={onCall} what="who is on call" /> : null}
      {onCall.data ? (
        <dl class="facts">
          <dt>Now</dt>
          <dd data-testid="oncall-now">
            {now.length ? (
              <>
                <strong>On call</strong>
                <ul class="plain">
                  {now.map((shift) => (
                    <li key={`${shift.team.slug}-${shift.level}`}>
                      {shiftText(shift)} until {formatTime(shift.ends_at)}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              'Not on call'
            )}
          </dd>
          <dt>Next shift</dt>
          <dd data-testid="oncall-next">
            {next ? `${shiftText(next)}, ${formatTime(next.starts_at)} – ${formatTime(next.ends_at)}` : 'None planned'}
          </dd>
        </dl>
      ) : null}
    </Section>
  );
}

const OPEN = new Set(['reported', 'paging', 'uncovered']);

function Waiting({ list }: { list: Async<Shown<IncidentPage>> }) {
  const refetch = useDebounced(list.reload, 400);
  useLive(refetch);
  const waiting = (list.data?.value.items ?? []).filter((i) => OPEN.has(i.state) || i.uncovered);
  return (
    <Section title="Waiting for a response" id="waiting">
      {list.loading && !list.data ? <Loading what="incidents" /> : null}
      <SavedNotice savedAt={list.data?.savedAt} what="the list" />
      {!list.data ? <LoadError state={list} what="incidents" /> : null}
      {list.data ? (
        <p>
          {waiting.length ? (
            <a href="/incidents" class="button primary">
              {waiting.length} incident{waiting.length === 1 ? '' : 's'} waiting – open
            </a>
          ) : (
            <>
              Nothing is waiting. <a href="/incidents">All incidents</a>
            </>
          )}
        </p>
      ) : null}
    </Section>
  );
}
