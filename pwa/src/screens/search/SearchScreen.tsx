// Searching the teams' incidents (day teams, managers, coordinators): the API's filters, the
// results newest first with a link to each incident, and saved searches (run one, save these
// filters, share with a team). Loaded on first use, out of the app shell.
//
// The filters and the results stay in this screen's memory: never in the address (no query
// string), never in the page title, never on the device. Every run is audited by the server.
import { useState } from 'preact/hooks';
import { call, describeError } from '../../api/client';
import type { components } from '../../api/schema';
import type { Indicator } from '../../api/types';
import { indicators as loadIndicators } from '../../offline/catalogue';
import { announce, app, useStore } from '../../state';
import { ErrorText, LoadError, Loading, PriorityBadge, StateBadge } from '../../ui/bits';
import { categoryLabel, formatTime, groupLabel, kindLabel, KIND_LABELS, teamName } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';
import { PLACE_TYPES } from '../places/labels';
import {
  type Category,
  emptyForm,
  fromQuery,
  hiddenFilters,
  type IncidentQuery,
  type Kind,
  type Priority,
  type SearchForm,
  toggle,
  toQuery,
  WINDOWS,
} from './query';

type Results = components['schemas']['SearchResults'];
type Hit = components['schemas']['SearchHit'];
type Saved = components['schemas']['SavedSearchOut'];

const CATEGORIES: Category[] = ['cse', 'cce', 'general'];
const GROUPS = ['movement', 'items', 'relationships', 'health', 'behaviour', 'harm'];
const PRIORITIES: Priority[] = ['P1', 'P2', 'P3'];
/** Who may open an incident (the API's case roles; a coordinator sees places instead). */
const INCIDENT_ROLES = ['worker', 'day_team', 'manager'];

/** What was run last: the filters, or a saved search by id (its runs are audited with its id). */
type Run = { kind: 'query'; query: IncidentQuery } | { kind: 'saved'; id: string; name: string };

export function SearchScreen() {
  useTitle('Search');
  const me = useStore(app, (s) => s.me);
  const teams = me?.teams ?? [];
  const opensIncidents = !!me?.roles.some((r) => INCIDENT_ROLES.includes(r));
  const [form, setForm] = useState<SearchForm>(emptyForm);
  const [run, setRun] = useState<Run | null>(null);
  const [results, setResults] = useState<Results | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const catalogue = useAsync(() => loadIndicators(), []);
  const saved = useAsync((signal) => call<{ items: Saved[] }>('/saved-searches', { signal }), []);

  const update = (change: Partial<SearchForm>) => setForm((f) => ({ ...f, ...change }));

  async function fetchPage(next: Run, cursor: string | null): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const page =
        next.kind === 'query'
          ? await call<Results>('/incidents/query', { method: 'POST', body: { ...next.query, limit: 50, ...(cursor ? { cursor } : {}) } })
          : await call<Results>(`/saved-searches/${encodeURIComponent(next.id)}/run`, {
              method: 'POST',
              body: { limit: 50, ...(cursor ? { cursor } : {}) },
            });
      setRun(next);
      setResults((before) => (cursor && before ? { ...page, items: [...before.items, ...page.items] } : page));
      if (!cursor) announce(`${page.items.length}${page.next_cursor ? ' or more' : ''} incident${page.items.length === 1 ? '' : 's'} found.`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  const submit = (event: Event) => {
    event.preventDefault();
    void fetchPage({ kind: 'query', query: toQuery(form) }, null);
  };

  const runSaved = (search: Saved) => {
    setForm(fromQuery(search.query));
    void fetchPage({ kind: 'saved', id: search.id, name: search.name }, null);
  };

  const indicatorList = [...(catalogue.data?.items ?? [])].sort((a: Indicator, b: Indicator) => a.label.localeCompare(b.label));
  const hidden = hiddenFilters(form);

  return (
    <>
      <h1>Search</h1>
      <p class="hint">Incidents of your teams. What you search for stays on this screen; each search is recorded in the audit log.</p>
      <SavedSearches saved={saved} onRun={runSaved} busy={busy} />
      <form class="stack search-form" onSubmit={submit} data-testid="search-form" aria-labelledby="filters-h">
        <h2 id="filters-h">Filters</h2>
        <div class="field">
          <label for="search-window">When</label>
          <select id="search-window" value={form.window} onChange={(e) => update({ window: e.currentTarget.value })}>
            {WINDOWS.some((w) => w.value === form.window) ? null : <option value={form.window}>Last {form.window} days</option>}
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
        {form.window === 'dates' ? (
          <div class="field-row">
            <div class="field">
              <label for="search-from">From</label>
              <input id="search-from" type="date" value={form.from} onInput={(e) => update({ from: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="search-to">To (inclusive)</label>
              <input id="search-to" type="date" value={form.to} onInput={(e) => update({ to: e.currentTarget.value })} />
            </div>
          </div>
        ) : null}
        <Checks
          legend="Indicator category"
          name="category"
          values={CATEGORIES}
          label={(c) => `${categoryLabel(c)} indicators`}
          chosen={form.categories}
          onChange={(categories) => update({ categories })}
        />
        <Checks legend="Indicator group" name="group" values={GROUPS} label={groupLabel} chosen={form.groups} onChange={(groups) => update({ groups })} />
        {indicatorList.length ? (
          <div class="field">
            <label for="search-indicator">Indicator</label>
            <select id="search-indicator" value={form.indicator} onChange={(e) => update({ indicator: e.currentTarget.value })}>
              <option value="">Any indicator</option>
              {indicatorList.map((i) => (
                <option key={i.code} value={i.code}>
                  {i.label}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <Checks
          legend="Kind"
          name="kind"
          values={Object.keys(KIND_LABELS) as Kind[]}
          label={kindLabel}
          chosen={form.kinds}
          onChange={(kinds) => update({ kinds })}
        />
        <Checks legend="Priority" name="priority" values={PRIORITIES} label={(p) => p} chosen={form.priorities} onChange={(priorities) => update({ priorities })} />
        {teams.length > 1 ? (
          <div class="field">
            <label for="search-team">Team</label>
            <select id="search-team" value={form.team} onChange={(e) => update({ team: e.currentTarget.value })}>
              <option value="">All my teams</option>
              {teams.map((t) => (
                <option key={t.slug} value={t.slug}>
                  {teamName(t)}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div class="field">
          <label for="search-place">Place name</label>
          <input
            id="search-place"
            type="search"
            autocomplete="off"
            value={form.placeName}
            onInput={(e) => update({ placeName: e.currentTarget.value })}
            aria-describedby="search-place-hint"
          />
          <small id="search-place-hint" class="hint">
            Part of a known place's name or another name for it.
          </small>
        </div>
        <div class="field">
          <label for="search-place-type">Type of place</label>
          <select id="search-place-type" value={form.placeType} onChange={(e) => update({ placeType: e.currentTarget.value })}>
            <option value="">Any type</option>
            {Object.entries(PLACE_TYPES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="search-location">Location contains</label>
          <input id="search-location" type="search" autocomplete="off" value={form.location} onInput={(e) => update({ location: e.currentTarget.value })} />
        </div>
        {hidden ? (
          <p class="notice" data-testid="search-hidden-filters">
            This saved search also filters on {hidden} thing{hidden === 1 ? '' : 's'} this form does not show; they are kept.{' '}
            <button type="button" class="link" onClick={() => update({ extra: {} })}>
              Drop them
            </button>
          </p>
        ) : null}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy} data-testid="search-submit">
            {busy ? 'Searching…' : 'Search'}
          </button>
          <button type="button" onClick={() => setForm(emptyForm())} disabled={busy}>
            Clear filters
          </button>
        </div>
      </form>
      {error ? <ErrorText>{error}</ErrorText> : null}
      {results && run ? (
        <ResultList
          results={results}
          run={run}
          opensIncidents={opensIncidents}
          busy={busy}
          onMore={() => results.next_cursor && void fetchPage(run, results.next_cursor)}
        />
      ) : null}
      <SaveForm query={toQuery(form)} teams={teams} onSaved={saved.reload} />
    </>
  );
}

function Checks<T extends string>({
  legend,
  name,
  values,
  label,
  chosen,
  onChange,
}: {
  legend: string;
  name: string;
  values: T[];
  label: (value: T) => string;
  chosen: T[];
  onChange: (next: T[]) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="choices">
      {values.map((value) => (
        <label key={value} class="choice">
          <input
            type="checkbox"
            name={name}
            value={value}
            checked={chosen.includes(value)}
            onChange={(e) => onChange(toggle(chosen, value, e.currentTarget.checked))}
          />
          {label(value)}
        </label>
      ))}
      </div>
    </fieldset>
  );
}

function windowText(results: Results): string {
  const from = results.window.from;
  const to = results.window.to;
  if (from && to) return `${formatTime(from)} to ${formatTime(to)}`;
  if (from) return `since ${formatTime(from)}`;
  if (to) return `before ${formatTime(to)}`;
  return 'any time';
}

function ResultList({
  results,
  run,
  opensIncidents,
  busy,
  onMore,
}: {
  results: Results;
  run: Run;
  opensIncidents: boolean;
  busy: boolean;
  onMore: () => void;
}) {
  const count = results.items.length;
  return (
    <section aria-labelledby="results-h" data-testid="search-results">
      <h2 id="results-h">
        {count}
        {results.next_cursor ? '+' : ''} incident{count === 1 ? '' : 's'}
      </h2>
      <p class="hint" data-testid="search-window">
        {run.kind === 'saved' ? `${run.name}: ` : ''}
        {windowText(results)}, newest first.
      </p>
      {count ? (
        <ul class="cards">
          {results.items.map((hit) => (
            <HitCard key={hit.id} hit={hit} opensIncidents={opensIncidents} />
          ))}
        </ul>
      ) : (
        <p>No incident of your teams matches.</p>
      )}
      {results.next_cursor ? (
        <button type="button" onClick={onMore} disabled={busy} data-testid="search-more">
          {busy ? 'Loading…' : 'Show more'}
        </button>
      ) : null}
    </section>
  );
}

function HitCard({ hit, opensIncidents }: { hit: Hit; opensIncidents: boolean }) {
  return (
    <li class="card hit" data-testid="search-hit">
      <h3 class="line1">
        {opensIncidents ? <a href={`/incidents/${hit.id}`}>{hit.reference}</a> : <span>{hit.reference}</span>}
        <StateBadge state={hit.state} />
        <PriorityBadge priority={hit.priority} />
      </h3>
      <p class="line2">
        {[kindLabel(hit.kind), categoryLabel(hit.category), formatTime(hit.occurred_at), hit.teams.join(', ')].filter(Boolean).join(' · ')}
      </p>
      <p class="line3">
        {hit.young_person.first_name} {hit.young_person.last_name} · {hit.location}
      </p>
      {hit.place ? (
        <p class="line3">
          <a href={`/places/${hit.place.id}`}>{hit.place.name}</a> ({PLACE_TYPES[hit.place.type] ?? hit.place.type})
        </p>
      ) : null}
    </li>
  );
}

function SavedSearches({
  saved,
  onRun,
  busy,
}: {
  saved: { data: { items: Saved[] } | undefined; error: string | null; loading: boolean; reload: () => void };
  onRun: (search: Saved) => void;
  busy: boolean;
}) {
  const items = saved.data?.items ?? [];
  return (
    <section class="card" aria-labelledby="saved-h" data-testid="saved-searches">
      <h2 id="saved-h">Saved searches</h2>
      {saved.loading && !saved.data ? <Loading what="saved searches" /> : null}
      {!saved.data ? <LoadError state={saved} what="saved searches" /> : null}
      {saved.data && !items.length ? <p>None yet. Search below, then save the filters to run them again.</p> : null}
      <ul class="plain">
        {items.map((s) => (
          <li key={s.id} class="row" data-testid="saved-search">
            <span>
              <strong>{s.name}</strong>
              <br />
              <small class="hint">
                {s.mine ? 'Yours' : `From ${s.owner}`}
                {s.team ? ` · shared with ${s.team}` : ''}
              </small>
            </span>
            <button type="button" onClick={() => onRun(s)} disabled={busy} aria-label={`Run ${s.name}`}>
              Run
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function SaveForm({ query, teams, onSaved }: { query: IncidentQuery; teams: { slug: string; name?: string }[]; onSaved: () => void }) {
  const [name, setName] = useState('');
  const [team, setTeam] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call<Saved>('/saved-searches', { method: 'POST', body: { name: name.trim(), query, ...(team ? { team } : {}) } });
      announce('Search saved.');
      setName('');
      onSaved();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card stack" onSubmit={save} data-testid="save-search-form" aria-labelledby="save-h">
      <h2 id="save-h">Save these filters</h2>
      <div class="field">
        <label for="save-name">Name</label>
        <input id="save-name" value={name} maxLength={120} autocomplete="off" onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      {teams.length ? (
        <div class="field">
          <label for="save-team">Share with</label>
          <select id="save-team" value={team} onChange={(e) => setTeam(e.currentTarget.value)}>
            <option value="">Only me</option>
            {teams.map((t) => (
              <option key={t.slug} value={t.slug}>
                {teamName(t)}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <button type="submit" disabled={busy || !name.trim()} data-testid="save-search">
        {busy ? 'Saving…' : 'Save search'}
      </button>
      {error ? <ErrorText>{error}</ErrorText> : null}
    </form>
  );
}
