// A place's profile (GET /places/{id}/profile): loaded in its own chunk, only when opened.
// The address carries the place's id only; the title says "Place", never a name.
import { call } from '../../api/client';
import type { components } from '../../api/schema';
import { ErrorText, Loading, Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';
import { HourHeatMap, WeeklyBars } from './charts';

type Profile = components['schemas']['PlaceProfile'];
type Seen = components['schemas']['YoungPersonSeen'];

const TYPES: Record<string, string> = {
  transport_hub: 'Transport hub',
  takeaway_or_shop: 'Takeaway or shop',
  park_or_open_space: 'Park or open space',
  hotel_or_short_let: 'Hotel or short-let',
  private_address: 'Private address',
  school_or_college: 'School or college',
  online_platform: 'Online platform',
  other: 'Other',
};

export default function PlaceProfile({ id }: { id: string }) {
  useTitle('Place');
  const profile = useAsync((signal) => call<Profile>(`/places/${encodeURIComponent(id)}/profile?weeks=12`, { signal }), [id]);
  const data = profile.data;
  if (profile.loading && !data) return <Loading what="the place" />;
  if (profile.error || !data) {
    return (
      <>
        <h1>Place</h1>
        <ErrorText>{profile.error ?? 'Not available.'}</ErrorText>
      </>
    );
  }
  const { place, categories } = data;
  return (
    <>
      <h1>{place.name}</h1>
      <p class="hint">
        {[TYPES[place.type] ?? place.type, place.area, place.postcode_district].filter(Boolean).join(' · ')}
        {place.aliases.length ? ` · also known as ${place.aliases.join(', ')}` : ''}
        {place.retired_at ? ' · retired' : ''}
      </p>
      <Section title={`Incidents (${data.incidents})`} id="incidents">
        <WeeklyBars weeks={data.weeks} />
        <p data-testid="categories">
          CCE {categories.cce} · CSE {categories.cse} · both {categories.both} · neither {categories.neither}
        </p>
        <HourHeatMap cells={data.weekday_hours} />
      </Section>
      <Section title="Indicators seen here" id="indicators">
        {data.indicators.length ? (
          <ul class="plain">
            {data.indicators.map((i) => (
              <li key={i.code}>
                {i.label} <small>({i.incidents})</small>
              </li>
            ))}
          </ul>
        ) : (
          <p>None recorded.</p>
        )}
      </Section>
      <People title="Young people" people={data.young_people} testId="place-young-people" />
      <People title="Peers seen here" people={data.peers} testId="place-peers" />
      <Section title="Persons of concern seen here" id="concerns">
        {data.persons_of_concern.length ? (
          <ul class="plain" data-testid="place-concerns">
            {data.persons_of_concern.map((c) => (
              <li key={c.person.id}>
                <strong>{c.person.nickname ?? c.person.description ?? 'Unnamed'}</strong>
                {c.person.vehicle ? ` · ${c.person.vehicle}` : ''} · {c.incidents} {c.incidents === 1 ? 'time' : 'times'}, last {formatTime(c.last_seen)}
              </li>
            ))}
          </ul>
        ) : (
          <p>None recorded.</p>
        )}
      </Section>
    </>
  );
}

function People({ title, people, testId }: { title: string; people: Seen[]; testId: string }) {
  return (
    <Section title={title} id={testId}>
      {people.length ? (
        <ul class="plain" data-testid={testId}>
          {people.map((p) => (
            <li key={p.id}>
              {p.first_name} {p.last_name} · {p.incidents} {p.incidents === 1 ? 'time' : 'times'}, last {formatTime(p.last_seen)}
            </li>
          ))}
        </ul>
      ) : (
        <p>None recorded.</p>
      )}
    </Section>
  );
}
