// The places of your teams' areas, by name; each leads to its profile.
import type { PlaceList } from '../../api/types';
import { call } from '../../api/client';
import { LoadError, Loading } from '../../ui/bits';
import { useAsync, useTitle } from '../../ui/hooks';
import { PLACE_TYPES } from './labels';

export function PlacesList() {
  useTitle('Places');
  const places = useAsync((signal) => call<PlaceList>('/places', { signal }), []);
  const items = places.data?.items ?? [];
  return (
    <>
      <h1>Places</h1>
      <p class="hint">Places where incidents happened in your teams' areas. Open one to see when and with whom.</p>
      {places.loading && !places.data ? <Loading what="the places" /> : null}
      {!places.data ? <LoadError state={places} what="the places" /> : null}
      {places.data ? (
        items.length ? (
          <ul class="plain" data-testid="places">
            {items.map((p) => (
              <li key={p.id} class="row">
                <a href={`/places/${p.id}`}>{p.name}</a>
                <span>
                  {PLACE_TYPES[p.type] ?? p.type}
                  {p.area ? ` · ${p.area}` : ''}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p>No places yet.</p>
        )
      ) : null}
    </>
  );
}
