// A development stand-in for the Lantern API: serves dist/ (SPA fallback, the production CSP)
// and answers /api/v1 from memory, so the PWA can be clicked through without the backend.
// Not the backend, not for tests of the backend (tests/e2e run the real one). Its shapes follow
// api/**/routes.py and schemas, trimmed to what the PWA reads. Users: custody, worker, day, manager, admin;
// password "lantern". Usage: npm run build && npm run mock  (PORT=8080 by default)
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { randomUUID } from 'node:crypto';

const PORT = Number(process.env.PORT ?? 8080);
const DIST = new URL('../dist/', import.meta.url).pathname;
const TOKEN_TTL = Number(process.env.TOKEN_TTL ?? 900);

const HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
};

const TEAMS = [
  { id: 't-city-cce', slug: 'city-cce', name: 'City CCE' },
  { id: 't-city-cse', slug: 'city-cse', name: 'City CSE' },
];
const USERS = {
  custody: { id: 'u1', username: 'custody', display_name: 'Custody Sergeant Hale', roles: ['police'], teams: [], police_station: 'Euston St custody', station: { id: 's1', slug: 'euston-street', name: 'Euston St custody' } },
  worker: { id: 'u2', username: 'worker', display_name: 'Sam Reid', roles: ['worker'], teams: [TEAMS[0]] },
  day: { id: 'u3', username: 'day', display_name: 'Priya Shah', roles: ['day_team'], teams: [TEAMS[0], TEAMS[1]] },
  manager: { id: 'u4', username: 'manager', display_name: 'Morgan Lee', roles: ['manager'], teams: TEAMS },
  admin: { id: 'u5', username: 'admin', display_name: 'Alex Admin', roles: ['admin'], teams: [] },
};
const tokens = new Map();
const INDICATORS = [
  { code: 'found_out_of_area', label: 'Found out of area', category: 'cce', group: 'Places' },
  { code: 'unexplained_cash', label: 'Unexplained cash or items', category: 'cce', group: 'Possessions' },
  { code: 'multiple_phones', label: 'More than one phone', category: 'cce', group: 'Possessions' },
  { code: 'older_associates', label: 'Older associates', category: 'cse', group: 'People' },
  { code: 'gifts', label: 'Unexplained gifts', category: 'cse', group: 'Possessions' },
  { code: 'injuries', label: 'Unexplained injuries', category: 'general', group: 'Health' },
];
const OFFER_KINDS = [
  { code: 'safe_transport', label: 'Safe transport home or to placement' },
  { code: 'other', label: 'Other (describe in the notes)', notes_required: true },
  { code: 'appropriate_adult', label: 'An appropriate adult' },
  { code: 'return_conversation', label: 'A return conversation' },
  { code: 'food', label: 'Food and drink' },
  { code: 'safety_plan', label: 'A safety plan' },
  { code: 'youth_services', label: 'A referral to youth services' },
];

const incidents = new Map();
const idempotency = new Map();
const offers = new Map();
const handover = new Map();
const notes = new Map();
let seq = 122;

function addIncident(body, stationOverride) {
  const id = randomUUID();
  const now = new Date().toISOString();
  const incident = {
    id,
    reference: `LAN-2026-${String(++seq).padStart(6, '0')}`,
    kind: body.kind,
    state: 'paging',
    priority: 'P1',
    category: 'cce',
    occurred_at: body.occurred_at,
    reported_at: now,
    police_station: stationOverride ?? body.police_station,
    police_reference: body.police_reference ?? null,
    location: body.location,
    circumstances: body.circumstances ?? null,
    custody_status: body.custody_status ?? null,
    young_person: { id: randomUUID(), ...body.young_person },
    indicators: (body.indicators ?? []).map((i) => ({ ...i, label: INDICATORS.find((x) => x.code === i.code)?.label ?? i.code })),
    triage: { reasons: ['CCE – City: found out of area', 'unexplained cash'] },
    teams: [TEAMS[0]],
    timeline: [{ at: now, actor: 'Custody Sergeant Hale', action: 'incident.reported', detail: { kind: body.kind } }, { at: now, actor: 'Lantern', action: 'state.changed', detail: { from: 'reported', to: 'paging' } }],
    pages: [],
    acknowledged_at: null,
    acknowledged_action: null,
    eta_minutes: null,
    uncovered: false,
    support_offers: [],
  };
  incidents.set(id, incident);
  const hid = randomUUID();
  handover.set(hid, {
    id: hid,
    state: 'awaiting_pickup',
    team: TEAMS[0],
    incident_id: id,
    due_at: new Date(Date.now() + 8 * 3600_000).toISOString(),
    what_happened: { summary: 'Found out of area after a missing episode.' },
    decisions: { reasons: incident.triage.reasons },
    open_clocks: [{ id: randomUUID(), kind: 'rhi_72h', label: 'Return home interview offered', due_at: new Date(Date.now() + 60 * 3600_000).toISOString(), met: false, status: 'open' }],
    owner: null,
    picked_up_at: null,
  });
  return incident;
}

addIncident({
  kind: 'missing_return',
  occurred_at: new Date(Date.now() - 50 * 60_000).toISOString(),
  police_station: 'euston-street',
  young_person: { first_name: 'Jordan', last_name: 'Okafor-Whitlock', date_of_birth: '2010-05-04' },
  location: { description: 'Bus station, bay 4' },
  indicators: [{ code: 'found_out_of_area', provenance: 'observed' }],
});

const clients = new Set();
function publish(type, data) {
  for (const res of clients) res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function send(res, status, body, extra = {}) {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...HEADERS, ...extra });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const problem = (res, status, title, extra = {}, headers = {}) => send(res, status, { type: 'about:blank', title, status, ...extra }, headers);

function summary(i) {
  const { timeline: _t, circumstances: _c, support_offers: _o, location, young_person, ...rest } = i;
  return { ...rest, police_station: 'Euston St custody', location: location.description, young_person: { id: young_person.id, first_name: young_person.first_name, last_name: young_person.last_name } };
}
function detail(i) {
  return { ...i, police_station: { slug: 'euston-street', name: 'Euston St custody' } };
}
function status(i) {
  return { id: i.id, reference: i.reference, state: i.state, kind: i.kind, reported_at: i.reported_at, acknowledged_at: i.acknowledged_at, acknowledged_action: i.acknowledged_action, eta_minutes: i.eta_minutes, uncovered: i.uncovered };
}

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function userOf(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  const t = m && tokens.get(m[1]);
  if (!t || t.exp < Date.now()) return null;
  return USERS[t.username];
}

/** The same rules for offers and notes: created, unchanged, conflict, or (If-Match) updated/stale. */
function upsert(store, incident, id, body, ifMatch, same, make) {
  const existing = store.get(id);
  if (existing && same(existing, body)) return { code: 200, status: 'unchanged', record: existing };
  if (existing && ifMatch === undefined) return { code: 409, status: 'conflict', record: existing };
  if (existing && ifMatch !== existing.version) return { code: 412, status: 'conflict', record: existing };
  if (!existing && ifMatch !== undefined) return { code: 412, status: 'conflict', record: null };
  const record = { ...make(body), id, incident_id: incident.id, version: existing ? existing.version + 1 : 1, recorded_by: { id: 'u2', display_name: 'Sam Reid' }, received_at: new Date().toISOString(), captured_offline: Boolean(body.captured_offline) };
  store.set(id, record);
  publish('incident.updated', { incident_id: incident.id });
  return { code: existing ? 200 : 201, status: existing ? 'updated' : 'created', record };
}

function upsertOffer(incident, id, body, ifMatch) {
  const kind = OFFER_KINDS.find((k) => k.code === body.kind);
  const r = upsert(offers, incident, id, body, ifMatch, (a, b) => a.kind === b.kind && a.outcome === b.outcome && (a.notes ?? null) === (b.notes ?? null), (b) => ({ kind: b.kind, kind_label: kind?.label ?? b.kind, outcome: b.outcome, notes: b.notes ?? null, offered_at: b.offered_at }));
  if (r.status === 'created' || r.status === 'updated') {
    incident.support_offers = [...offers.values()].filter((o) => o.incident_id === incident.id);
    incident.state = 'support_recorded';
    incident.timeline.push({ at: new Date().toISOString(), actor: 'Sam Reid', action: 'support.offer_recorded', detail: { kind: body.kind } });
  }
  return r;
}

function upsertNote(incident, id, body, ifMatch) {
  return upsert(notes, incident, id, body, ifMatch, (a, b) => a.text === b.text, (b) => ({ text: b.text }));
}

const ifMatchOf = (req) => {
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(req.headers['if-match'] ?? '');
  return m ? Number(m[1]) : undefined;
};

function answerWrite(res, r) {
  if (r.code >= 400) return problem(res, r.code, r.code === 409 ? 'Conflict' : 'Precondition Failed', r.record ? { current: r.record, version: r.record.version } : {}, r.record ? { ETag: `"${r.record.version}"` } : {});
  return send(res, r.code, r.record, { ETag: `"${r.record.version}"` });
}

async function api(req, res, path) {
  const url = new URL(req.url, 'http://x');
  if (path === '/auth/token' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const user = USERS[form.get('username')];
    if (!user || form.get('password') !== 'lantern') return problem(res, 401, 'Bad credentials');
    const token = randomUUID();
    tokens.set(token, { username: user.username, exp: Date.now() + TOKEN_TTL * 1000 });
    return send(res, 200, { access_token: token, token_type: 'bearer', expires_in: TOKEN_TTL });
  }
  // Two doors, as in the API: signed in (/incidents/{id}/acknowledge), or the push payload's
  // single-use ack_token (/acknowledgements, public). The mock's tokens are the incident ids.
  const ackPath = path.match(/^\/incidents\/[^/]+\/acknowledge$/) ? path.split('/')[2] : path === '/acknowledgements' ? 'token' : null;
  if (ackPath && req.method === 'POST') {
    const body = JSON.parse((await readBody(req)) || '{}');
    if (ackPath !== 'token' && !userOf(req)) return problem(res, 401, 'Not signed in');
    const incident = incidents.get(ackPath === 'token' ? body.ack_token : ackPath);
    if (!incident) return problem(res, ackPath === 'token' ? 401 : 404, 'Not found');
    if (incident.acknowledged_at) return problem(res, 409, 'Conflict', { detail: 'Already acknowledged by Sam Reid.' });
    incident.state = body.action === 'attending' ? 'attending' : 'acknowledged';
    incident.acknowledged_at = new Date().toISOString();
    incident.acknowledged_action = body.action;
    incident.eta_minutes = body.eta_minutes ?? null;
    incident.timeline.push({ at: incident.acknowledged_at, actor: 'Sam Reid', action: 'page.acknowledged', detail: { action: body.action, eta_minutes: body.eta_minutes ?? null } });
    publish('page.acknowledged', { incident_id: incident.id });
    return send(res, 200, { state: incident.state, action: body.action, eta_minutes: incident.eta_minutes, acknowledged_by: { id: 'u2', display_name: 'Sam Reid' }, acknowledged_at: incident.acknowledged_at, escalated: body.action === 'cannot_attend', pages: [] });
  }
  const user = userOf(req);
  if (!user) return problem(res, 401, 'Not signed in');

  if (path === '/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', ...HEADERS });
    res.write(': hello\n\n');
    clients.add(res);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      clients.delete(res);
    });
    return;
  }
  if (path === '/me') return send(res, 200, user);
  if (path === '/me/on-call') {
    const end = new Date();
    end.setHours(8, 0, 0, 0);
    if (end < new Date()) end.setDate(end.getDate() + 1);
    return send(res, 200, { now: [{ team: TEAMS[0], level: 'primary', starts_at: new Date(end.getTime() - 24 * 3600_000).toISOString(), ends_at: end.toISOString() }], next: { team: TEAMS[0], level: 'secondary', starts_at: new Date(end.getTime() + 36 * 3600_000).toISOString(), ends_at: new Date(end.getTime() + 48 * 3600_000).toISOString() } });
  }
  if (path === '/indicators') return send(res, 200, INDICATORS);
  if (path === '/support-offer-kinds') return send(res, 200, OFFER_KINDS);
  if (path === '/push/public-key') return send(res, 200, { public_key: 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U' });
  if (path === '/push/subscriptions' && req.method === 'GET') return send(res, 200, [{ id: 'd1', label: 'Chrome on Android', push_service: 'https://fcm.googleapis.com', last_success_at: new Date(Date.now() - 86400_000).toISOString(), failure_count: 0, retired_at: null, working: true }]);
  if (path === '/push/subscriptions' && req.method === 'POST') return send(res, 201, { id: randomUUID(), label: 'This device', failure_count: 0, retired_at: null, working: true });
  if (path.startsWith('/push/subscriptions/') && req.method === 'DELETE') return send(res, 204);
  if (path === '/push/test' && req.method === 'POST') return send(res, 202, { queued: 1, device_ids: ['d1'] });
  if (path === '/incidents' && req.method === 'POST') {
    const raw = await readBody(req);
    const key = req.headers['idempotency-key'];
    if (key && idempotency.has(key)) {
      const prior = idempotency.get(key);
      if (prior.raw !== raw) return problem(res, 422, 'Idempotency key reused with another body');
      return send(res, 200, prior.answer);
    }
    const body = JSON.parse(raw);
    if (!body.young_person?.first_name) return problem(res, 422, 'Validation failed', { errors: [{ field: 'young_person.first_name', message: 'required' }] });
    const i = addIncident(body);
    const answer = { id: i.id, reference: i.reference, state: i.state, priority: i.priority, teams: i.teams, triage: i.triage };
    if (key) idempotency.set(key, { raw, answer });
    publish('incident.created', { incident_id: i.id });
    return send(res, 201, answer);
  }
  if (path === '/incidents') return send(res, 200, { items: [...incidents.values()].map(user.roles.includes('police') ? status : summary).reverse(), next_cursor: null });
  let m;
  if ((m = path.match(/^\/incidents\/([^/]+)$/))) {
    const i = incidents.get(m[1]);
    return i ? send(res, 200, detail(i)) : problem(res, 404, 'Not found');
  }
  if ((m = path.match(/^\/incidents\/([^/]+)\/status$/))) {
    const i = incidents.get(m[1]);
    return i ? send(res, 200, { ...status(i), timeline: i.timeline.map(({ actor: _a, ...e }) => e) }) : problem(res, 404, 'Not found');
  }
  if ((m = path.match(/^\/incidents\/([^/]+)\/support-offers\/([^/]+)$/)) && req.method === 'PUT') {
    const i = incidents.get(m[1]);
    if (!i) return problem(res, 404, 'Not found');
    return answerWrite(res, upsertOffer(i, m[2], JSON.parse(await readBody(req)), ifMatchOf(req)));
  }
  if ((m = path.match(/^\/incidents\/([^/]+)\/handover-note\/([^/]+)$/)) && req.method === 'PUT') {
    const i = incidents.get(m[1]);
    if (!i) return problem(res, 404, 'Not found');
    return answerWrite(res, upsertNote(i, m[2], JSON.parse(await readBody(req)), ifMatchOf(req)));
  }
  if ((m = path.match(/^\/incidents\/([^/]+)\/handover-notes$/))) {
    return send(res, 200, [...notes.values()].filter((n) => n.incident_id === m[1]));
  }
  if ((m = path.match(/^\/incidents\/([^/]+)\/support-offers$/))) {
    return send(res, 200, [...offers.values()].filter((o) => o.incident_id === m[1]));
  }
  if (path === '/sync' && req.method === 'POST') {
    const body = JSON.parse(await readBody(req));
    const results = body.items.map((item) => {
      const idField = item.type === 'handover_note' ? 'note_id' : 'offer_id';
      const i = incidents.get(item.incident_id);
      if (!i) return { type: item.type, [idField]: item[idField], status: 'rejected', status_code: 404, detail: 'No such incident.' };
      const r = (item.type === 'handover_note' ? upsertNote : upsertOffer)(i, item[idField], item.body, item.if_match ?? undefined);
      return { type: item.type, [idField]: item[idField], status: r.status, status_code: r.code, version: r.record?.version, ...(r.status === 'conflict' ? { current: r.record } : {}) };
    });
    return send(res, 200, { results });
  }
  if (path === '/handover') {
    const team = url.searchParams.get('team');
    const state = url.searchParams.get('state');
    const items = [...handover.values()]
      .filter((h) => (!team || h.team.slug === team) && (state ? h.state === state : h.state !== 'closed'))
      .map((h) => {
        const i = incidents.get(h.incident_id);
        return { ...h, incident: { ...summary(i), station: { slug: 'euston-street', name: 'Euston St custody' } }, support_offers: i.support_offers, handover_notes: [...notes.values()].filter((n) => n.incident_id === i.id) };
      });
    return send(res, 200, { items });
  }
  if ((m = path.match(/^\/handover\/([^/]+)\/pickup$/)) && req.method === 'POST') {
    const h = handover.get(m[1]);
    if (!h) return problem(res, 404, 'Not found');
    if (h.state !== 'awaiting_pickup') return problem(res, 409, 'Conflict', { detail: `Already picked up by ${h.owner?.display_name}.` });
    Object.assign(h, { state: 'picked_up', owner: { id: user.id, display_name: user.display_name }, picked_up_at: new Date().toISOString() });
    return send(res, 200, { id: h.id, state: 'picked_up', owner: h.owner, picked_up_at: h.picked_up_at });
  }
  if (path === '/handover/report') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...HEADERS });
    return res.end('<!doctype html><title>Handover report</title><h1>Handover report</h1>');
  }
  if (path === '/board') {
    const all = [...incidents.values()].map(summary);
    return send(res, 200, {
      unacknowledged: all.filter((i) => ['reported', 'paging'].includes(i.state)),
      uncovered: all.filter((i) => i.state === 'uncovered'),
      needs_review: [],
      rota_gaps: [{ team: TEAMS[1], level: 'secondary', reason: 'nobody', starts_at: new Date(Date.now() + 26 * 3600_000).toISOString(), ends_at: new Date(Date.now() + 38 * 3600_000).toISOString() }],
    });
  }
  return problem(res, 404, 'Not found');
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.webmanifest': 'application/manifest+json', '.json': 'application/json' };

createServer(async (req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  try {
    if (path.startsWith('/api/v1/')) return await api(req, res, path.slice('/api/v1'.length));
    let file = normalize(join(DIST, path));
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
    const cache = path === '/sw.js' || file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': cache, ...HEADERS });
    res.end(readFileSync(file));
  } catch (error) {
    console.error(error);
    problem(res, 500, 'Mock server error');
  }
}).listen(PORT, '127.0.0.1', () => console.log(`mock API and PWA on http://127.0.0.1:${PORT}`));
