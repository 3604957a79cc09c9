// The duty manager's rota and escalation screen for one team: rotations (create, edit, end),
// override shifts (delete) and the escalation policy (levels, one of which may name a person).
// Staff names only; nothing about any young person.
import { useState } from 'preact/hooks';
import { ApiError, call, describeError } from '../api/client';
import type { components } from '../api/types';
import { announce, app, useStore } from '../state';
import { ErrorText, Loading, Section } from '../ui/bits';
import { formatTime } from '../ui/format';
import { useAsync, useTitle } from '../ui/hooks';

type Rotation = components['schemas']['RotationOut'];
type Shift = components['schemas']['ShiftOut'];
type Member = components['schemas']['MemberOut'];
type Policy = components['schemas']['PolicyOut'];
type Target = components['schemas']['PolicyLevel']['target'];

export interface LevelDraft {
  target: Target;
  user_id: string;
  minutes: number;
}

/** The policy body the API takes, from the editor's rows (a person level carries its user_id). */
export function policyBody(levels: LevelDraft[], repeat: number) {
  return {
    levels: levels.map((l) =>
      l.target === 'person'
        ? { target: l.target, user_id: l.user_id, ack_timeout_seconds: Math.round(l.minutes * 60) }
        : { target: l.target, ack_timeout_seconds: Math.round(l.minutes * 60) },
    ),
    repeat,
  };
}

/** A datetime-local value ("2026-12-01T17:00") as the London wall time the API takes. */
export function wallTime(value: string): string {
  return value.length === 16 ? `${value}:00` : value;
}

export function Rota() {
  useTitle('Rotas and escalation');
  const me = useStore(app, (s) => s.me);
  const teams = me?.teams ?? [];
  const [teamId, setTeamId] = useState<string>(teams[0]?.id ?? '');
  if (!teams.length) {
    return (
      <>
        <h1>Rotas and escalation</h1>
        <p>You belong to no team.</p>
      </>
    );
  }
  return (
    <>
      <h1>Rotas and escalation</h1>
      {teams.length > 1 ? (
        <p>
          <label>
            Team{' '}
            <select value={teamId} onChange={(e) => setTeamId((e.target as HTMLSelectElement).value)} data-testid="rota-team">
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name ?? t.slug}
                </option>
              ))}
            </select>
          </label>
        </p>
      ) : null}
      <TeamRota key={teamId} teamId={teamId} />
    </>
  );
}

function TeamRota({ teamId }: { teamId: string }) {
  const base = `/teams/${encodeURIComponent(teamId)}`;
  const members = useAsync((signal) => call<Member[]>(`${base}/members`, { signal }), [teamId]);
  const rotations = useAsync((signal) => call<Rotation[]>(`${base}/rotations`, { signal }), [teamId]);
  const shifts = useAsync((signal) => call<Shift[]>(`${base}/shifts`, { signal }), [teamId]);
  const policy = useAsync((signal) => call<Policy>(`${base}/escalation-policy`, { signal }), [teamId]);
  const onCall = (members.data ?? []).filter((m) => m.on_call);
  return (
    <>
      <Section title="Rotations" id="rotations">
        {rotations.loading && !rotations.data ? <Loading what="the rotations" /> : null}
        {rotations.error ? <ErrorText>{rotations.error}</ErrorText> : null}
        <ul class="plain" data-testid="rotations">
          {(rotations.data ?? []).map((r) => (
            <RotationRow key={r.id} base={base} rotation={r} members={onCall} onChanged={rotations.reload} />
          ))}
        </ul>
        {rotations.data && !rotations.data.length ? <p>No rotations yet.</p> : null}
        <NewRotation base={base} members={onCall} onCreated={rotations.reload} />
      </Section>
      <Section title="Overrides" id="overrides">
        {shifts.error ? <ErrorText>{shifts.error}</ErrorText> : null}
        <ul class="plain" data-testid="overrides">
          {(shifts.data ?? []).map((s) => (
            <ShiftRow key={s.id} base={base} shift={s} onChanged={shifts.reload} />
          ))}
        </ul>
        {shifts.data && !shifts.data.length ? <p>No overrides ahead.</p> : null}
      </Section>
      <Section title="Escalation policy" id="policy">
        {policy.error ? <ErrorText>{policy.error}</ErrorText> : null}
        {policy.data && members.data ? (
          <PolicyEditor key={`${policy.data.version ?? 0}`} base={base} policy={policy.data} members={members.data} onSaved={policy.reload} />
        ) : (
          <Loading what="the escalation policy" />
        )}
      </Section>
    </>
  );
}

function MemberPicker({ members, chosen, onChange, name }: { members: Member[]; chosen: string[]; onChange: (ids: string[]) => void; name: string }) {
  return (
    <fieldset>
      <legend>Members, in hand-off order</legend>
      {members.map((m) => {
        const at = chosen.indexOf(m.id);
        return (
          <label key={m.id} class="check">
            <input
              type="checkbox"
              name={name}
              checked={at >= 0}
              onChange={(e) =>
                onChange((e.target as HTMLInputElement).checked ? [...chosen, m.id] : chosen.filter((id) => id !== m.id))
              }
            />{' '}
            {m.display_name}
            {at >= 0 ? ` (${at + 1})` : ''}
          </label>
        );
      })}
    </fieldset>
  );
}

function RotationRow({ base, rotation, members, onChanged }: { base: string; rotation: Rotation; members: Member[]; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(rotation.name);
  const [chosen, setChosen] = useState<string[]>(rotation.members.map((m) => m.id));
  const [hours, setHours] = useState(String(rotation.length_hours));
  const [ends, setEnds] = useState(rotation.ends_local ? rotation.ends_local.slice(0, 16) : '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const url = `${base}/rotations/${encodeURIComponent(rotation.id)}`;
  const ended = rotation.ends_at ? Date.parse(rotation.ends_at) <= Date.now() : false;

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(url, {
        method: 'PATCH',
        headers: { 'If-Match': `"${rotation.version}"` },
        body: { name, members: chosen, length_hours: Number(hours), ends_local: ends ? wallTime(ends) : null },
      });
      announce(`Rotation ${name || rotation.level} saved.`);
      setEditing(false);
      onChanged();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 412 ? 'Someone changed this rotation since you opened it. Reload and try again.' : describeError(e));
    } finally {
      setBusy(false);
    }
  }

  async function endNow() {
    if (!window.confirm(`End the rotation ${rotation.name || rotation.level} now? Nobody will be on call through it from now.`)) return;
    setBusy(true);
    setError(null);
    try {
      await call(url, { method: 'DELETE' });
      announce(`Rotation ${rotation.name || rotation.level} ended.`);
      onChanged();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class="row" data-testid="rotation">
      <span>
        <strong>{rotation.name || 'Rotation'}</strong> · {rotation.level}
        <br />
        <small>
          {rotation.members.map((m) => m.display_name).join(', ')} · every {rotation.length_hours} h from {formatTime(rotation.starts_at)}
          {rotation.ends_at ? ` · ${ended ? 'ended' : 'ends'} ${formatTime(rotation.ends_at)}` : ''}
        </small>
      </span>
      {error ? <ErrorText>{error}</ErrorText> : null}
      {editing ? (
        <form onSubmit={save} class="stack" data-testid="rotation-edit">
          <label>
            Name <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} maxLength={120} />
          </label>
          <MemberPicker members={members} chosen={chosen} onChange={setChosen} name={`members-${rotation.id}`} />
          <label>
            Shift length (hours){' '}
            <input type="number" min={1} max={672} value={hours} onInput={(e) => setHours((e.target as HTMLInputElement).value)} required />
          </label>
          <label>
            Ends (London time; empty: no end){' '}
            <input type="datetime-local" value={ends} onInput={(e) => setEnds((e.target as HTMLInputElement).value)} data-testid="rotation-ends" />
          </label>
          <div class="actions">
            <button type="submit" disabled={busy || !chosen.length}>
              Save rotation
            </button>
            <button type="button" class="secondary" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setEditing(true)} disabled={busy}>
            Edit
          </button>
          {!ended ? (
            <button type="button" class="secondary" onClick={endNow} disabled={busy}>
              End now
            </button>
          ) : null}
        </div>
      )}
    </li>
  );
}

function NewRotation({ base, members, onCreated }: { base: string; members: Member[]; onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [level, setLevel] = useState<'primary' | 'secondary'>('primary');
  const [chosen, setChosen] = useState<string[]>([]);
  const [start, setStart] = useState('');
  const [hours, setHours] = useState('24');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(`${base}/rotations`, {
        method: 'POST',
        body: { name, level, members: chosen, start_local: wallTime(start), length_hours: Number(hours) },
      });
      announce(`Rotation ${name || level} created.`);
      setOpen(false);
      setName('');
      setChosen([]);
      onCreated();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        New rotation
      </button>
    );
  }
  return (
    <form onSubmit={create} class="stack" data-testid="rotation-new">
      <h3>New rotation</h3>
      {error ? <ErrorText>{error}</ErrorText> : null}
      <label>
        Name <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} maxLength={120} />
      </label>
      <label>
        Level{' '}
        <select value={level} onChange={(e) => setLevel((e.target as HTMLSelectElement).value as 'primary' | 'secondary')}>
          <option value="primary">primary</option>
          <option value="secondary">secondary</option>
        </select>
      </label>
      <MemberPicker members={members} chosen={chosen} onChange={setChosen} name="members-new" />
      <label>
        First hand-off (London time){' '}
        <input type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} required data-testid="rotation-start" />
      </label>
      <label>
        Shift length (hours){' '}
        <input type="number" min={1} max={672} value={hours} onInput={(e) => setHours((e.target as HTMLInputElement).value)} required />
      </label>
      <div class="actions">
        <button type="submit" disabled={busy || !chosen.length}>
          Create rotation
        </button>
        <button type="button" class="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ShiftRow({ base, shift, onChanged }: { base: string; shift: Shift; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  async function remove() {
    if (!window.confirm(`Delete ${shift.user.display_name}'s ${shift.level} override? The rotations cover it again.`)) return;
    setError(null);
    try {
      await call(`${base}/shifts/${encodeURIComponent(shift.id)}`, { method: 'DELETE' });
      announce(`Override of ${shift.user.display_name} deleted.`);
      onChanged();
    } catch (e) {
      setError(describeError(e));
    }
  }
  return (
    <li class="row" data-testid="override">
      <span>
        <strong>{shift.user.display_name}</strong> · {shift.level}
        <br />
        <small>
          {formatTime(shift.starts_at)} – {formatTime(shift.ends_at)}
        </small>
      </span>
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="button" class="secondary" onClick={remove}>
        Delete override
      </button>
    </li>
  );
}

const TARGET_LABELS: Record<Target, string> = {
  primary: 'Primary on call',
  secondary: 'Secondary on call',
  managers: "The team's managers",
  person: 'A named person',
};

function PolicyEditor({ base, policy, members, onSaved }: { base: string; policy: Policy; members: Member[]; onSaved: () => void }) {
  const [levels, setLevels] = useState<LevelDraft[]>(
    policy.levels.map((l) => ({ target: l.target as Target, user_id: l.user_id ?? '', minutes: l.ack_timeout_seconds / 60 })),
  );
  const [repeat, setRepeat] = useState(policy.repeat);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function change(i: number, patch: Partial<LevelDraft>) {
    setLevels(levels.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  }

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(`${base}/escalation-policy`, { method: 'PUT', body: policyBody(levels, repeat) });
      announce('Escalation policy saved. Pages already running keep the policy they started with.');
      onSaved();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} class="stack" data-testid="policy">
      {policy.default ? <p class="hint">The team has no policy of its own: this is the default.</p> : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
      <ol>
        {levels.map((l, i) => (
          <li key={i} data-testid="policy-level">
            <label>
              Level {i + 1} pages{' '}
              <select value={l.target} onChange={(e) => change(i, { target: (e.target as HTMLSelectElement).value as Target })} data-testid="level-target">
                {(Object.keys(TARGET_LABELS) as Target[]).map((t) => (
                  <option key={t} value={t}>
                    {TARGET_LABELS[t]}
                  </option>
                ))}
              </select>
            </label>
            {l.target === 'person' ? (
              <label>
                Person{' '}
                <select
                  value={l.user_id}
                  onChange={(e) => change(i, { user_id: (e.target as HTMLSelectElement).value })}
                  required
                  aria-label={`Person to page at level ${i + 1}`}
                  data-testid="level-person"
                >
                  <option value="">Choose…</option>
                  {members.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.display_name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            <label>
              Minutes to answer{' '}
              <input type="number" min={1} max={60} value={l.minutes} onInput={(e) => change(i, { minutes: Number((e.target as HTMLInputElement).value) })} required />
            </label>
            <button type="button" class="secondary" onClick={() => setLevels(levels.filter((_, j) => j !== i))} disabled={levels.length === 1}>
              Remove level {i + 1}
            </button>
          </li>
        ))}
      </ol>
      <button type="button" class="secondary" onClick={() => setLevels([...levels, { target: 'managers', user_id: '', minutes: 5 }])} disabled={levels.length >= 10}>
        Add a level
      </button>
      <label>
        Repeat all levels{' '}
        <input type="number" min={0} max={5} value={repeat} onInput={(e) => setRepeat(Number((e.target as HTMLInputElement).value))} /> more times
      </label>
      <button type="submit" disabled={busy}>
        Save policy
      </button>
    </form>
  );
}
