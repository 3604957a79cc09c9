// Talking to /api/v1: the bearer token on every call, problem+json turned into ApiError,
// and a 401 turned into "sign in again" (the outbox is never touched by that).
import type { Problem } from '../outbox/types';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
  }

  get offline(): boolean {
    return this.status === 0;
  }
}

export interface ApiDeps {
  getToken: () => Promise<string | null>;
  onUnauthorised: () => void;
}

let deps: ApiDeps = {
  getToken: async () => null,
  onUnauthorised: () => undefined,
};

export function configureApi(next: ApiDeps): void {
  deps = next;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Read the answer as text (e.g. an HTML report). */
  text?: boolean;
  /** Read the answer as a Blob (a PDF or a JSON file to download). */
  blob?: boolean;
}

/** A file from the API (a CSV or PDF report) saved on the device under `filename`: fetched with
 * the bearer token (a plain link would carry none), then handed to the browser as a download. */
export async function download(path: string, filename: string, accept: string): Promise<void> {
  const token = await deps.getToken();
  if (!token) {
    deps.onUnauthorised();
    throw new ApiError(401, { status: 401, title: 'Signed out' });
  }
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      headers: { Accept: accept, Authorization: `Bearer ${token}` },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, { status: 0, title: 'No connection' });
  }
  if (!response.ok) throw new ApiError(response.status, await problemFrom(response));
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

// The first screen's first requests, started at start-up beside its chunk (runtime.ts, from
// firstRequests.ts) rather than once the session is open and the screen has mounted (issue 16:
// one round trip and the chunk's wait off the largest paint). The screen's own `call` of the same
// path takes the answer once; an answer not taken within PRIMED_MS is dropped (never served
// stale to a later screen).
const PRIMED_MS = 10_000;
const primed = new Map<string, { at: number; answer: Promise<unknown> }>();

/** Start a GET of `path` now, for the screen that will ask for it in a moment. With the session's
 * `token` at hand (start-up has just read it), the request leaves in this very task, before the
 * screen's first render takes the main thread (issue 16), not after a round of promise turns. */
export function prime(path: string, token?: string): void {
  const answer = token ? send<unknown>(path, {}, token) : request<unknown>(path, {});
  // Taken later (or never): no "unhandled rejection" meanwhile; the taker sees the error.
  answer.catch(() => undefined);
  primed.set(path, { at: Date.now(), answer });
}

function takePrimed(path: string, options: CallOptions): Promise<unknown> | null {
  const found = primed.get(path);
  if (!found) return null;
  primed.delete(path);
  const plain = (options.method ?? 'GET') === 'GET' && options.body === undefined && !options.text && !options.blob && !options.headers;
  if (!plain || Date.now() - found.at > PRIMED_MS) return null;
  return found.answer;
}

/** Forget every primed answer (signing out, locking). */
export function dropPrimed(): void {
  primed.clear();
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const taken = takePrimed(path, options);
  if (taken) return taken as Promise<T>;
  return request<T>(path, options);
}

async function request<T>(path: string, options: CallOptions): Promise<T> {
  const token = await deps.getToken();
  if (!token) {
    deps.onUnauthorised();
    throw new ApiError(401, { status: 401, title: 'Signed out' });
  }
  return send<T>(path, options, token);
}

/** The request itself: `fetch` is called synchronously, before the first await. */
async function send<T>(path: string, options: CallOptions, token: string): Promise<T> {
  const headers: Record<string, string> = {
    Accept: options.text ? 'text/html' : options.blob ? '*/*' : 'application/json, application/problem+json',
    Authorization: `Bearer ${token}`,
    ...options.headers,
  };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(API_BASE + path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, { status: 0, title: 'No connection' });
  }
  if (response.status === 401) {
    deps.onUnauthorised();
    throw new ApiError(401, await problemFrom(response));
  }
  if (!response.ok) throw new ApiError(response.status, await problemFrom(response));
  if (response.status === 204) return undefined as T;
  if (options.text) return (await response.text()) as T;
  if (options.blob) return (await response.blob()) as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

async function problemFrom(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    return {
      status: response.status,
      title: body.title ?? response.statusText,
      ...(body.detail ? { detail: body.detail } : {}),
      ...(body.errors ? { errors: body.errors } : {}),
    };
  } catch {
    return { status: response.status, title: response.statusText || `HTTP ${response.status}` };
  }
}

/** A sentence for a person, from any error a call may throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.offline) return 'No connection. Try again when you have a signal.';
    if (error.status === 401) return 'Your session ended. Sign in again.';
    if (error.status === 403) return 'Your role does not allow this.';
    if (error.status === 404) return 'Not found, or not visible to you.';
    const fields = error.problem.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
    return [error.problem.title, error.problem.detail, fields].filter(Boolean).join(' — ');
  }
  return 'Something went wrong. Try again.';
}
