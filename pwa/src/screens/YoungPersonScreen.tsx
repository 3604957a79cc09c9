// Who the child is: the young person's page, with the incidents of every record merged into
// theirs, the possible matches to confirm or reject (workers, managers) and the merges a
// manager can undo. Decisions need a connection (they change who the child is for everyone).
import { useState } from 'preact/hooks';
import { ApiError, call } from '../api/client';
import type { PersonMerge, PossibleMatch, PossibleMatches, YoungPerson } from '../api/types';
import { announce, app, useStore } from '../state';
import { ErrorText, Loading, PriorityBadge, Section, StateBadge } from '../ui/bits';
import { formatTime, kindLabel } from '../ui/format';
import { useAsync, useTitle } from '../ui/hooks';

function born(record: { date_of_birth?: string | null; apparent_age?: number | null }): string {
  if (record.date_of_birth) return `born ${new Date(record.date_of_birth).toLocaleDateString('en-GB')}`;
  return record.apparent_age ? `about ${record.apparent_age}` : 'date of birth not known';
}

export function YoungPersonScreen({ id }: { id: string }) {
  useTitle('Young person');
  const roles = useStore(app, (s) => s.me?.roles ?? []);
  const base = `/young-people/${encodeURIComponent(id)}`;
  const person = useAsync((signal) => call<YoungPerson>(base, { signal }), [id]);
  const matches = useAsync((signal) => call<PossibleMatches>(`${base}/possible-matches`, { signal }), [id]);
  const canDecide = roles.includes('worker') || roles.includes('manager');
  const canUndo = roles.includes('manager');
  const p = person.data;

  function reload() {
    person.reload();
    matches.reload();
  }

  return (
    <>
      <h1>Young person</h1>
      {person.loading && !p ? <Loading what="the young person" /> : null}
      {person.error && !p ? <ErrorText>{person.error}</ErrorText> : null}
      {p ? (
        <section class="card" aria-label="Record">
          <p class="line1">
            <strong data-testid="person-name">{`${p.first_name} ${p.last_name}`}</strong>
          </p>
          <p>
            {born(p)}
            {p.la_reference ? ` · LA ref ${p.la_reference}` : ''}
            {p.aliases.length ? ` · also known as ${p.aliases.join(', ')}` : ''}
          </p>
          {p.merged_into_id ? (
            <p class="notice">
              This record was merged into <a href={`/young-people/${p.merged_into_id}`}>the child's main record</a>.
            </p>
          ) : null}
          <p>
            <a href={`${base}/network`} data-testid="network-link">
              Network: peers and persons of concern seen with this child
            </a>
          </p>
        </section>
      ) : null}
      {p ? (
        <Section title={`Incidents (${p.incidents.length})`} id="person-incidents">
          <ul class="plain" data-testid="person-incidents">
            {p.incidents.map((i) => (
              <li key={i.id} class="row">
                <a href={`/incidents/${i.id}`}>
                  {i.reference} · {kindLabel(i.kind)} · {formatTime(i.occurred_at)}
                </a>
                <span>
                  <PriorityBadge priority={i.priority} /> <StateBadge state={i.state} />
                </span>
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      {matches.data ? (
        <Matches data={matches.data} base={base} canDecide={canDecide} canUndo={canUndo} onChange={reload} />
      ) : matches.error && p ? (
        <ErrorText>{matches.error}</ErrorText>
      ) : null}
    </>
  );
}

function Matches({
  data,
  base,
  canDecide,
  canUndo,
  onChange,
}: {
  data: PossibleMatches;
  base: string;
  canDecide: boolean;
  canUndo: boolean;
  onChange: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function act(key: string, path: string, done: string) {
    setBusy(key);
    setError(null);
    try {
      await call(path, { method: 'POST' });
      announce(done);
      onChange();
    } catch (e) {
      setError(e instanceof ApiError && e.offline ? 'No connection: try again when you have a signal.' : String((e as Error).message));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Section title={`Possible matches (${data.items.length})`} id="possible-matches">
      {data.records.length > 1 ? <p>This child has {data.records.length} records merged into one.</p> : null}
      {data.items.length ? (
        <ul class="plain" data-testid="possible-matches">
          {data.items.map((m: PossibleMatch) => (
            <li key={m.id} class="card" data-testid="possible-match">
              <p>
                <strong>{`${m.record.first_name} ${m.record.last_name}`}</strong> · {born(m.record)}
                {m.record.la_reference ? ` · LA ref ${m.record.la_reference}` : ''}
                {m.record.aliases.length ? ` · also known as ${m.record.aliases.join(', ')}` : ''}
                <br />
                <small>{m.reason}</small>
              </p>
              {canDecide ? (
                <div class="actions">
                  <button
                    type="button"
                    class="primary"
                    disabled={busy !== null}
                    onClick={() => act(m.id, `${base}/possible-matches/${m.id}/confirm`, 'Confirmed: the records are merged.')}
                  >
                    Same child: merge
                  </button>
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => act(m.id, `${base}/possible-matches/${m.id}/reject`, 'Rejected: it will not be suggested again.')}
                  >
                    Not the same child
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p>No open possible matches.</p>
      )}
      {data.merges.length ? (
        <>
          <h3>Merges</h3>
          <ul class="plain" data-testid="merges">
            {data.merges.map((m: PersonMerge) => (
              <li key={m.id} class="row">
                <span>
                  Merged by {m.merged_by} {formatTime(m.merged_at)}
                  {m.undone_at ? ` · undone by ${m.undone_by ?? 'a manager'} ${formatTime(m.undone_at)}` : ''}
                </span>
                {canUndo && !m.undone_at ? (
                  <button type="button" disabled={busy !== null} onClick={() => act(m.id, `${base}/merges/${m.id}/undo`, 'Merge undone.')}>
                    Undo merge
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </Section>
  );
}
