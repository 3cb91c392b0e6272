/**
 * Distributed hosting with two real servers on 127.0.0.1 (issue 14): A gives its demo stream to B to
 * host; B runs it (real FFmpeg, the engine double or the real MediaMTX) and A plays it through B.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { engineTarget, REAL_ENGINES } from '../engines.js';
import { runToBuffer } from '../media/proc.js';
import { ffmpegChildren } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';
import { DEMO_PATH, DEMO_TRANSMISSION_ID as TX, PEER_SECRET, startPair, type Pair } from './pair.js';

const CAMERA_PASSWORD = 'only-on-a-7781';

interface Plan {
  transports: { transport: string; available: boolean; url: string | null; blocked_reason: string | null; blocked_detail: string | null }[];
}
interface Health {
  transmission_id: string;
  fallback_reason: string | null;
  host_server_id: string;
  hosted_for: string | null;
  problems: string[];
}

const planOf = async (p: Pair) => (await p.a.request('GET', `/api/streams/transmissions/${TX}/playback-plan?client=web&context=grid`)).json as Plan;
const transport = (plan: Plan, name: string) => plan.transports.find((t) => t.transport === name)!;
const healthOf = async (p: Pair, side: 'a' | 'b') => ((await p[side].request('GET', '/api/streams/runtime/health')).json as Health[]).find((h) => h.transmission_id === TX);

/** Every file under a directory, as text. */
async function allText(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) parts.push(await readFile(join(e.parentPath, e.name), 'latin1'));
  return parts.join('\n');
}

describe(`distributed hosting, two servers (${engineTarget('mediamtx')}, ${engineTarget('go2rtc')})`, () => {
  let pair: Pair;
  let closed = false;
  beforeAll(async () => {
    pair = await startPair({ pollMs: 500, mse: true });
    // A camera A hosts itself: its credentials must never reach B.
    const cam = await pair.a.request('POST', '/api/cameras', {
      id: 'garage',
      name: 'Garage',
      sources: [{ id: 'main', url: 'rtsp://127.0.0.1:9/garage', username: 'admin', password: CAMERA_PASSWORD }],
    });
    expect(cam.status).toBe(201);
    await pair.hlsSourceOnB('POST');
  });
  afterAll(() => (closed ? undefined : pair?.close()));

  it('runs the transmission on its host only, and both say where it runs', async () => {
    expect(pair.a.streaming.runtime.plan().outputs.some((o) => o.transmission_id === TX)).toBe(false);
    expect(pair.b.streaming.runtime.plan().outputs.some((o) => o.transmission_id === TX)).toBe(true);
    await waitFor(
      'A to have checked B',
      async () => (await healthOf(pair, 'a'))?.host_server_id === 'nas' && (await pair.a.request('GET', '/api/streams/distributed/status')).json.hosts[0]?.reachable === true,
    );
    expect(await healthOf(pair, 'a')).toMatchObject({ host_server_id: 'nas', hosted_for: null, fallback_reason: null });
    expect(await healthOf(pair, 'b')).toMatchObject({ host_server_id: 'nas', hosted_for: 'local' });
  });

  it("plays HLS from A through B: A mints the tokens, and B's never reach the browser", async () => {
    const plan = await planOf(pair);
    const hls = transport(plan, 'hls');
    expect(hls).toMatchObject({ available: true });
    const url = new URL(hls.url!, pair.a.base);
    // Demand through A reaches B, which encodes.
    expect((await pair.a.request('POST', `/api/streams/transmissions/${TX}/demand/heartbeat`, { client: 'web' })).status).toBe(200);
    const bDemand = (await pair.b.request('GET', `/api/streams/transmissions/${TX}/demand`)).json as { has_demand: boolean; heartbeats: number };
    expect(bDemand).toMatchObject({ has_demand: true });
    const main = await waitFor('the multivariant playlist through A', async () => {
      const res = await fetch(url);
      return res.status === 200 ? res.text() : undefined;
    });
    const aToken = url.searchParams.get('media_token')!;
    const tokens = [...main.matchAll(/media_token=([^"\s&]+)/g)].map((m) => decodeURIComponent(m[1]!));
    expect(tokens.length).toBeGreaterThan(0);
    expect(new Set(tokens)).toEqual(new Set([aToken]));
    const variant = main.split('\n').find((l) => l && !l.startsWith('#'))!;
    const media = await waitFor('a media playlist with a segment', async () => {
      const text = await (await fetch(new URL(variant, url))).text();
      return /\.(mp4|m4s|ts)\?/.test(text.replace(/#EXT-X-MAP:URI="[^"]*"/, '')) ? text : undefined;
    });
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)?.[1];
    const segment = media
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .at(-1)!;
    for (const file of [init, segment].filter((f): f is string => f !== undefined)) {
      const res = await fetch(new URL(file, new URL(variant, url)));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/video|mp4|mp2t/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  it("plays JSMpeg from A through B (MPEG-TS bytes over A's WebSocket)", async () => {
    const j = transport(await planOf(pair), 'jsmpeg');
    expect(j).toMatchObject({ available: true });
    const ws = new WebSocket(new URL(j.url!, pair.a.base.replace(/^http/, 'ws')));
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      ws.on('message', (data: Buffer, binary) => {
        if (!binary) return;
        got = Buffer.concat([got, data]);
        if (got.length >= 188 * 20) resolve(got);
      });
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
      ws.once('error', reject);
    });
    ws.close();
    expect(bytes[0]).toBe(0x47); // an MPEG-TS sync byte
    expect((await healthOf(pair, 'b'))?.fallback_reason).not.toBe('host_unreachable');
  });

  it('plays MSE from A through B (go2rtc on B, the socket bridged by A)', async () => {
    const mse = await waitFor('MSE offered through A', async () => {
      const t = transport(await planOf(pair), 'mse');
      return t.available ? t : undefined;
    });
    const ws = new WebSocket(new URL(mse.url!, pair.a.base.replace(/^http/, 'ws')), { perMessageDeflate: false });
    const texts: string[] = [];
    const init = await new Promise<Buffer>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.42E01E' })));
      ws.on('message', (data: Buffer, binary) => (binary ? resolve(data) : texts.push(data.toString())));
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}: ${texts.join(' ')}`)));
      ws.once('error', reject);
    });
    ws.close();
    expect(texts.map((t) => (JSON.parse(t) as { type: string }).type)).toEqual(['mse']);
    expect(init.subarray(4, 8).toString('latin1')).toBe('ftyp');
  }, 60_000);

  it("RTSP readers that cannot reach a loopback host (Home Assistant in another container) read A's relay of B's path", async () => {
    await pair.a.request('GET', `/api/streams/transmissions/${TX}/urls`);
    const relay = pair.a.streaming.runtime.plan().paths.get(`relay/nas/${DEMO_PATH}`);
    expect(relay).toMatchObject({ sourceOnDemand: true, rtspTransport: 'tcp', source: expect.stringMatching(new RegExp(`^rtsp://[^@]+@127\\.0\\.0\\.1:\\d+/${DEMO_PATH}$`)) });
    if (!REAL_ENGINES.mediamtx) return; // the MediaMTX double serves no RTSP
    const { username, password } = pair.a.streaming.store.get().streaming.lan_reader;
    const url = `rtsp://${encodeURIComponent(username)}:${encodeURIComponent(password ?? '')}@127.0.0.1:${pair.a.streaming.engine.rtspPort()}/relay/nas/${DEMO_PATH}`;
    const probe = await runToBuffer('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_type', '-of', 'json', url], { timeoutMs: 40_000 });
    expect({ exit: probe.exitCode, stderr: probe.stderr.replaceAll(password ?? '\0', '***').trim() }).toEqual({ exit: 0, stderr: '' });
    expect(JSON.parse(probe.stdout.toString()).streams).toEqual([expect.objectContaining({ codec_type: 'video' })]);
  }, 60_000);

  it('a still image of the hosted transmission comes from B through A', async () => {
    const res = await fetch(`${pair.a.base}/api/streams/transmissions/${TX}/still.jpg?width=320`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-still-source')).toMatch(/frame|grab|placeholder/);
  });

  it('the host answers internal URLs with media only to the peer it hosts for, with the right secret', async () => {
    const path = `/api/streams/internal/transmissions/${TX}/urls`;
    const wrong = await fetch(pair.b.base + path, { headers: { 'x-toposync-peer': 'local', authorization: 'Bearer not-the-secret-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'peer_unauthorized', field: 'authorization' } });
    const noSecret = await fetch(pair.b.base + path, { headers: { 'x-toposync-peer': 'local' } });
    expect(noSecret.status).toBe(401);
    const stranger = await fetch(pair.b.base + path, { headers: { 'x-toposync-peer': 'elsewhere', authorization: `Bearer ${PEER_SECRET}` } });
    expect(stranger.status).toBe(401);
    const local = (await (await fetch(pair.b.base + path)).json()) as Record<string, unknown>;
    expect(local).not.toHaveProperty('peer');
    const peer = (await (await fetch(pair.b.base + path, { headers: { 'x-toposync-peer': 'local', authorization: `Bearer ${PEER_SECRET}` } })).json()) as { peer: { outputs: { hls: string }[] } };
    expect(peer.peer.outputs[0]!.hls).toMatch(/^\/api\/streams\/media\/hls\/.+media_token=/);
  });

  it('the credentials of a camera A hosts never reach B', async () => {
    await waitFor('B to have polled A at least once more', async () => (await pair.b.request('GET', '/api/streams/distributed/status')).json.peers[0]?.checked_at !== null);
    expect(await allText(pair.b.dataDir)).not.toContain(CAMERA_PASSWORD);
    // What B keeps for A holds the credentials of the cameras B reads for it: only B's user may read it.
    expect((await stat(join(pair.b.dataDir, 'peers', 'local.json'))).mode & 0o777).toBe(0o600);
    expect(pair.b.logs.join('\n')).not.toContain(CAMERA_PASSWORD);
    expect(JSON.stringify((await pair.b.request('GET', '/api/streams/runtime/health')).json)).not.toContain(CAMERA_PASSWORD);
    expect(JSON.stringify(pair.b.streaming.runtime.plan().sources)).not.toContain(CAMERA_PASSWORD);
  });

  it('only a settings change is news: a heartbeat or a notification sends none (no ping-pong between peers)', async () => {
    const sent = async (side: 'a' | 'b') => ((await pair[side].request('GET', '/api/streams/distributed/status')).json as { notifications_sent: number }).notifications_sent;
    const [a0, b0] = [await sent('a'), await sent('b')];
    expect((await pair.a.request('POST', `/api/streams/transmissions/${TX}/demand/heartbeat`, { client: 'web' })).status).toBe(200);
    const notify = await fetch(`${pair.b.base}/api/streams/distributed/notify/local`, { method: 'POST', headers: { 'x-toposync-peer': 'local', authorization: `Bearer ${PEER_SECRET}` } });
    expect(notify.status).toBe(202);
    // The answers are written after the app's write hook ran: what it sent is counted by now.
    expect([await sent('a'), await sent('b')]).toEqual([a0, b0]);
    expect((await pair.a.request('PATCH', '/api/streams/settings', { jsmpeg: { fps: 12 } })).status).toBe(200);
    expect(await sent('a')).toBe(a0 + 1);
    expect(await sent('b')).toBe(b0);
  });

  it('a change on A reaches B by polling when the notification is dropped', async () => {
    const pulledVersion = async () => ((await pair.b.request('GET', '/api/streams/distributed/status')).json as { peers: { version: number | null }[] }).peers[0]!.version ?? -1;
    const before = await pulledVersion();
    // A's notifications go to a closed port from now on; B still polls A (every 500 ms here).
    expect((await pair.a.request('PATCH', '/api/streams/settings', { peers: [{ id: 'nas', name: 'NAS', base_url: 'http://127.0.0.1:9' }] })).status).toBe(200);
    const demo = (await pair.a.request('GET', '/api/streams/pipelines/demo')).json as { enabled: boolean; nodes: unknown[] };
    expect((await pair.a.request('PUT', '/api/streams/pipelines/demo', { enabled: demo.enabled, nodes: demo.nodes, processing_server_id: 'nas', description: 'polled change 42' })).status).toBe(200);
    await waitFor('B to pull the change by polling', async () => (await pulledVersion()) > before);
    expect(await readFile(join(pair.b.dataDir, 'peers', 'local.json'), 'utf8')).toContain('polled change 42');
    expect((await pair.a.request('PATCH', '/api/streams/settings', { peers: [{ id: 'nas', name: 'NAS', base_url: pair.b.base }] })).status).toBe(200);
  });

  it('B killed is reported host_unreachable at once, local playback unaffected; B back, playback resumes by itself', async () => {
    const local = await pair.a.request('POST', '/api/streams/transmissions', { name: 'Local', outputs: [{ id: 'main', engine_path: 'local/main' }] });
    expect(local.status).toBe(201);
    await pair.stopB();
    await waitFor('A to report the host unreachable', async () => (await healthOf(pair, 'a'))?.fallback_reason === 'host_unreachable');
    const down = transport(await planOf(pair), 'hls');
    expect(down).toMatchObject({ available: false, blocked_reason: 'host_unreachable' });
    expect(down.blocked_detail).toContain('nas');
    // Nothing waits on the dead peer: a known-down host fails at once with 503.
    const forwarded = await pair.a.request('POST', `/api/streams/transmissions/${TX}/demand/heartbeat`, { client: 'web' });
    expect(forwarded).toMatchObject({ status: 503, json: { error: { code: 'host_unreachable' } } });
    // A transmission A hosts itself plays on: nothing of it asks B.
    const localPlan = (await pair.a.request('GET', `/api/streams/transmissions/${(local.json as { id: string }).id}/playback-plan?client=web`)).json as Plan;
    expect(localPlan.transports.every((t) => t.blocked_reason !== 'host_unreachable')).toBe(true);
    expect(transport(localPlan, 'hls').available).toBe(true);

    await pair.startB();
    await pair.hlsSourceOnB('POST');
    await waitFor('A to see B again', async () => (await healthOf(pair, 'a'))?.fallback_reason === null);
    const back = await waitFor('HLS available again', async () => {
      const t = transport(await planOf(pair), 'hls');
      return t.available ? t : undefined;
    });
    await pair.a.request('POST', `/api/streams/transmissions/${TX}/demand/heartbeat`, { client: 'web' });
    await waitFor('the playlist through A again', async () => (await fetch(new URL(back.url!, pair.a.base))).status === 200);
  });

  it('stopping both leaves no child process of either', async () => {
    closed = true;
    await pair.close();
    expect([pair.a.streaming.supervisor.count(), pair.b.streaming.supervisor.count(), ffmpegChildren()]).toEqual([0, 0, 0]);
  });
});
