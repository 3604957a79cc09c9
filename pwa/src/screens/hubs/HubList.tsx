// The hubs you coordinate or manage: each opens this week's pack for the meeting.
import type { components } from '../../api/schema';
import { call } from '../../api/client';
import { LoadError, Loading } from '../../ui/bits';
import { useAsync, useTitle } from '../../ui/hooks';

type Hubs = components['schemas']['HubList'];

export function HubList() {
  useTitle('Hub meetings');
  const hubs = useAsync((signal) => call<Hubs>('/hubs', { signal }), []);
  const data = hubs.data;
  return (
    <>
      <h1>Hub meetings</h1>
      <p class="hint">The weekly pack of each hub you coordinate or manage: who came through this week, where, and the decisions to follow up.</p>
      {hubs.loading && !data ? <Loading what="your hubs" /> : null}
      {!data ? <LoadError state={hubs} what="your hubs" /> : null}
      {data ? (
        data.hubs.length ? (
          <ul class="plain" data-testid="hubs">
            {data.hubs.map((h) => (
              <li key={h.slug} class="row">
                <a href={`/hubs/${encodeURIComponent(h.slug)}/${data.current_week}`}>{h.name}</a>
                <span>{data.current_week}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p>You are not a member of a CSE or CCE hub's team.</p>
        )
      ) : null}
    </>
  );
}
