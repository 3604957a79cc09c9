import { describe, expect, it } from 'vitest';
import { SSEParser, connectEvents, type LiveEvent } from '../src/api/events';

describe('the event-stream parser', () => {
  it('reads named events with JSON data, across chunk boundaries', () => {
    const p = new SSEParser();
    expect(p.feed('event: incident.created\ndata: {"incident_')).toEqual([]);
    expect(p.feed('id":"a1"}\nid: 7\n\n')).toEqual([{ type: 'incident.created', data: { incident_id: 'a1' }, id: '7' }]);
  });

  it('ignores comments (keep-alives), joins multi-line data, honours retry and CRLF', () => {
    const p = new SSEParser();
    const events = p.feed(': ping\r\n\r\nretry: 5000\r\ndata: one\r\ndata: two\r\n\r\n');
    expect(events).toEqual([{ type: 'message', data: 'one\ntwo' }]);
    expect(p.retry).toBe(5000);
  });

  it('takes the event name from a "type" in the JSON when the event has no name', () => {
    const p = new SSEParser();
    expect(p.feed('data: {"type":"page.acknowledged","incident_id":"x"}\n\n')[0]?.type).toBe('page.acknowledged');
  });
});

describe('the event stream', () => {
  it('sends the bearer token in a header, never in the URL, and reports events', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const events: LiveEvent[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('event: incident.updated\ndata: {"incident_id":"i1"}\n\n'));
      },
    });
    const opened: boolean[] = [];
    const stream = connectEvents({
      getToken: async () => 'tok-9',
      onEvent: (e) => events.push(e),
      onOpen: (again) => opened.push(again),
      fetch: (async (url: string, init: RequestInit) => {
        seen.push({ url, headers: init.headers as Record<string, string> });
        return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
      }) as typeof fetch,
    });
    await new Promise((r) => setTimeout(r, 30));
    stream.close();
    expect(seen[0]!.url).toBe('/api/v1/events');
    expect(seen[0]!.url).not.toContain('tok-9');
    expect(seen[0]!.headers.Authorization).toBe('Bearer tok-9');
    expect(events).toEqual([{ type: 'incident.updated', data: { incident_id: 'i1' } }]);
    expect(opened).toEqual([false]);
  });

  it('stops and asks for a sign-in on 401', async () => {
    let unauthorised = 0;
    let calls = 0;
    connectEvents({
      getToken: async () => 'expired',
      onEvent: () => undefined,
      onUnauthorised: () => unauthorised++,
      fetch: (async () => {
        calls++;
        return new Response(null, { status: 401 });
      }) as typeof fetch,
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(unauthorised).toBe(1);
    expect(calls).toBe(1);
  });
});
