// Server-sent events over fetch(), so the bearer token travels in a header and never in a URL.
// EventSource cannot set headers; this reads the text/event-stream itself.

export interface LiveEvent {
  type: string;
  data: unknown;
  id?: string;
}

/** The text/event-stream format (WHATWG HTML §9.2), fed chunk by chunk. */
export class SSEParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventType = '';
  lastEventId = '';
  retry: number | null = null;

  feed(chunk: string): LiveEvent[] {
    this.buffer += chunk;
    const events: LiveEvent[] = [];
    let match: RegExpExecArray | null;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    while ((match = lineEnd.exec(this.buffer))) {
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, match.index);
      start = match.index + match[0].length;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): LiveEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }

  private dispatch(): LiveEvent | null {
    if (!this.dataLines.length) {
      this.eventType = '';
      return null;
    }
    const raw = this.dataLines.join('\n');
    this.dataLines = [];
    const type = this.eventType || 'message';
    this.eventType = '';
    let data: unknown = raw;
    try {
      data = JSON.parse(raw);
    } catch {
      /* not JSON: keep the text */
    }
    // Servers may also put the event name in the JSON as "type".
    const named =
      type === 'message' && data && typeof data === 'object' && typeof (data as { type?: unknown }).type === 'string'
        ? (data as { type: string }).type
        : type;
    return { type: named, data, ...(this.lastEventId ? { id: this.lastEventId } : {}) };
  }
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  url?: string;
  getToken: () => Promise<string | null>;
  onEvent: (event: LiveEvent) => void;
  /** Called on every successful (re)connection; `again` is true after the first. */
  onOpen?: (again: boolean) => void;
  onState?: (state: StreamState) => void;
  onUnauthorised?: () => void;
  fetch?: typeof fetch;
  random?: () => number;
}

const MIN_DELAY_MS = 2_000;
const MAX_DELAY_MS = 60_000;

export function connectEvents(options: EventStreamOptions): { close: () => void } {
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const random = options.random ?? Math.random;
  const controller = new AbortController();
  let closed = false;
  let failures = 0;
  let opened = 0;
  let lastEventId = '';
  let serverRetry: number | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });

  async function loop(): Promise<void> {
    while (!closed) {
      options.onState?.(opened ? 'reconnecting' : 'connecting');
      const token = await options.getToken();
      if (!token) {
        options.onUnauthorised?.();
        break;
      }
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        const response = await doFetch(options.url ?? '/api/v1/events', {
          headers,
          cache: 'no-store',
          credentials: 'omit',
          signal: controller.signal,
        });
        if (response.status === 401) {
          options.onUnauthorised?.();
          break;
        }
        if (response.ok && response.body) {
          failures = 0;
          options.onState?.('open');
          options.onOpen?.(opened++ > 0);
          const parser = new SSEParser();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const event of parser.feed(value)) options.onEvent(event);
            lastEventId = parser.lastEventId || lastEventId;
            serverRetry = parser.retry ?? serverRetry;
          }
        }
      } catch {
        if (closed) break;
      }
      if (closed) break;
      failures++;
      const ceiling = Math.min(MAX_DELAY_MS, Math.max(serverRetry ?? 0, MIN_DELAY_MS) * 2 ** Math.min(failures - 1, 5));
      await sleep(ceiling / 2 + (random() * ceiling) / 2);
    }
    options.onState?.('closed');
  }

  void loop();
  return {
    close() {
      closed = true;
      controller.abort();
    },
  };
}
