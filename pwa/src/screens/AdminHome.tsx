// Administration for a deployment: areas, police stations, teams and users, created and retired
// (nothing is deleted: incidents and the audit trail name them). No case content here.
import { useState } from 'preact/hooks';
import { call, describeError } from '../api/client';
import type { components } from '../api/types';
import { announce, app, useStore } from '../state';
import { ErrorText, Loading, Section } from '../ui/bits';
import { useAsync, useTitle } from '../ui/hooks';

type Area = components['schemas']['AreaOut'];
type Station = components['schemas']['StationOut'];
type Team = components['schemas']['TeamOut'];
type User = components['schemas']['UserOut'];

const ROLES = ['police', 'worker', 'day_team', 'manager', 'coordinator', 'admin'] as const;

/** The body of PATCH …{id} that flips a row between active and retired. */
export function toggleBody(active: boolean): { active: boolean } {
  return { active: !active };
}

export function AdminHome() {
  useTitle('Administration');
  const me = useStore(app, (s) => s.me);
  const areas = useAsync((signal) => call<Area[]>('/areas', { signal }), []);
  const stations = useAsync((signal) => call<Station[]>('/stations', { signal }), []);
  const teams = useAsync((signal) => call<Team[]>('/teams', { signal }), []);
  const users = useAsync((signal) => call<User[]>('/users', { signal }), []);
  const [error, setError] = useState<string | null>(null);

  async function toggle(path: string, active: boolean, what: string, reload: () => void) {
    setError(null);
    try {
      await call(path, { method: 'PATCH', body: toggleBody(active) });
      announce(`${what} ${active ? 'retired' : 'active again'}.`);
      reload();
    } catch (e) {
      setError(describeError(e));
    }
  }

  const teamNames = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  // The sections appear together once the four lists are in (or failed): the users list
  // growing must not push the forms below it down the screen as it loads (layout shift).
  const settled = [areas, stations, teams, users].every((list) => list.data !== undefined || !list.loading);
  return (
    <>
      <h1>Administration</h1>
      <p class="hint">
        Signed in as {me?.display_name}. A first set-up can also come from a file: <code>lantern setup import FILE</code>.
      </p>
      {error ? <ErrorText>{error}</ErrorText> : null}
      {settled ? null : <Loading what="the deployment" />}
      <div hidden={!settled}>
        <Section title="Users" id="users">
          {users.loading && !users.data ? <Loading what="the users" /> : null}
          <ul class="plain" data-testid="admin-users">
            {(users.data ?? []).map((u) => (
              <li key={u.id} class="row">
                <span>
                  <strong>{u.display_name}</strong> ({u.username}){u.active ? '' : ' · deactivated'}
                  <br />
                  <small>
                    {u.roles.join(', ')}
                    {u.team_ids.length ? ` · ${u.team_ids.map((id) => teamNames.get(id) ?? id).join(', ')}` : ''}
                    {u.station ? ` · ${u.station}` : ''}
                  </small>
                </span>
                {u.id !== me?.id ? (
                  <button type="button" class="secondary" onClick={() => toggle(`/users/${u.id}`, u.active ?? true, u.display_name, users.reload)}>
                    {u.active ? `Deactivate ${u.username}` : `Reactivate ${u.username}`}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          <NewUser teams={teams.data ?? []} stations={stations.data ?? []} onCreated={users.reload} />
        </Section>
        <Section title="Teams" id="teams">
          <ul class="plain" data-testid="admin-teams">
            {(teams.data ?? []).map((t) => (
              <li key={t.id} class="row">
                <span>
                  <strong>{t.name}</strong> · {t.specialism} · {t.area}
                  {t.active === false ? ' · retired' : ''}
                </span>
                <button type="button" class="secondary" onClick={() => toggle(`/teams/${t.id}`, t.active ?? true, t.name, teams.reload)}>
                  {t.active === false ? `Reactivate ${t.slug}` : `Retire ${t.slug}`}
                </button>
              </li>
            ))}
          </ul>
          <NewRow
            what="team"
            fields={['slug', 'name', 'area']}
            choice={{ name: 'specialism', options: ['cse', 'cce', 'general'] }}
            path="/teams"
            onCreated={teams.reload}
          />
        </Section>
        <Section title="Police stations" id="stations">
          <ul class="plain" data-testid="admin-stations">
            {(stations.data ?? []).map((s) => (
              <li key={s.id} class="row">
                <span>
                  <strong>{s.name}</strong> · {s.area}
                  {s.active === false ? ' · retired' : ''}
                </span>
                <button type="button" class="secondary" onClick={() => toggle(`/stations/${s.id}`, s.active ?? true, s.name, stations.reload)}>
                  {s.active === false ? `Reactivate ${s.slug}` : `Retire ${s.slug}`}
                </button>
              </li>
            ))}
          </ul>
          <NewRow what="station" fields={['slug', 'name', 'area']} path="/stations" onCreated={stations.reload} />
        </Section>
        <Section title="Areas" id="areas">
          <ul class="plain" data-testid="admin-areas">
            {(areas.data ?? []).map((a) => (
              <li key={a.id} class="row">
                <span>
                  <strong>{a.name}</strong> ({a.slug}){a.active === false ? ' · retired' : ''}
                </span>
              </li>
            ))}
          </ul>
          <NewRow what="area" fields={['slug', 'name']} path="/areas" onCreated={areas.reload} />
        </Section>
      </div>
    </>
  );
}

function NewRow({
  what,
  fields,
  choice,
  path,
  onCreated,
}: {
  what: string;
  fields: string[];
  choice?: { name: string; options: string[] };
  path: string;
  onCreated: () => void;
}) {
  const [values, setValues] = useState<Record<string, string>>(choice ? { [choice.name]: choice.options[0]! } : {});
  const [error, setError] = useState<string | null>(null);
  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await call(path, { method: 'POST', body: values });
      announce(`${what[0]!.toUpperCase()}${what.slice(1)} ${values.name ?? ''} created.`);
      setValues(choice ? { [choice.name]: choice.options[0]! } : {});
      onCreated();
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <form onSubmit={create} class="stack" data-testid={`new-${what}`}>
      <h3>New {what}</h3>
      {error ? <ErrorText>{error}</ErrorText> : null}
      {fields.map((f) => (
        <label key={f}>
          {f === 'area' ? 'Area (slug)' : f === 'slug' ? 'Short name (slug)' : 'Name'}{' '}
          <input value={values[f] ?? ''} onInput={(e) => setValues({ ...values, [f]: (e.target as HTMLInputElement).value })} required />
        </label>
      ))}
      {choice ? (
        <label>
          {choice.name}{' '}
          <select value={values[choice.name]} onChange={(e) => setValues({ ...values, [choice.name]: (e.target as HTMLSelectElement).value })}>
            {choice.options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <button type="submit">Create {what}</button>
    </form>
  );
}

function NewUser({ teams, stations, onCreated }: { teams: Team[]; stations: Station[]; onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<string[]>(['worker']);
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [station, setStation] = useState('');
  const [error, setError] = useState<string | null>(null);
  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await call('/users', {
        method: 'POST',
        body: { username, display_name: name, password, roles, team_ids: teamIds, station: station || null },
      });
      announce(`User ${username} created.`);
      setUsername('');
      setName('');
      setPassword('');
      onCreated();
    } catch (e) {
      setError(describeError(e));
    }
  }
  const flip = (list: string[], value: string, on: boolean) => (on ? [...list, value] : list.filter((v) => v !== value));
  return (
    <form onSubmit={create} class="stack" data-testid="new-user">
      <h3>New user</h3>
      {error ? <ErrorText>{error}</ErrorText> : null}
      <label>
        Username <input value={username} autoComplete="off" onInput={(e) => setUsername((e.target as HTMLInputElement).value)} required />
      </label>
      <label>
        Display name <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required />
      </label>
      <label>
        First password (12 characters or more){' '}
        <input type="password" autoComplete="new-password" minLength={12} value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
      </label>
      <fieldset>
        <legend>Roles</legend>
        {ROLES.map((r) => (
          <label key={r} class="check">
            <input type="checkbox" checked={roles.includes(r)} onChange={(e) => setRoles(flip(roles, r, (e.target as HTMLInputElement).checked))} /> {r}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Teams</legend>
        {teams
          .filter((t) => t.active !== false)
          .map((t) => (
            <label key={t.id} class="check">
              <input type="checkbox" checked={teamIds.includes(t.id)} onChange={(e) => setTeamIds(flip(teamIds, t.id, (e.target as HTMLInputElement).checked))} /> {t.name}
            </label>
          ))}
      </fieldset>
      <label>
        Station (police){' '}
        <select value={station} onChange={(e) => setStation((e.target as HTMLSelectElement).value)}>
          <option value="">None</option>
          {stations
            .filter((s) => s.active !== false)
            .map((s) => (
              <option key={s.id} value={s.slug}>
                {s.name}
              </option>
            ))}
        </select>
      </label>
      <button type="submit" disabled={!roles.length}>
        Create user
      </button>
    </form>
  );
}
