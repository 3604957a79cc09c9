import { call } from '../api/client';
import type { IncidentSummary, MyOnCall, OnCallShift, Page } from '../api/types';
import { useLive } from '../live';
import { app, useStore } from '../state';
import { formatTime, teamName } from '../ui/format';
import { useAsync, useDebounced, useTitle } from '../ui/hooks';
import { ErrorText, Loading, Section } from '../ui/bits';
import { ThisPhone } from './ThisPhone';

/** The on-call worker's home: am I on call, will pages reach this phone, anything waiting? */
export function WorkerHome() {
  useTitle('On call');
  const me = useStore(app, (s) => s.me);
  return (
    <>
      <h1>Hello, {me?.display_name ?? me?.username}</h1>
      <OnCall />
      <Waiting />
      <ThisPhone />
    </>
  );
}

function shiftText(shift: OnCallShift): string {
  const level = shift.level === 'primary' ? 'primary' : shift.level === 'secondary' ? 'secondary' : shift.level;
  return `${teamName(shift.team)}, ${level}`;
}

function OnCall() {
  const onCall = useAsync((signal) => call<MyOnCall>('/me/on-call', { signal }), []);
  return (
    <Section title="On call" id="oncall">
      {onCall.loading && !onCall.data ? <Loading what="your shifts" /> : null}
      {onCall.error && !onCall.data ? <ErrorText>{onCall.error}</ErrorText> : null}
      {onCall.data ? (
        <dl class="facts">
          <dt>Now</dt>
          <dd data-testid="oncall-now">
            {onCall.data.now ? (
              <>
                <strong>On call</strong>: {shiftText(onCall.data.now)}
                {onCall.data.now.ends_at ? ` until ${formatTime(onCall.data.now.ends_at)}` : ''}
              </>
            ) : (
              'Not on call'
            )}
          </dd>
          <dt>Next shift</dt>
          <dd data-testid="oncall-next">
            {onCall.data.next
              ? `${shiftText(onCall.data.next)}, ${formatTime(onCall.data.next.starts_at)}${onCall.data.next.ends_at ? ` – ${formatTime(onCall.data.next.ends_at)}` : ''}`
              : 'None planned'}
          </dd>
        </dl>
      ) : null}
    </Section>
  );
}

const OPEN = new Set(['reported', 'paging', 'uncovered']);

function Waiting() {
  const list = useAsync((signal) => call<Page<IncidentSummary>>('/incidents', { signal }), []);
  const refetch = useDebounced(list.reload, 400);
  useLive(refetch);
  const waiting = (list.data?.items ?? []).filter((i) => OPEN.has(i.state) || i.uncovered);
  return (
    <Section title="Waiting for a response" id="waiting">
      {list.loading && !list.data ? <Loading what="incidents" /> : null}
      {list.error && !list.data ? <ErrorText>{list.error}</ErrorText> : null}
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
