// A partner's home (a residential home, a school, a detached youth worker): report a concern
// about a place or a peer group to the area's hub, and see what you reported, nothing else
// (POST /partner-concerns, GET /partner-concerns/mine). Never a child's name: the form asks for
// a place or how a group is known. Loaded on first use, out of the app shell; online only.
import { useState } from 'preact/hooks';
import { call, describeError } from '../../api/client';
import type { components } from '../../api/schema';
import type { Indicator } from '../../api/types';
import { indicators as loadIndicators } from '../../offline/catalogue';
import { announce } from '../../state';
import { ErrorText, LoadError, Loading } from '../../ui/bits';
import { formatTime, groupLabel, localInputToIso, nowForInput } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';

type Area = components['schemas']['AreaOut'];
type Concern = components['schemas']['ConcernOut'];
type Created = components['schemas']['ConcernCreated'];
type Organisation = components['schemas']['ConcernIn']['organisation'];

const ORGANISATIONS: { value: Organisation; label: string }[] = [
  { value: 'residential_home', label: 'Residential home' },
  { value: 'school', label: 'School or college' },
  { value: 'detached_youth_work', label: 'Detached youth work' },
  { value: 'other', label: 'Other' },
];

interface Form {
  organisation: Organisation | '';
  about: 'place' | 'peer_group';
  area: string;
  location: string;
  peerGroup: string;
  codes: string[];
  age: string;
  observedAt: string;
  details: string;
}

function emptyForm(organisation: Organisation | '' = ''): Form {
  return { organisation, about: 'place', area: '', location: '', peerGroup: '', codes: [], age: '', observedAt: nowForInput(), details: '' };
}

export function PartnerHome() {
  useTitle('Report a concern');
  const mine = useAsync((signal) => call<{ items: Concern[] }>('/partner-concerns/mine', { signal }), []);
  const catalogue = useAsync(() => loadIndicators(), []);
  const labels = new Map((catalogue.data?.items ?? []).map((i) => [i.code, i.label]));
  return (
    <>
      <h1>Report a concern</h1>
      <p class="hint">
        About a place or a group of young people you are worried about. It goes to the area's exploitation hub. Do not name any child: describe the place, or how the
        group is known.
      </p>
      <ConcernForm catalogue={catalogue.data?.items ?? []} catalogueLoading={catalogue.loading && !catalogue.data} onSent={mine.reload} />
      <section aria-labelledby="mine-h" data-testid="my-concerns">
        <h2 id="mine-h">What you reported</h2>
        {mine.loading && !mine.data ? <Loading what="your concerns" /> : null}
        {!mine.data ? <LoadError state={mine} what="your concerns" /> : null}
        {mine.data && !mine.data.items.length ? <p>Nothing yet.</p> : null}
        <ul class="cards">
          {(mine.data?.items ?? []).map((c) => (
            <li key={c.id} class="card" data-testid="my-concern">
              <h3 class="line1">
                <span>{c.reference}</span>
                <span class={`badge concern-${c.state}`}>{c.state === 'closed' ? 'Closed by the hub' : 'With the hub'}</span>
              </h3>
              <p class="line2">{c.about === 'place' ? c.location : c.peer_group}</p>
              <p class="line3">
                {c.about === 'place' ? 'Place' : 'Peer group'} · seen {formatTime(c.observed_at)} · sent {formatTime(c.reported_at)}
              </p>
              {c.indicators.length ? <p class="line3">{c.indicators.map((code) => labels.get(code) ?? code).join('; ')}</p> : null}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function ConcernForm({ catalogue, catalogueLoading, onSent }: { catalogue: Indicator[]; catalogueLoading: boolean; onSent: () => void }) {
  const areas = useAsync((signal) => call<Area[]>('/areas', { signal }), []);
  const [form, setForm] = useState<Form>(() => emptyForm());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const set = (change: Partial<Form>) => setForm((f) => ({ ...f, ...change }));

  const groups = new Map<string, Indicator[]>();
  for (const i of catalogue) groups.set(i.group, [...(groups.get(i.group) ?? []), i]);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const body = {
        organisation: form.organisation,
        about: form.about,
        area: form.area,
        ...(form.about === 'place' ? { location: form.location.trim() } : { peer_group: form.peerGroup.trim() }),
        indicators: form.codes.map((code) => ({ code })),
        ...(form.age ? { youngest_apparent_age: Number(form.age) } : {}),
        observed_at: localInputToIso(form.observedAt),
        ...(form.details.trim() ? { details: form.details.trim() } : {}),
      };
      const created = await call<Created>('/partner-concerns', { method: 'POST', body });
      setSent(created.reference);
      announce(`Concern ${created.reference} sent to the hub.`);
      setForm(emptyForm(form.organisation));
      onSent();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const ready = form.organisation && form.area && (form.about === 'place' ? form.location.trim().length >= 2 : form.peerGroup.trim().length >= 2) && form.observedAt;
  return (
    <form class="card stack" onSubmit={submit} data-testid="concern-form" aria-labelledby="concern-h">
      <h2 id="concern-h">New concern</h2>
      <div class="field">
        <label for="concern-org">You are reporting for</label>
        <select id="concern-org" required value={form.organisation} onChange={(e) => set({ organisation: e.currentTarget.value as Organisation })}>
          <option value="">Choose…</option>
          {ORGANISATIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <fieldset>
        <legend>The concern is about</legend>
        <div class="choices">
          <label class="choice">
            <input type="radio" name="about" value="place" checked={form.about === 'place'} onChange={() => set({ about: 'place' })} />A place
          </label>
          <label class="choice">
            <input type="radio" name="about" value="peer_group" checked={form.about === 'peer_group'} onChange={() => set({ about: 'peer_group' })} />A peer group
          </label>
        </div>
      </fieldset>
      {form.about === 'place' ? (
        <div class="field">
          <label for="concern-location">The place</label>
          <input id="concern-location" required minLength={2} maxLength={300} autocomplete="off" value={form.location} onInput={(e) => set({ location: e.currentTarget.value })} />
        </div>
      ) : (
        <div class="field">
          <label for="concern-group">How the group is known</label>
          <input
            id="concern-group"
            required
            minLength={2}
            maxLength={300}
            autocomplete="off"
            value={form.peerGroup}
            onInput={(e) => set({ peerGroup: e.currentTarget.value })}
            aria-describedby="concern-group-hint"
          />
          <small id="concern-group-hint" class="hint">
            For example where they meet or what they call themselves. No names of children.
          </small>
        </div>
      )}
      <div class="field">
        <label for="concern-area">Area</label>
        <select id="concern-area" required value={form.area} onChange={(e) => set({ area: e.currentTarget.value })}>
          <option value="">Choose…</option>
          {(areas.data ?? [])
            .filter((a) => a.active)
            .map((a) => (
              <option key={a.slug} value={a.slug}>
                {a.name}
              </option>
            ))}
        </select>
        {!areas.data ? <LoadError state={areas} what="the areas" /> : null}
      </div>
      <div class="field">
        <label for="concern-seen">When you saw it</label>
        <input id="concern-seen" type="datetime-local" required value={form.observedAt} onInput={(e) => set({ observedAt: e.currentTarget.value })} />
      </div>
      <fieldset data-testid="concern-signs">
        <legend>What you noticed (optional)</legend>
        {catalogueLoading ? <Loading what="the list of signs" /> : null}
        {[...groups.entries()].map(([group, items]) => (
          <div key={group}>
            <p class="group-label">{groupLabel(group)}</p>
            {items.map((i) => (
              <label key={i.code} class="choice">
                <input
                  type="checkbox"
                  checked={form.codes.includes(i.code)}
                  onChange={(e) => set({ codes: e.currentTarget.checked ? [...form.codes, i.code] : form.codes.filter((c) => c !== i.code) })}
                />
                {i.label}
              </label>
            ))}
          </div>
        ))}
      </fieldset>
      <div class="field">
        <label for="concern-age">Youngest apparent age (optional)</label>
        <input id="concern-age" type="number" inputMode="numeric" min={0} max={25} value={form.age} onInput={(e) => set({ age: e.currentTarget.value })} />
      </div>
      <div class="field">
        <label for="concern-details">What you saw (optional)</label>
        <textarea id="concern-details" rows={4} maxLength={4000} value={form.details} onInput={(e) => set({ details: e.currentTarget.value })} />
      </div>
      <button type="submit" class="primary" disabled={busy || !ready} data-testid="concern-submit">
        {busy ? 'Sending…' : 'Send to the hub'}
      </button>
      {sent ? (
        <p class="notice ok" data-testid="concern-sent">
          Sent: {sent}. The hub will look at it.
        </p>
      ) : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </form>
  );
}
