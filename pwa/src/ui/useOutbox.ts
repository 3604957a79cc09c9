import { useEffect, useState } from 'preact/hooks';
import type { OutboxItem } from '../outbox/types';
import { getLocal } from '../runtime';

/** The outbox's records (decrypted), kept current as they change. */
export function useOutboxItems(filter: (item: OutboxItem) => boolean = () => true): OutboxItem[] {
  const [items, setItems] = useState<OutboxItem[]>([]);
  useEffect(() => {
    let alive = true;
    const outbox = getLocal().outbox;
    const refresh = () => {
      void outbox.list().then((all) => {
        if (alive) setItems(all);
      });
    };
    refresh();
    const unsubscribe = outbox.subscribe(refresh);
    return () => {
      alive = false;
      unsubscribe();
    };
  }, []);
  return items.filter(filter);
}
