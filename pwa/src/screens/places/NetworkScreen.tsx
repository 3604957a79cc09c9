// A young person's network: the child in the middle, the peers and persons of concern seen at
// their incidents around, each edge labelled with the times seen together; then the same as a
// table (who, how often, where). The URL carries the child's id only.
import type { Network } from '../../api/types';
import { call } from '../../api/client';
import { LoadError, Loading, Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';
import { app, useStore } from '../../state';
import { networkLayout } from './charts';
import { concernLabel } from './labels';

const SIZE = 320;

interface Row {
  id: string;
  label: string;
  kind: 'peer' | 'concern';
  incidents: number;
  lastSeen: string;
  places: { id: string; name: string; incidents: number }[];
  href?: string;
}

export function rows(network: Network): Row[] {
  return [
    ...network.persons_of_concern.map((c) => ({
      id: c.person.id,
      label: concernLabel(c.person),
      kind: 'concern' as const,
      incidents: c.incidents,
      lastSeen: c.last_seen,
      places: c.places,
    })),
    ...network.peers.map((p) => ({
      id: p.id,
      label: `${p.first_name} ${p.last_name}`,
      kind: 'peer' as const,
      incidents: p.incidents,
      lastSeen: p.last_seen,
      places: p.places,
      href: `/young-people/${p.id}/network`,
    })),
  ];
}

function short(label: string): string {
  return label.length > 16 ? `${label.slice(0, 15)}…` : label;
}

export function NetworkScreen({ id }: { id: string }) {
  useTitle('Network');
  const network = useAsync((signal) => call<Network>(`/young-people/${encodeURIComponent(id)}/network`, { signal }), [id]);
  const n = network.data;
  const all = n ? rows(n) : [];
  const layout = networkLayout(all, SIZE);
  const roles = useStore(app, (s) => s.me?.roles ?? []);
  const seesPerson = roles.some((r) => r === 'worker' || r === 'day_team' || r === 'manager');
  return (
    <>
      <h1>Network</h1>
      {seesPerson ? (
        <p class="no-print">
          <a href={`/young-people/${encodeURIComponent(id)}`}>Back to the young person</a>
        </p>
      ) : null}
      {network.loading && !n ? <Loading what="the network" /> : null}
      {!n ? <LoadError state={network} what="the network" /> : null}
      {n ? (
        <>
          <Section title="Who was seen with the child" id="network-picture">
            <p>
              From {n.incidents} incident{n.incidents === 1 ? '' : 's'} your teams can see. Lines show how many incidents each was recorded at with the
              child.
            </p>
            {all.length ? (
              <svg class="chart network" viewBox={`0 0 ${SIZE} ${SIZE}`} role="img" aria-label={`The child and ${all.length} others seen with them; the table below lists each`}>
                {layout.nodes.map((node) => (
                  <line key={`e${node.id}`} x1={layout.center.x} y1={layout.center.y} x2={node.x} y2={node.y} class="edge" />
                ))}
                {layout.nodes.map((node) => (
                  <g key={`l${node.id}`}>
                    <circle cx={node.labelX} cy={node.labelY} r="9" class="edge-label-bg" />
                    <text x={node.labelX} y={node.labelY + 4} text-anchor="middle" class="edge-label">
                      {node.incidents}
                    </text>
                  </g>
                ))}
                <circle cx={layout.center.x} cy={layout.center.y} r="18" class="node node-child" />
                <text x={layout.center.x} y={layout.center.y + 4} text-anchor="middle" class="node-text">
                  Child
                </text>
                {layout.nodes.map((node) => (
                  <g key={`n${node.id}`}>
                    <circle cx={node.x} cy={node.y} r="12" class={`node node-${node.kind}`} />
                    <text x={node.x} y={node.y + (node.y < layout.center.y ? -16 : 26)} text-anchor="middle" class="node-text">
                      {short(node.label)}
                    </text>
                  </g>
                ))}
              </svg>
            ) : (
              <p>No peers or persons of concern recorded at this child's incidents.</p>
            )}
            <ul class="legend">
              <li>
                <span class="swatch node-concern" aria-hidden="true" /> Person of concern
              </li>
              <li>
                <span class="swatch node-peer" aria-hidden="true" /> Peer (another young person)
              </li>
            </ul>
          </Section>
          <Section title={`Seen with the child (${all.length})`} id="network-table">
            <table data-testid="network-table">
              <thead>
                <tr>
                  <th scope="col">Who</th>
                  <th scope="col">How often</th>
                  <th scope="col">Where</th>
                </tr>
              </thead>
              <tbody>
                {all.map((r) => (
                  <tr key={`${r.kind}${r.id}`}>
                    <th scope="row">
                      {r.href ? <a href={r.href}>{r.label}</a> : r.label}
                      <br />
                      <small>{r.kind === 'concern' ? 'Person of concern' : 'Peer'}</small>
                    </th>
                    <td>
                      {r.incidents} incident{r.incidents === 1 ? '' : 's'}
                      <br />
                      <small>last {formatTime(r.lastSeen)}</small>
                    </td>
                    <td>
                      {r.places.length
                        ? r.places.map((p, i) => (
                            <span key={p.id}>
                              {i ? ', ' : ''}
                              <a href={`/places/${p.id}`}>{p.name}</a> ({p.incidents})
                            </span>
                          ))
                        : 'No place recorded'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
        </>
      ) : null}
    </>
  );
}
