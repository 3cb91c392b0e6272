import { describe, expect, it } from 'vitest';
import { createSupervisorClient, SupervisorUnavailable } from './supervisor-client.js';

const TOKEN = 'secret-supervisor-token';

/** A fetch that answers from a table and counts the calls per path. */
function fakeFetch(answers: Record<string, () => Response | Promise<Response>>) {
  const calls: string[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    calls.push(url.pathname);
    expect(new Headers(init?.headers).get('authorization')).toBe(`Bearer ${TOKEN}`);
    const answer = answers[url.pathname];
    if (!answer) throw new TypeError('fetch failed');
    return answer();
  }) as typeof fetch;
  return { impl, calls };
}
const json = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('Supervisor client', () => {
  it('asks Supervisor for the host name once and keeps it', async () => {
    const f = fakeFetch({ '/addons/self/info': json(200, { result: 'ok', data: { hostname: 'a0d7b954-toposync-streaming' } }) });
    const c = createSupervisorClient({ token: TOKEN, fetch: f.impl, fallbackHostname: 'container' });
    expect(await c.addonHost()).toEqual({ host: 'a0d7b954-toposync-streaming', source: 'supervisor' });
    expect(await c.addonHost()).toEqual({ host: 'a0d7b954-toposync-streaming', source: 'supervisor' });
    expect(f.calls).toEqual(['/addons/self/info']);
  });

  it('falls back to the container host name, and asks again only after the retry delay', async () => {
    let t = 0;
    const f = fakeFetch({ '/addons/self/info': json(500, { result: 'error' }) });
    const c = createSupervisorClient({ token: TOKEN, fetch: f.impl, fallbackHostname: 'container', hostnameRetryMs: 1000, now: () => t });
    expect(await c.addonHost()).toEqual({ host: 'container', source: 'fallback' });
    expect(await c.addonHost()).toEqual({ host: 'container', source: 'fallback' });
    expect(f.calls).toHaveLength(1);
    t = 1000;
    await c.addonHost();
    expect(f.calls).toHaveLength(2);
  });

  it('without a token it never calls anything', async () => {
    const c = createSupervisorClient({ token: null, fetch: () => Promise.reject(new Error('called')), fallbackHostname: 'container' });
    expect(c.available).toBe(false);
    expect(await c.addonHost()).toEqual({ host: 'container', source: 'fallback' });
    await expect(c.request('GET', '/core/api/')).rejects.toBeInstanceOf(SupervisorUnavailable);
    await expect(c.coreCommand({ type: 'ping' })).rejects.toBeInstanceOf(SupervisorUnavailable);
    expect(await c.coreApi()).toMatchObject({ reachable: false, reason: expect.stringContaining('SUPERVISOR_TOKEN') });
  });

  it('reports Core reachable or not (cached), and a network failure without the token in the message', async () => {
    const f = fakeFetch({ '/core/api/': json(200, { message: 'API running.' }) });
    const c = createSupervisorClient({ token: TOKEN, fetch: f.impl });
    expect(await c.coreApi()).toEqual({ reachable: true, status: 200, reason: null });
    await c.coreApi();
    expect(f.calls).toEqual(['/core/api/']);
    const err = await c.request('GET', '/core/api/states').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SupervisorUnavailable);
    expect((err as Error).message).toBe('GET /core/api/states: fetch failed');
    expect((err as Error).message).not.toContain(TOKEN);
  });

  it('resolves any HTTP status with the parsed body (plain text kept as text)', async () => {
    const f = fakeFetch({ '/core/api/x': () => new Response('Failed dependencies stream', { status: 400 }) });
    expect(await createSupervisorClient({ token: TOKEN, fetch: f.impl }).request('POST', '/core/api/x', {})).toEqual({ status: 400, body: 'Failed dependencies stream' });
  });

  it.each(['not a url', 'ftp://supervisor'])('refuses base URL %s at start-up', (baseUrl) => {
    expect(() => createSupervisorClient({ token: TOKEN, baseUrl })).toThrow(/supervisor client: baseUrl/);
  });
});
