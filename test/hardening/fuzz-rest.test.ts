/**
 * Bad input, REST (issue 10, suite 8): every route the server mounts gets a fixed corpus of hostile
 * inputs (lone surrogates, NUL, huge and deep values, `__proto__`/`constructor`/`prototype` keys,
 * bytes that are not UTF-8, wrong content types, odd path parameters and query strings) and then
 * seeded random requests (bodies, targets and headers from `rest-routes.ts` / `rest-cases.ts`),
 * against the server running as its own process. Properties: never a 5xx (besides the few that
 * report an upstream's state, listed per route), never a crash, a refusal carries the error shape
 * and leaves settings.json byte for byte as it was, the refusals the contract requires happen,
 * and afterwards the server stops cleanly and starts again on the same data with nothing lost.
 *
 * CI: the corpus plus a seeded 2,000 random requests. `npm run soak`: 100,000 with a random seed
 * (printed; TOPOSYNC_SEED replays it).
 */
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { createAddonServer } from '../../src/addon/server.js';
import { restartChildServer, startChildServer, type ChildServer } from './child-server.js';
import { corpusCases, mustAccept, randomCase, requiredRefusal, toSent, type Case } from './rest-cases.js';
import { restRoutes } from './rest-routes.js';
import { scale, seedFor, suiteTimeout } from './scale.js';
import { resetSeed, seedServer, type Seeded } from './seed.js';
import { clip, isErrorShape, refusedByNode, type Answer } from './wire.js';
import { makeDataDir } from '../support/data-dir.js';

const RANDOM = scale(2_000, 100_000);
/** Requests between two checks that the process lives and answers, and a reset of the seeded state. */
const BATCH = 200;
/** Middleware entries of `app.routes`: they serve no request themselves. */
// The last: a transmission a peer hosts has its calls answered by that peer (src/api/routes/remote.ts); each such call is fuzzed under its own route.
const MIDDLEWARE = ['ALL /*', 'ALL /api/*', 'ALL /api/streams/transmissions/:id/*'];
const UI_BUILT = existsSync(fileURLToPath(new URL('../../web/dist/app.js', import.meta.url)));

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('bad input: REST', () => {
  it('the route table names every route the composed server mounts, and nothing else', async () => {
    const dataDir = await makeDataDir('toposync-routes');
    dirs.push(dataDir);
    // Composed as main.ts composes it: the core wrapped by the add-on adapter.
    const { streaming: s } = await createAddonServer({
      dataDir,
      logger: createLogger('silent'),
      logLevel: 'silent',
      autoStartEngine: false,
      demo: false,
      mediamtxBundledPaths: [],
      go2rtcBundledPaths: [],
    });
    try {
      const mounted = new Set(s.app.routes.map((r) => `${r.method} ${r.path}`).filter((k) => !MIDDLEWARE.includes(k)));
      const fuzzed = new Set(restRoutes({ hls: '/h', mse: '/m', jsmpeg: '/j' }).map((r) => r.key));
      expect(
        [...mounted].filter((k) => !fuzzed.has(k)),
        'mounted but not fuzzed: add them to test/hardening/rest-routes.ts',
      ).toEqual([]);
      expect(
        [...fuzzed].filter((k) => !mounted.has(k)),
        'fuzzed but no longer mounted',
      ).toEqual([]);
    } finally {
      await s.stop();
    }
  });

  it(
    `every route: the hostile corpus and ${RANDOM} random requests; never a 5xx or a crash, refusals change nothing, the server starts again`,
    async () => {
      const seed = seedFor('fuzz-rest');
      const dataDir = await makeDataDir('toposync-fuzz-rest');
      dirs.push(dataDir);
      let server: ChildServer = await startChildServer(dataDir);
      try {
        const api = (req: Parameters<ChildServer['send']>[0]) => server.send(req);
        const seeded: Seeded = await seedServer(api);
        const routes = restRoutes(seeded.media);
        const corpus = corpusCases(routes);
        const tally = new Map<string, Record<string, number>>();
        const started = Date.now();

        const describeCase = (c: Case) =>
          `${c.method} ${clip(c.target, 300)} via ${c.via}\n  body (${c.body.kind}): ${typeof c.body.text === 'string' ? clip(c.body.text, 300) : c.body.text === undefined ? '(none)' : `bytes ${c.body.text.toString('hex').slice(0, 200)}`}\n  headers: ${JSON.stringify(toSent(c, server.port).headers).slice(0, 400)}`;
        const crashed = () => new Error(`the server died\n${server.postmortem()}`);
        const codeOf = (res: Answer): string | null => res.json?.error?.code ?? (res.status === 503 && !UI_BUILT && res.text.includes('has not been built') ? 'ui_not_built' : null);

        /** Sends one case and checks the answer; returns its status. */
        async function run(c: Case, where: string): Promise<number> {
          server.note(`${where}: ${describeCase(c)}`);
          const before = await server.settingsBytes();
          const port = c.via === 'direct' ? server.directPort : server.port;
          const sent = toSent(c, port);
          const t0 = performance.now();
          let res: Answer;
          try {
            res = await server.send(sent, port);
          } catch (err) {
            if (await server.exitsWithin(3_000)) throw crashed();
            // Node refuses a request head over its 16 KiB limit (431) and closes at once, while the body may still be on its way.
            const head = sent.target.length + Object.entries(sent.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
            if (!(head > 16_384 && /ECONNRESET|EPIPE/.test((err as Error).message))) throw new Error(`no answer (${(err as Error).message})\n${where}: ${describeCase(c)}`, { cause: err });
            res = { status: 431, headers: { connection: 'close' }, text: '', json: null };
          }
          const key = c.route?.key ?? 'stray';
          const t = tally.get(key) ?? {};
          t[res.status] = (t[res.status] ?? 0) + 1;
          t.ms = (t.ms ?? 0) + (performance.now() - t0);
          tally.set(key, t);
          const fail = (why: string) => new Error(`${why}\n${where}: ${describeCase(c)}\n→ ${res.status} ${JSON.stringify(res.headers)} ${clip(res.text, 600)}\n${server.postmortem()}`);
          const code = codeOf(res);
          if (res.status >= 500 && !(code !== null && c.route?.upstream.concat(UI_BUILT ? [] : ['ui_not_built']).includes(code))) throw fail('server error');
          const refusal = requiredRefusal(c);
          if (refusal !== null && !(res.status >= 400 && res.status < 500)) throw fail(`expected a 4xx: ${refusal}`);
          if (mustAccept(c) && res.status >= 300) throw fail('the route refused its own example body: fix the example in rest-routes.ts');
          if (res.status >= 400) {
            // The API's refusals carry its error shape; the panel's static files answer as HTTP does (416 with Content-Range...).
            if (c.method !== 'HEAD' && c.target.startsWith('/api/') && !isErrorShape(res.json) && !refusedByNode(res.status, res.text, res.headers.connection === 'close'))
              throw fail('a refusal without the error shape {"error":{code,message,field}}');
            if ((await server.settingsBytes()) !== before) throw fail('a refused request changed the stored settings');
          }
          if (!server.alive()) throw crashed();
          return res.status;
        }

        /** The process lives and answers; the seeded state is put back for the next batch. */
        let checkpointMs = 0;
        async function checkpoint(): Promise<void> {
          const t0 = performance.now();
          await server.check();
          await resetSeed(api, seeded).catch((err: unknown) => {
            throw new Error(`the seeded state could not be restored after these requests: ${(err as Error).message}\n${server.postmortem()}`, { cause: err });
          });
          checkpointMs += performance.now() - t0;
        }

        for (const [i, c] of corpus.entries()) {
          const status = await run(c, `corpus #${i}`);
          // The corpus builds on the seeded objects: one deleted is put back before the next case.
          if ((i + 1) % BATCH === 0 || (c.method === 'DELETE' && status < 300)) await checkpoint();
        }
        await checkpoint();
        const corpusSeconds = Math.round((Date.now() - started) / 1000);
        const arb = randomCase(routes);
        let generateMs = 0;
        for (let batch = 0; batch * BATCH < RANDOM; batch++) {
          const n = Math.min(BATCH, RANDOM - batch * BATCH);
          const t0 = performance.now();
          const cases = fc.sample(arb, { seed: (seed + batch) | 0, numRuns: n });
          generateMs += performance.now() - t0;
          for (const [i, c] of cases.entries()) await run(c, `seed ${seed} batch ${batch} #${i}`);
          await checkpoint();
        }

        // A clean stop, then a start on the same data: everything still there, loaded from the file itself.
        const content = async () => {
          const get = async (target: string) => (await server.send({ method: 'GET', target })).json;
          const settings = await get('/api/streams/settings');
          return {
            cameras: await get('/api/cameras'),
            pipelines: await get('/api/streams/pipelines'),
            transmissions: await get('/api/streams/transmissions'),
            publications: await get('/api/streams/publications'),
            live_views: await get('/api/streams/live-views'),
            streaming: settings.streaming,
          };
        };
        const kept = await content();
        const restarted = await restartChildServer(server);
        expect(restarted.exit, `the server did not stop cleanly\n${server.postmortem()}`).toEqual({ code: 0, signal: null });
        server = restarted.server;
        const settings = await server.send({ method: 'GET', target: '/api/streams/settings' });
        expect(settings.status).toBe(200);
        expect(settings.json.store, 'the stored document must load as it is, not from a backup or defaults').toMatchObject({ loaded_from: 'primary', recovered: false, problems: [] });
        expect(await content()).toEqual(kept);

        const statuses: Record<string, number> = {};
        for (const t of tally.values()) for (const [s, n] of Object.entries(t)) if (s !== 'ms') statuses[s] = (statuses[s] ?? 0) + n;
        console.log(
          JSON.stringify({
            suite: 'fuzz-rest',
            seed,
            routes: routes.length,
            corpus: corpus.length,
            corpus_seconds: corpusSeconds,
            random: RANDOM,
            seconds: Math.round((Date.now() - started) / 1000),
            checkpoint_seconds: Math.round(checkpointMs / 1000),
            generate_seconds: Math.round(generateMs / 1000),
            statuses,
          }),
        );
        // Per route: statuses seen and the time its requests took (ms), to see what each route's inputs reach.
        console.log(JSON.stringify(Object.fromEntries([...tally].map(([k, t]) => [k, { ...t, ms: Math.round(t.ms ?? 0) }]))));
      } finally {
        await server.stop();
      }
    },
    suiteTimeout(300_000, 7_200_000),
  );
});
