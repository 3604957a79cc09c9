import { useEffect, useState } from 'preact/hooks';
import { call } from '../api/client';
import type { Indicator, PlaceSuggestion, PlaceSuggestions } from '../api/types';
import { indicators as loadIndicators } from '../offline/catalogue';
import type { IncidentKind, IncidentReportBody, Provenance } from '../outbox/types';
import { location, navigate } from '../router';
import { getLocal, saveToOutbox, syncNow } from '../runtime';
import { announce, app, useStore } from '../state';
import { ErrorText, Loading } from '../ui/bits';
import { CUSTODY_LABELS, groupLabel, KIND_LABELS, localInputToIso, nowForInput } from '../ui/format';
import { useAsync, useDebounced, useTitle } from '../ui/hooks';

const STATION_KEY = 'lantern.station';
const KINDS: IncidentKind[] = ['missing_return', 'arrest', 'stop_conversation'];
const PROVENANCES: { value: Provenance; label: string }[] = [
  { value: 'observed', label: 'Observed' },
  { value: 'disclosed', label: 'Disclosed' },
  { value: 'intelligence', label: 'Intelligence' },
  { value: 'concern', label: 'Concern' },
];
type CustodyStatus = NonNullable<IncidentReportBody['custody_status']>;
/** The custody statuses the API accepts (but `unknown`), in the order custody staff meet them. */
const CUSTODY_STATUS_ORDER: CustodyStatus[] = [
  'in_custody',
  'charged_refused_bail',
  'bailed',
  'released',
  'released_under_investigation',
  'released_no_further_action',
  'police_protection',
  'not_detained',
  'not_arrested',
];
export const CUSTODY_STATUSES: { value: CustodyStatus; label: string }[] = CUSTODY_STATUS_ORDER.map((value) => ({
  value,
  label: CUSTODY_LABELS[value]!,
}));

interface FormState {
  kind: IncidentKind | '';
  occurredAt: string;
  station: string;
  policeReference: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  laReference: string;
  location: string;
  place: { id: string; name: string } | null;
  circumstances: string;
  custodyStatus: CustodyStatus | '';
  indicators: Record<string, Provenance>;
}

function blank(station: string): FormState {
  return {
    kind: '',
    occurredAt: nowForInput(),
    station,
    policeReference: '',
    firstName: '',
    lastName: '',
    dateOfBirth: '',
    laReference: '',
    location: '',
    place: null,
    circumstances: '',
    custodyStatus: '',
    indicators: {},
  };
}

function fromBody(body: IncidentReportBody): FormState {
  const indicators: Record<string, Provenance> = {};
  for (const i of body.indicators ?? []) indicators[i.code] = i.provenance ?? 'observed';
  return {
    kind: body.kind,
    occurredAt: body.occurred_at.slice(0, 16),
    station: body.police_station,
    policeReference: body.police_reference ?? '',
    firstName: body.young_person.first_name,
    lastName: body.young_person.last_name,
    dateOfBirth: body.young_person.date_of_birth ?? '',
    laReference: body.young_person.la_reference ?? '',
    location: body.location.description,
    place: body.place_id ? { id: body.place_id, name: 'the place chosen' } : null,
    circumstances: body.circumstances ?? '',
    custodyStatus: body.custody_status ?? '',
    indicators,
  };
}

function toBody(f: FormState): IncidentReportBody {
  const body: IncidentReportBody = {
    kind: f.kind as IncidentKind,
    occurred_at: localInputToIso(f.occurredAt),
    police_station: f.station.trim(),
    young_person: { first_name: f.firstName.trim(), last_name: f.lastName.trim() },
    location: { description: f.location.trim() },
    indicators: Object.entries(f.indicators).map(([code, provenance]) => ({ code, provenance })),
  };
  if (f.place) body.place_id = f.place.id;
  if (f.policeReference.trim()) body.police_reference = f.policeReference.trim();
  if (f.dateOfBirth) body.young_person.date_of_birth = f.dateOfBirth;
  if (f.laReference.trim()) body.young_person.la_reference = f.laReference.trim();
  if (f.circumstances.trim()) body.circumstances = f.circumstances.trim();
  if (f.custodyStatus) body.custody_status = f.custodyStatus;
  return body;
}

function defaultStation(fromProfile: string | null | undefined): string {
  try {
    return fromProfile ?? localStorage.getItem(STATION_KEY) ?? '';
  } catch {
    return fromProfile ?? '';
  }
}

function offsetText(): string {
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '−';
  const h = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const m = String(Math.abs(minutes) % 60).padStart(2, '0');
  return `${Intl.DateTimeFormat().resolvedOptions().timeZone} (UTC${sign}${h}:${m})`;
}

/** Custody staff's report. Works offline: it goes to the outbox first. */
export function ReportForm() {
  const editId = useStore(location, (l) => l.query.get('edit'));
  useTitle(editId ? 'Correct report' : 'Report an incident');
  const station = useStore(app, (s) => s.me?.station?.name ?? s.me?.police_station);
  const catalogue = useAsync(() => loadIndicators(), []);
  const [form, setForm] = useState<FormState>(() => blank(defaultStation(station)));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [suggestions, setSuggestions] = useState<PlaceSuggestion[]>([]);
  // Known places like what is typed, at most one call per 300 ms; offline, simply none.
  const suggestSoon = useDebounced(() => {
    const q = form.location.trim();
    if (q.length < 2 || form.place) {
      setSuggestions([]);
      return;
    }
    call<PlaceSuggestions>(`/places/suggestions?q=${encodeURIComponent(q.slice(0, 120))}&limit=5`)
      .then((r) => setSuggestions(r.items))
      .catch(() => setSuggestions([]));
  }, 300);

  useEffect(() => {
    if (!editId) return;
    void getLocal()
      .outbox.get(editId)
      .then((item) => {
        if (item?.payload.kind === 'incident_report' && item.state === 'needs_attention') setForm(fromBody(item.payload.body));
      });
  }, [editId]);

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const toggle = (code: string, on: boolean) =>
    setForm((f) => {
      const indicators = { ...f.indicators };
      if (on) indicators[code] = indicators[code] ?? 'observed';
      else delete indicators[code];
      return { ...f, indicators };
    });

  async function submit(event: Event) {
    event.preventDefault();
    if (!form.kind) {
      setError('Choose what happened: missing return, arrest or stop conversation.');
      document.getElementById('kind-missing_return')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = toBody(form);
      try {
        localStorage.setItem(STATION_KEY, body.police_station);
      } catch {
        /* not essential */
      }
      if (editId) {
        await getLocal().outbox.retry(editId, { body });
        announce('Corrected report saved on this device. Sending…');
        void syncNow();
      } else {
        await saveToOutbox({
          kind: 'incident_report',
          label: `Report · ${KIND_LABELS[body.kind]} · ${body.police_station}`,
          body,
        });
      }
      setForm(blank(body.police_station));
      navigate('/reports');
    } catch {
      setError('Could not save on this device. Nothing was lost from the form: try again.');
    } finally {
      setBusy(false);
    }
  }

  const groups = groupIndicators(catalogue.data?.items ?? []);
  return (
    <>
      <h1>{editId ? 'Correct the report' : 'Report an incident'}</h1>
      <p class="hint">Works without a signal: the report is kept, encrypted, on this device and sent as soon as it can be.</p>
      <form class="stack report" onSubmit={submit} data-testid="report-form" aria-label="Incident report">
        <fieldset>
          <legend>What happened</legend>
          <div class="choices">
            {KINDS.map((k) => (
              <label key={k} class="choice">
                <input type="radio" id={`kind-${k}`} name="kind" value={k} checked={form.kind === k} onChange={() => set('kind', k)} required />
                {KIND_LABELS[k]}
              </label>
            ))}
          </div>
        </fieldset>

        <label for="occurred-at">When it happened</label>
        <input id="occurred-at" type="datetime-local" required value={form.occurredAt} onInput={(e) => set('occurredAt', e.currentTarget.value)} aria-describedby="occurred-at-hint" />
        <p class="hint" id="occurred-at-hint">
          Local time of this device: {offsetText()}
        </p>

        <label for="police-station">Police station</label>
        <input id="police-station" required autocomplete="off" value={form.station} onInput={(e) => set('station', e.currentTarget.value)} />

        <label for="police-reference">Police reference (optional)</label>
        <input id="police-reference" autocomplete="off" value={form.policeReference} onInput={(e) => set('policeReference', e.currentTarget.value)} />

        <fieldset>
          <legend>Young person</legend>
          <div class="stack">
            <label for="yp-first">First name</label>
            <input id="yp-first" required autocomplete="off" value={form.firstName} onInput={(e) => set('firstName', e.currentTarget.value)} />
            <label for="yp-last">Last name</label>
            <input id="yp-last" required autocomplete="off" value={form.lastName} onInput={(e) => set('lastName', e.currentTarget.value)} />
            <label for="yp-dob">Date of birth (optional)</label>
            <input id="yp-dob" type="date" value={form.dateOfBirth} onInput={(e) => set('dateOfBirth', e.currentTarget.value)} />
            <label for="yp-la">Local authority reference (optional)</label>
            <input id="yp-la" autocomplete="off" value={form.laReference} onInput={(e) => set('laReference', e.currentTarget.value)} />
          </div>
        </fieldset>

        <label for="location">Where (place or description)</label>
        <input
          id="location"
          required
          autocomplete="off"
          value={form.location}
          aria-describedby="location-hint"
          onInput={(e) => {
            set('location', e.currentTarget.value);
            suggestSoon();
          }}
        />
        <p class="hint" id="location-hint">
          A place's name only, never a person's name or home address: known places are suggested as you type.
        </p>
        <PlacePicker
          place={form.place}
          suggestions={suggestions}
          onChoose={(p) => {
            set('place', { id: p.id, name: p.name });
            setSuggestions([]);
          }}
          onClear={() => set('place', null)}
        />

        <fieldset data-testid="indicators">
          <legend>Indicators of exploitation seen</legend>
          {catalogue.loading && !catalogue.data ? <Loading what="the indicator list" /> : null}
          {catalogue.error && !catalogue.data ? (
            <ErrorText>The indicator list is not on this device yet. Open Lantern once with a signal; you can still send the report without indicators.</ErrorText>
          ) : null}
          {groups.map(([group, items]) => (
            <div class="indicator-group" key={group} role="group" aria-labelledby={`grp-${slug(group)}`}>
              <p class="group-label" id={`grp-${slug(group)}`}>
                {items[0]?.group_label || groupLabel(group)}
              </p>
              {items.map((i) => {
                const checked = i.code in form.indicators;
                return (
                  <div class="indicator" key={i.code}>
                    <label class="choice">
                      <input type="checkbox" checked={checked} onChange={(e) => toggle(i.code, e.currentTarget.checked)} />
                      {i.label}
                    </label>
                    {checked ? (
                      <select
                        aria-label={`How known: ${i.label}`}
                        value={form.indicators[i.code]}
                        onChange={(e) => setForm((f) => ({ ...f, indicators: { ...f.indicators, [i.code]: e.currentTarget.value as Provenance } }))}
                      >
                        {PROVENANCES.map((p) => (
                          <option key={p.value} value={p.value}>
                            {p.label}
                          </option>
                        ))}
                      </select>
                    ) : null}
                  </div>
                );
              })}
            </div>
          ))}
        </fieldset>

        <label for="circumstances">Circumstances (optional)</label>
        <textarea id="circumstances" rows={4} maxLength={4000} value={form.circumstances} onInput={(e) => set('circumstances', e.currentTarget.value)} />

        <label for="custody-status">Custody status</label>
        <select id="custody-status" value={form.custodyStatus} onChange={(e) => set('custodyStatus', e.currentTarget.value as CustodyStatus | '')}>
          <option value="">Not known</option>
          {CUSTODY_STATUSES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>

        {error ? <ErrorText>{error}</ErrorText> : null}
        <button type="submit" class="primary" disabled={busy} data-testid="report-submit">
          {busy ? 'Saving…' : editId ? 'Save and send again' : 'Send report'}
        </button>
      </form>
    </>
  );
}

function groupIndicators(items: Indicator[]): [string, Indicator[]][] {
  const groups = new Map<string, Indicator[]>();
  for (const i of items) {
    const g = i.group || 'Other';
    groups.set(g, [...(groups.get(g) ?? []), i]);
  }
  return [...groups.entries()];
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** The place suggestions under the location, and the place chosen (its id goes with the report;
 * the text typed stays the incident's description). */
function PlacePicker({
  place,
  suggestions,
  onChoose,
  onClear,
}: {
  place: { id: string; name: string } | null;
  suggestions: PlaceSuggestion[];
  onChoose: (p: PlaceSuggestion) => void;
  onClear: () => void;
}) {
  if (place) {
    return (
      <p class="place-chosen" data-testid="place-chosen">
        Place: <strong>{place.name}</strong>{' '}
        <button type="button" onClick={onClear}>
          Not this place
        </button>
      </p>
    );
  }
  return (
    <div aria-live="polite">
      {suggestions.length ? (
        <ul class="plain suggestions" data-testid="place-suggestions" aria-label="Known places">
          {suggestions.map((p) => (
            <li key={p.id}>
              <button type="button" onClick={() => onChoose(p)}>
                {p.name}
                {p.matched !== p.name ? ` (${p.matched})` : ''}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
