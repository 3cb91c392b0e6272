/**
 * Bad input, WebSockets (issue 10, suite 8): every upgrade handler of the server (frame writers,
 * the MSE relay to go2rtc, the JSMpeg fallback) gets fixed lifecycle scripts, then seeded random
 * handshakes and frame scripts, written byte by byte (`ws-cases.ts`), against the server running as its own process with the
 * engine and sidecar (doubles, or the real binaries when configured). Properties: a refused
 * handshake is never a 5xx (besides a limit) and carries the error shape, the refusals the
 * contract requires happen, the process never dies, a connection the client closes is closed by
 * the server, no session outlives its socket, settings never change, and afterwards the server
 * stops cleanly and starts again on the same data.
 *
 * CI: a seeded 400 connections. `npm run soak`: 10,000 with a random seed (printed).
 */
import fc from 'fast-check';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FFMPEG, runToBuffer } from '../media/proc.js';
import { sleep, waitFor } from '../support/wait.js';
import { restartChildServer, startChildServer, type ChildServer } from './child-server.js';
import { OP, closePayload, frame, rawUpgrade, type RawSocket } from './raw-ws.js';
import { scale, seedFor, suiteTimeout } from './scale.js';
import { seedServer } from './seed.js';
import { clip, isErrorShape, refusedByNode } from './wire.js';
import { wsCase, wsCorpus, wsEndpoints, type Action, type WsCase } from './ws-cases.js';
import { makeDataDir } from '../support/data-dir.js';
import { jsonOrNull } from '../support/json.js';

const CONNECTIONS = scale(400, 10_000);
const BATCH = 25;
const SERVER_TS = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** The ws library answers a handshake it cannot parse (version, key) itself, in plain text, before any handler. */
const refusedByWsLibrary = (s: RawSocket) => s.status === 400 && /content-type: text\/html/i.test(s.head);

describe('bad input: WebSockets', () => {
  it('the suite covers every upgrade handler the server hooks', async () => {
    const source = await readFile(SERVER_TS, 'utf8');
    const list = /createUpgradeRouter\(\{[^}]*routes: \[([^\]]*)\]/.exec(source)?.[1];
    expect(list, 'src/server.ts no longer lists its upgrade routes as `createUpgradeRouter({ ..., routes: [xRoute, ...] })`: update this check').toBeDefined();
    const hooked = list!
      .split(',')
      .map((s) => s.trim().replace(/Route$/, ''))
      .filter(Boolean)
      .sort();
    const fuzzed = wsEndpoints({ hls: '/h?media_token=t', mse: '/m?media_token=t', jsmpeg: '/j?media_token=t' }, Buffer.alloc(0))
      .map((e) => e.name)
      .sort();
    expect(hooked, 'an upgrade handler is hooked but not fuzzed: add it to test/hardening/ws-cases.ts').toEqual(fuzzed);
  });

  it(
    `every upgrade handler: ${CONNECTIONS} random handshakes and frame scripts; never a 5xx or a crash, no session outlives its socket, the server starts again`,
    async () => {
      const seed = seedFor('fuzz-ws');
      const dataDir = await makeDataDir('toposync-fuzz-ws');
      dirs.push(dataDir);
      let server: ChildServer = await startChildServer(dataDir);
      try {
        const seeded = await seedServer((req) => server.send(req));
        const jpeg = (await runToBuffer(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=160x120', '-frames:v', '1', '-f', 'mjpeg', 'pipe:1'], { timeoutMs: 20_000 }))
          .stdout;
        expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
        const endpoints = wsEndpoints(seeded.media, jpeg);
        const settings = await server.settingsBytes();
        const tally: Record<string, Record<string, number>> = {};
        const started = Date.now();

        const describeCase = (c: WsCase) =>
          `${c.endpoint} ${clip(c.target, 240)} via ${c.via}${c.handshake ? ` (${c.handshake.what})` : ''}\n  actions: ${c.actions.map((a) => (a.kind === 'wait' ? `wait ${a.ms}` : a.what)).join(' | ') || '(none)'}\n  ending: ${c.ending}`;
        const crashed = () => new Error(`the server died\n${server.postmortem()}`);

        const apply = async (ws: RawSocket, a: Action) => {
          if (a.kind === 'wait') return sleep(a.ms);
          ws.write(a.kind === 'raw' ? a.bytes : frame(a.kind === 'text' ? OP.text : OP.binary, a.data));
        };

        /** Ends the connection as the case says; a connection the client closed must be closed by the server too. */
        async function end(ws: RawSocket, c: WsCase, fail: (why: string) => Error): Promise<void> {
          const desynced = c.actions.some((a) => a.kind === 'raw' && a.desync);
          const closes = !desynced && (c.ending === 'close' || c.ending === 'close-twice' || c.ending === 'half-close');
          if (c.ending === 'close') ws.write(frame(OP.close, closePayload(1000)));
          if (c.ending === 'close-twice') ws.write(Buffer.concat([frame(OP.close, closePayload(1000)), frame(OP.close, closePayload(1000))]));
          if (c.ending === 'half-close') ws.socket.end();
          if (c.ending === 'cut-mid-frame') ws.write(frame(OP.binary, Buffer.alloc(64)).subarray(0, 20));
          if (!closes) return void ws.socket.destroy();
          const gone = await Promise.race([ws.ended.then(() => true), sleep(10_000).then(() => false)]);
          ws.socket.destroy();
          if (!gone) throw fail('the server kept a connection open 10 s after the client closed it');
        }

        async function run(c: WsCase, where: string): Promise<void> {
          server.note(`${where}: ${describeCase(c)}`);
          const port = c.via === 'direct' ? server.directPort : server.port;
          let ws: RawSocket;
          try {
            ws = await rawUpgrade(port, c.target, c.handshake?.headers(port) ?? {});
          } catch (err) {
            if (await server.exitsWithin(3_000)) throw crashed();
            throw new Error(`${(err as Error).message}\n${where}: ${describeCase(c)}`, { cause: err });
          }
          const t = (tally[c.endpoint] ??= {});
          t[ws.status] = (t[ws.status] ?? 0) + 1;
          const fail = (why: string) =>
            new Error(
              `${why}\n${where}: ${describeCase(c)}\n→ ${ws.status} ${JSON.stringify(ws.head.slice(0, 300))} ${clip(ws.body, 400)}; server messages: ${clip(ws.messages.map((m) => (typeof m === 'string' ? m : `<${m.length} bytes>`)).join(' | '), 400)}; close ${ws.closeCode()}\n${server.postmortem()}`,
            );
          const json: any = jsonOrNull(ws.body);
          const upstream = endpoints.find((e) => e.name === c.endpoint)?.upstream ?? [];
          if (ws.status >= 500 && !upstream.includes(json?.error?.code)) throw fail('server error');
          const refusal = c.via === 'ingress' ? (c.handshake?.refusal ?? null) : null;
          if (refusal !== null && !(ws.status >= 400 && ws.status < 500)) throw fail(`expected a 4xx: ${refusal}`);
          if (ws.status >= 400 && !isErrorShape(json) && !refusedByWsLibrary(ws) && !refusedByNode(ws.status, ws.body, /\r\nconnection: close/i.test(ws.head)))
            throw fail('a refused handshake without the error shape {"error":{code,message,field}}');
          if (ws.status === 101) {
            for (const a of c.actions) {
              if (ws.socket.destroyed) break;
              await apply(ws, a);
            }
            await end(ws, c, fail);
          } else ws.socket.destroy();
          if (!server.alive()) throw crashed();
        }

        async function checkpoint(): Promise<void> {
          await server.check();
          expect(await server.settingsBytes(), 'a WebSocket changed the stored settings').toBe(settings);
        }

        const corpus = wsCorpus(endpoints, jpeg);
        for (const [i, c] of corpus.entries()) await run(c, `lifecycle #${i}`);
        await checkpoint();
        const arb = wsCase(endpoints);
        for (let batch = 0; batch * BATCH < CONNECTIONS; batch++) {
          const cases = fc.sample(arb, { seed: (seed + batch) | 0, numRuns: Math.min(BATCH, CONNECTIONS - batch * BATCH) });
          for (const [i, c] of cases.entries()) await run(c, `seed ${seed} batch ${batch} #${i}`);
          await checkpoint();
        }

        // Every socket is gone: so must be every session (and its FFmpeg) and every go2rtc connection.
        const get = async (target: string) => (await server.send({ method: 'GET', target })).json;
        await waitFor(
          'no JSMpeg session or MSE viewer left',
          async () => {
            const [jsmpeg, observed] = await Promise.all([get('/api/streams/runtime/jsmpeg/sessions'), get('/api/streams/runtime/observability')]);
            return jsmpeg.count === 0 && observed.mse.open.length === 0;
          },
          30_000,
          { intervalMs: 250 },
        ).catch(async (err: unknown) => {
          throw new Error(`${(err as Error).message}: ${JSON.stringify({ jsmpeg: await get('/api/streams/runtime/jsmpeg/sessions'), mse: (await get('/api/streams/runtime/observability')).mse })}`, {
            cause: err,
          });
        });

        const restarted = await restartChildServer(server);
        expect(restarted.exit, `the server did not stop cleanly\n${server.postmortem()}`).toEqual({ code: 0, signal: null });
        server = restarted.server;
        const after = await server.send({ method: 'GET', target: '/api/streams/settings' });
        expect(after.status).toBe(200);
        expect(after.json.store).toMatchObject({ loaded_from: 'primary', recovered: false });
        console.log(JSON.stringify({ suite: 'fuzz-ws', seed, lifecycle: corpus.length, connections: CONNECTIONS, seconds: Math.round((Date.now() - started) / 1000), handshakes: tally }));
      } finally {
        await server.stop();
      }
    },
    suiteTimeout(300_000, 7_200_000),
  );
});
