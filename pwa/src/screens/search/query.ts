// The search form's state and the API's query body (POST /incidents/query), both ways. The
// filters only ever travel in a body: never in the address bar, never in the page title.
import type { components } from '../../api/schema';

export type IncidentQuery = components['schemas']['IncidentQuery'];
export type Category = NonNullable<IncidentQuery['indicator_categories']>[number];
export type Kind = NonNullable<IncidentQuery['kinds']>[number];
export type Priority = NonNullable<IncidentQuery['priorities']>[number];
export type PlaceType = NonNullable<IncidentQuery['place_types']>[number];

/** What the form shows. A saved search may filter on more than the form has controls for
 * (several teams, a young person, places by id): those ride along untouched in `extra`. */
export interface SearchForm {
  /** A number of days back from each run, 'dates' (from/to) or 'all'. */
  window: string;
  from: string;
  to: string;
  categories: Category[];
  groups: string[];
  indicator: string;
  kinds: Kind[];
  priorities: Priority[];
  team: string;
  placeName: string;
  placeType: string;
  location: string;
  extra: IncidentQuery;
}

export const WINDOWS: { value: string; label: string }[] = [
  { value: '7', label: 'Last 7 days' },
  { value: '28', label: 'Last 28 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '365', label: 'Last 12 months' },
  { value: 'dates', label: 'Between dates' },
  { value: 'all', label: 'Any time' },
];

export function emptyForm(): SearchForm {
  return {
    window: '28',
    from: '',
    to: '',
    categories: [],
    groups: [],
    indicator: '',
    kinds: [],
    priorities: [],
    team: '',
    placeName: '',
    placeType: '',
    location: '',
    extra: {},
  };
}

/** A local date (yyyy-mm-dd) as the instant its day starts, on this phone's clock. */
function dayStart(date: string, plusDays = 0): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y!, m! - 1, d! + plusDays).toISOString();
}

function localDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The body for the API: empty filters left out. `to` is the end of the chosen day. */
export function toQuery(form: SearchForm): IncidentQuery {
  const q: IncidentQuery = { ...form.extra };
  if (form.window === 'dates') {
    if (form.from) q.from = dayStart(form.from);
    if (form.to) q.to = dayStart(form.to, 1);
  } else if (form.window !== 'all') {
    q.last_days = Number(form.window);
  }
  if (form.categories.length) q.indicator_categories = [...form.categories];
  if (form.groups.length) q.indicator_groups = [...form.groups];
  if (form.indicator) q.indicators = [form.indicator];
  if (form.kinds.length) q.kinds = [...form.kinds];
  if (form.priorities.length) q.priorities = [...form.priorities];
  if (form.team) q.teams = [form.team];
  if (form.placeName.trim()) q.place_name = form.placeName.trim();
  if (form.placeType) q.place_types = [form.placeType as PlaceType];
  if (form.location.trim()) q.location_contains = form.location.trim();
  return q;
}

/** A saved search's stored filters back into the form (what it cannot show kept in `extra`). */
export function fromQuery(query: Record<string, unknown>): SearchForm {
  const q = query as IncidentQuery;
  const form = emptyForm();
  const extra: Record<string, unknown> = { ...q };
  const take = (key: keyof IncidentQuery) => {
    delete extra[key];
  };
  if (q.last_days) {
    form.window = String(q.last_days);
    take('last_days');
  } else if (q.from || q.to) {
    form.window = 'dates';
    if (q.from) form.from = localDate(q.from);
    if (q.to) form.to = localDate(new Date(new Date(q.to).getTime() - 1).toISOString());
    take('from');
    take('to');
  } else {
    form.window = 'all';
  }
  const single = <K extends keyof IncidentQuery>(key: K, set: (value: string) => void) => {
    const values = q[key] as string[] | undefined;
    if (values && values.length === 1) {
      set(values[0]!);
      take(key);
    }
  };
  if (q.indicator_categories?.length) {
    form.categories = [...q.indicator_categories];
    take('indicator_categories');
  }
  if (q.indicator_groups?.length) {
    form.groups = [...q.indicator_groups];
    take('indicator_groups');
  }
  if (q.kinds?.length) {
    form.kinds = [...q.kinds];
    take('kinds');
  }
  if (q.priorities?.length) {
    form.priorities = [...q.priorities];
    take('priorities');
  }
  single('indicators', (v) => (form.indicator = v));
  single('teams', (v) => (form.team = v));
  single('place_types', (v) => (form.placeType = v));
  if (q.place_name) {
    form.placeName = q.place_name;
    take('place_name');
  }
  if (q.location_contains) {
    form.location = q.location_contains;
    take('location_contains');
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === null || value === undefined || (Array.isArray(value) && !value.length)) delete extra[key];
  }
  form.extra = extra as IncidentQuery;
  return form;
}

/** How many filters of a saved search the form has no control for (said, never hidden). */
export function hiddenFilters(form: SearchForm): number {
  return Object.keys(form.extra).length;
}

/** Toggle a value in a list (checkbox groups). */
export function toggle<T>(list: T[], value: T, on: boolean): T[] {
  return on ? (list.includes(value) ? list : [...list, value]) : list.filter((v) => v !== value);
}
