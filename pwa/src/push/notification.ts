// What a page looks like on a lock screen, built from the push payload alone. The payload
// carries ids, reference, kind, team, priority and station: never a name or free text, and
// nothing here adds any.

export interface PagePayload {
  type: 'page' | 'test' | string;
  incident_id?: string;
  page_id?: string;
  reference?: string;
  kind?: string;
  category?: string;
  team?: string;
  priority?: string | number;
  station?: string;
  ack_token?: string;
}

export interface NotificationPlan {
  title: string;
  options: NotificationOptions & { actions?: { action: string; title: string }[]; renotify?: boolean };
}

const KIND_LABELS: Record<string, string> = {
  cse: 'CSE',
  cce: 'CCE',
  cse_cce: 'CSE and CCE',
  both: 'CSE and CCE',
  missing_return: 'missing return',
  arrest: 'arrest',
  stop_conversation: 'stop conversation',
};


/** Short, printable text from the payload; anything unexpected is dropped, not shown. */
function safe(value: unknown, max = 60): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  return String(value).replace(/[\u0000-\u001f]/g, ' ').trim().slice(0, max);
}

export function priorityLabel(priority: unknown): string {
  const p = safe(priority, 8);
  if (!p) return '';
  return /^\d+$/.test(p) ? `P${p}` : p.toUpperCase();
}

export function notificationFor(payload: PagePayload, canShowActions: boolean): NotificationPlan {
  if (payload.type !== 'page') {
    return {
      title: 'Lantern test notification',
      options: {
        body: 'Notifications reach this device.',
        tag: 'lantern-test',
        icon: '/icons/icon-192.png',
        badge: '/icons/icon-192.png',
      },
    };
  }
  // "New CCE incident": the category where the payload says it, or the team's specialism
  // (team slugs end in -cse, -cce or -general); the kind of incident goes in the body.
  const team = safe(payload.team).toLowerCase();
  const fromTeam = /-(cse|cce)$/.exec(team)?.[1] ?? '';
  const categoryCode = safe(payload.category, 30).toLowerCase() || fromTeam;
  const kindCode = safe(payload.kind, 30).toLowerCase();
  const category = categoryCode ? (KIND_LABELS[categoryCode] ?? categoryCode.replace(/_/g, ' ')) : '';
  const kind = kindCode ? (KIND_LABELS[kindCode] ?? kindCode.replace(/_/g, ' ')) : '';
  const headline = category || kind;
  const title = [`New ${headline ? `${headline} ` : ''}incident`, safe(payload.station), priorityLabel(payload.priority)]
    .filter(Boolean)
    .join(' · ');
  const body = [safe(payload.reference, 30), category ? kind : '', safe(payload.team)].filter(Boolean).join(' · ');
  const incidentId = safe(payload.incident_id, 64);
  return {
    title,
    options: {
      body: body || 'Open Lantern to respond.',
      tag: incidentId || 'lantern-page',
      requireInteraction: true,
      renotify: true,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { incident_id: incidentId, ack_token: safe(payload.ack_token, 512), reference: safe(payload.reference, 30) },
      ...(canShowActions && payload.ack_token ? { actions: [{ action: 'ack', title: 'Acknowledge' }] } : {}),
    },
  };
}

/** Where a tap on the notification goes: an id only, never personal data. */
export function incidentPath(incidentId: string | undefined): string {
  return incidentId && /^[0-9A-Za-z-]{1,64}$/.test(incidentId) ? `/incidents/${incidentId}` : '/incidents';
}
