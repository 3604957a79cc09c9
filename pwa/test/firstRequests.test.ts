import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, configureApi, dropPrimed, prime } from '../src/api/client';
import { firstRequests, homeFor } from '../src/firstRequests';

// The first screen's requests started at start-up (issue 16): the screen's own call takes the
// answer once; anything else goes to the network as before.
describe('primed first requests', () => {
  let requests: string[];

  beforeEach(() => {
    requests = [];
    vi.stubGlobal('fetch', async (url: string) => {
      requests.push(url);
      return new Response(JSON.stringify({ n: requests.length }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    });
    configureApi({ getToken: async () => 'token', onUnauthorised: () => undefined });
    dropPrimed();
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('lets the screen take the primed answer instead of asking again', async () => {
    prime('/board');
    expect(await call('/board')).toEqual({ n: 1 });
    expect(requests).toEqual(['/api/v1/board']);
  });

  it('gives a primed answer once only: the next call (a reload of the list) asks the server', async () => {
    prime('/board');
    await call('/board');
    expect(await call('/board')).toEqual({ n: 2 });
    expect(requests).toHaveLength(2);
  });

  it('never gives a primed answer to a call that is not a plain GET', async () => {
    prime('/users');
    await call('/users', { method: 'POST', body: { username: 'x' } });
    expect(requests).toEqual(['/api/v1/users', '/api/v1/users']);
  });

  it('drops a primed answer nobody took within 10 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    prime('/incidents');
    vi.setSystemTime(Date.now() + 10_001);
    expect(await call('/incidents')).toEqual({ n: 2 });
  });

  it('drops primed answers on sign-out or lock', async () => {
    prime('/incidents');
    dropPrimed();
    expect(await call('/incidents')).toEqual({ n: 2 });
  });

  it('lets the screen see a primed request that failed', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('offline');
    });
    prime('/board');
    await expect(call('/board')).rejects.toMatchObject({ status: 0 });
  });
});

describe('the first screen of each role', () => {
  it('names the requests each first screen makes', () => {
    expect(firstRequests('/board', '', ['manager'])).toEqual(['/board']);
    expect(firstRequests('/on-call', '', ['worker'])).toEqual(['/me/on-call', '/incidents']);
    expect(firstRequests('/incidents', '', ['worker'])).toEqual(['/incidents']);
    expect(firstRequests('/reports', '', ['police'])).toEqual(['/incidents']);
    expect(firstRequests('/report', '', ['police'])).toEqual(['/indicators']);
    expect(firstRequests('/admin', '', ['admin'])).toEqual(['/areas', '/stations', '/teams', '/users']);
    expect(firstRequests('/handover', '', ['day_team'])).toEqual(['/handover?state=awaiting_pickup']);
    expect(firstRequests('/handover', '?team=cse&state=picked_up', ['day_team'])).toEqual(['/handover?state=picked_up&team=cse']);
  });

  it('follows "/" to the role\'s home', () => {
    expect(homeFor(['manager'])).toBe('/board');
    expect(firstRequests('/', '', ['manager'])).toEqual(['/board']);
    expect(firstRequests('/', '', ['worker'])).toEqual(['/me/on-call', '/incidents']);
  });

  it('asks nothing for a screen the role may not open, or one not listed', () => {
    expect(firstRequests('/board', '', ['worker'])).toEqual([]);
    expect(firstRequests('/admin', '', ['manager'])).toEqual([]);
    expect(firstRequests('/incidents/abc', '', ['worker'])).toEqual([]);
    expect(firstRequests('/places', '', ['coordinator'])).toEqual([]);
  });
});
