// A young person's network (GET /young-people/{id}/network): who was seen with them, how often,
// where; a small picture and the same as a table. Loaded in its own chunk; the address carries
// the id only and the title no name.
import { call } from '../../api/client';
import type { components } from '../../api/schema';
import { ErrorText, Loading, Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';

type NetworkData = components['schemas']['Network'];
type PlaceSeen = components['schemas']['PlaceSeen'];

export interface Node {
  key: string;
  label: string;
  kind: 'peer' | 'concern';
  times: number;
  places: PlaceSeen[];
  lastSeen: string;
}

/** The people around the child, most often seen first. */
export function nodesOf(network: NetworkData): Node[] {
  const peers: Node[] = network.peers.map((p) => ({
    key: `p-${p.id}`,
    label: `${p.first_name} ${p.last_name}`,
    kind: 'peer',
    times: p.incidents,
    places: p.places,
    lastSeen: p.last_seen,
  }));
  const concerns: Node[] = network.persons_of_concern.map((c) => ({
    key: `c-${c.person.id}`,
    label: c.person.nickname ?? c.person.vehicle ?? c.person.description ?? 'Unnamed',
    kind: 'concern',
    times: c.incidents,
    places: c.places,
    lastSeen: c.last_seen,
  }));
  return [...concerns, ...peers].sort((a, b) => b.times - a.times || a.label.localeCompare(b.label));
}

/** Points on a circle around the centre, one per node (the first at the top). */
export function around(count: number, radius: number, cx: number, cy: number): { x: number; y: number }[] {
  return Array.from({ length: count }, (_, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(count, 1);
    return { x: Math.round(cx + radius * Math.cos(angle)), y: Math.round(cy + radius * Math.sin(angle)) };
  });
}

export default function Network({ id }: { id: string }) {
  useTitle('Network');
  const network = useAsync((signal) => call<NetworkData>(`/young-people/${encodeURIComponent(id)}/network`, { signal }), [id]);
  const data = network.data;
  if (network.loading && !data) return <Loading what="the network" />;
  if (network.error || !data) {
    return (
      <>
        <h1>Network</h1>
        <ErrorText>{network.error ?? 'Not available.'}</ErrorText>
      </>
    );
  }
  const nodes = nodesOf(data);
  const points = around(nodes.length, 95, 160, 125);
  return (
    <>
      <h1>Network</h1>
      <p class="hint">Who was recorded with this young person across {data.incidents} of your teams' incidents. Nothing here is inferred.</p>
      <Section title="Picture" id="picture">
        {nodes.length ? (
          <figure class="chart network" data-testid="network-picture">
            <svg viewBox="0 0 320 250" role="presentation" aria-hidden="true">
              {nodes.map((n, i) => (
                <line key={`l-${n.key}`} x1="160" y1="125" x2={points[i]!.x} y2={points[i]!.y} class="link" stroke-width={Math.min(1 + n.times, 6)} />
              ))}
              <circle cx="160" cy="125" r="14" class="centre" />
              {nodes.map((n, i) => (
                <g key={n.key}>
                  {n.kind === 'concern' ? (
                    <rect x={points[i]!.x - 10} y={points[i]!.y - 10} width="20" height="20" class="node concern" />
                  ) : (
                    <circle cx={points[i]!.x} cy={points[i]!.y} r="10" class="node peer" />
                  )}
                  <text x={points[i]!.x} y={points[i]!.y + 24} text-anchor="middle" class="label">
                    {n.label} ({n.times})
                  </text>
                </g>
              ))}
            </svg>
            <figcaption>The young person in the middle; circles are young people, squares persons of concern; thicker lines, seen together more often.</figcaption>
          </figure>
        ) : (
          <p>Nobody was recorded with this young person.</p>
        )}
      </Section>
      <Section title="Seen with" id="seen-with">
        {nodes.length ? (
          <table class="network-table" data-testid="network-table">
            <thead>
              <tr>
                <th scope="col">Who</th>
                <th scope="col">Times</th>
                <th scope="col">Where</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => (
                <tr key={n.key}>
                  <td>
                    {n.label}
                    <br />
                    <small>{n.kind === 'concern' ? 'Person of concern' : 'Young person'}</small>
                  </td>
                  <td>{n.times}</td>
                  <td>
                    {n.places.length
                      ? n.places.map((p, i) => (
                          <span key={p.id}>
                            {i ? ', ' : ''}
                            <a href={`/places/${p.id}`}>{p.name}</a> ({p.incidents})
                          </span>
                        ))
                      : '—'}
                  </td>
                  <td>{formatTime(n.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>Nobody.</p>
        )}
      </Section>
    </>
  );
}
