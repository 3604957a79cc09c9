// The hub meeting screens live in their own chunk, fetched on first use (and precached by the
// service worker for offline), so the app shell stays within its budget.
import { useEffect, useState } from 'preact/hooks';
import { ErrorText, Loading } from '../ui/bits';

type Chunk = typeof import('./hubs/index');
let loaded: Chunk | null = null;

export function Hubs({ hub, week }: { hub?: string; week?: string }) {
  const [chunk, setChunk] = useState<Chunk | null>(loaded);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (chunk) return;
    import('./hubs/index')
      .then((m) => {
        loaded = m;
        setChunk(m);
      })
      .catch(() => setFailed(true));
  }, [chunk]);
  if (failed) return <ErrorText>This screen could not be loaded. Check the connection and reload.</ErrorText>;
  if (!chunk) return <Loading what="the screen" />;
  if (hub && week) return <chunk.HubPackScreen hub={hub} week={week} />;
  return <chunk.HubList />;
}
