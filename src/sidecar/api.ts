import * as v from 'valibot';

/** `GET /api` (go2rtc v1.9.14 `app.Info`): only what we read. */
const infoSchema = v.object({ version: v.string() });

/** The two calls the manager makes to go2rtc's loopback API, each bounded by `timeoutMs`. */
export function createGo2rtcApi({ fetch: fetchImpl, timeoutMs }: { fetch: typeof fetch; timeoutMs: number }) {
  return {
    /** `GET /api`: the version go2rtc reports (its readiness probe). */
    async version(port: number): Promise<string> {
      const res = await fetchImpl(`http://127.0.0.1:${port}/api`, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new Error(`GET /api answered HTTP ${res.status}`);
      }
      const body = v.safeParse(infoSchema, await res.json());
      if (!body.success) throw new Error('GET /api answered without a version');
      return body.output.version;
    },
    /** `PATCH /api/streams?name=&src=`: adds a stream to the running go2rtc, in memory. */
    async addStream(port: number, stream: { name: string; src: string }): Promise<void> {
      const query = `name=${encodeURIComponent(stream.name)}&src=${encodeURIComponent(stream.src)}`;
      const res = await fetchImpl(`http://127.0.0.1:${port}/api/streams?${query}`, { method: 'PATCH', signal: AbortSignal.timeout(timeoutMs) });
      const text = (await res.text()).trim();
      if (res.status !== 200) throw new Error(`PATCH /api/streams answered HTTP ${res.status}${text ? `: ${text}` : ''}`);
    },
  };
}

export type Go2rtcApi = ReturnType<typeof createGo2rtcApi>;
