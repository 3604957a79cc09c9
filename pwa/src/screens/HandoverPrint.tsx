import { useState } from 'preact/hooks';
import { call, describeError } from '../api/client';
import { location } from '../router';
import { useStore } from '../state';
import { ErrorText, Loading } from '../ui/bits';
import { useAsync, useTitle } from '../ui/hooks';
import { HandoverCard, loadHandover } from './HandoverQueue';

/**
 * The printable handover report: the night's items laid out for paper (print styles), and the
 * server's own HTML report to download. The API needs the bearer token, so it cannot be a link.
 */
export function HandoverPrint() {
  useTitle('Handover report');
  const query = useStore(location, (l) => l.query);
  const team = query.get('team') ?? '';
  const night = query.get('night') ?? '';
  const now = Date.now();
  const items = useAsync(async (signal) => {
    const [waiting, picked] = await Promise.all([loadHandover(team, 'awaiting_pickup', signal), loadHandover(team, 'picked_up', signal)]);
    return [...waiting, ...picked];
  }, [team]);
  const [error, setError] = useState<string | null>(null);

  async function download() {
    setError(null);
    try {
      const html = await call<string>(`/handover/report?team=${encodeURIComponent(team)}&night=${encodeURIComponent(night)}`, { text: true });
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `lantern-handover-${team}-${night}.html`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(describeError(e));
    }
  }

  return (
    <>
      <p class="back no-print">
        <a href={`/handover?team=${encodeURIComponent(team)}`}>← Handover</a>
      </p>
      <h1>
        Handover report · {team} · night of {night}
      </h1>
      <div class="actions no-print">
        <button type="button" class="primary" onClick={() => window.print()}>
          Print
        </button>
        <button type="button" onClick={download}>
          Download the report (HTML)
        </button>
      </div>
      {error ? <ErrorText>{error}</ErrorText> : null}
      {items.loading && !items.data ? <Loading what="the report" /> : null}
      {items.error ? <ErrorText>{items.error}</ErrorText> : null}
      <ul class="cards print-list">
        {(items.data ?? []).map((item) => (
          <HandoverCard key={item.id} item={item} now={now} print />
        ))}
      </ul>
    </>
  );
}
