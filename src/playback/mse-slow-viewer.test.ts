/**
 * A slow MSE viewer (issue 11, 4i): go2rtc drops packets for a consumer that does not keep up (a
 * 64-packet buffer, then drops, no waiting for a keyframe), so a relay that stops reading go2rtc's
 * socket gets a stream with holes and the browser shows a broken picture until the next keyframe.
 * Through the relay, a viewer that reads in bursts must only ever get whole GOPs after a gap: every
 * fragment after a hole in decode time is a keyframe, and FFmpeg decodes the whole recording
 * without an error.
 *
 * go2rtc reads a GStreamer camera directly (its RTSP source is the camera's port and mount, as it
 * would be MediaMTX's): the real go2rtc with TOPOSYNC_STREAMING_GO2RTC_PATH, else the double.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect as connectNet, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamingSettingsSchema } from '../domain/settings.js';
import { createLogger } from '../shared/logger.js';
import { createSupervisor } from '../process/supervisor.js';
import { createGo2rtcManager, type Go2rtcManager } from '../sidecar/manager.js';
import { ENGINE_BINS, engineTarget, REAL_ENGINES } from '../../test/engines.js';
import { stopAllMediaProcesses } from '../../test/media/proc.js';
import { freePort } from '../../test/support/ports.js';
import { waitFor } from '../../test/support/wait.js';
import { startRtspCamera, type RtspCamera } from '../../test/media/rtsp-camera.js';
import { fragmentKind, parseInit } from './fmp4.js';
import { mseUpgradeRoute } from '../api/ws/media.js';
import { createUpgradeRouter } from '../api/ws/router.js';
import { createMseRelay } from './mse-relay.js';
import type { MseRelay } from './mse-relay-types.js';
import { createMediaTokens, type MediaScope } from './tokens.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';

const run = promisify(execFile);
const tokens = createMediaTokens({ key: randomBytes(32) });
const SCOPE: MediaScope = { transmission_id: 'tx-slow', output_id: 'main', path: 'cam/slow/main', transport: 'mse' };

let camera: RtspCamera;
let sidecar: Go2rtcManager;
let relay: MseRelay;
let server: Server;
let dataDir: string;
const supervisor = createSupervisor({ logger: createLogger('silent') });

beforeAll(async () => {
  dataDir = await makeDataDir('mse-slow');
  // Busy pictures at a high bitrate: the viewer falls behind within a second of not reading.
  camera = await startRtspCamera({ path: `/${SCOPE.path}`, pattern: 'snow', width: 640, height: 360, fps: 25, gop: 25, bitrateKbps: 12000 });
  const logger = createLogger('silent');
  const settings = v.parse(streamingSettingsSchema, {});
  sidecar = createGo2rtcManager({
    supervisor,
    logger,
    dataDir,
    settings: () => settings,
    rtspPort: () => camera.port,
    logLevel: 'info',
    go2rtcPath: ENGINE_BINS.go2rtc,
    bundledPaths: [],
    apiPort: await freePort(),
  });
  await sidecar.syncStreams([SCOPE.path]);
  expect((await sidecar.start()).state).toBe('running');
  // The double makes its own pictures (it never dials the camera): as heavy as the camera's.
  if (!REAL_ENGINES.go2rtc) await fetch(`${sidecar.status().api_url}/_double/media`, { method: 'POST', body: JSON.stringify({ lossless: true, width: 640, height: 360, fps: 25, gop: 25 }) });
  relay = createMseRelay({
    sidecar,
    logger,
    lookup: (p) => (p === SCOPE.path ? SCOPE : null),
    highWaterBytes: 256 * 1024,
    lowWaterBytes: 64 * 1024,
    maxBufferedBytes: 8 * 1024 * 1024,
    stallTimeoutMs: 60_000,
  });
  server = createServer((_req, res) => res.writeHead(404).end());
  const router = createUpgradeRouter({ routes: [mseUpgradeRoute({ relay, tokens })], logger });
  server.on('upgrade', (req, socket, head) => {
    if (!router.handle(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
}, 60_000);

afterAll(async () => {
  await relay?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await sidecar?.stop();
  await supervisor.stopAll();
  await camera?.stop();
  await stopAllMediaProcesses();
  await removeDataDir(dataDir);
});

/** Track, decode time and duration of a single-sample fragment (go2rtc writes one sample per fragment). */
function timing(fragment: Buffer): { track: number; dts: number; duration: number } | null {
  const tfhd = fragment.indexOf('tfhd', 0, 'latin1');
  const tfdt = fragment.indexOf('tfdt', 0, 'latin1');
  const trun = fragment.indexOf('trun', 0, 'latin1');
  if (tfhd < 0 || tfdt < 0 || trun < 0) return null;
  const track = fragment.readUInt32BE(tfhd + 8);
  const version = fragment.readUInt8(tfdt + 4);
  const dts = version === 1 ? Number(fragment.readBigUInt64BE(tfdt + 8)) : fragment.readUInt32BE(tfdt + 8);
  // Per-sample duration in trun (FFmpeg), else tfhd's default (go2rtc).
  const flags = fragment.readUInt32BE(trun + 4) & 0xffffff;
  let at = trun + 12;
  if (flags & 0x1) at += 4;
  if (flags & 0x4) at += 4;
  if (flags & 0x100) return { track, dts, duration: fragment.readUInt32BE(at) };
  const tfFlags = fragment.readUInt32BE(tfhd + 4) & 0xffffff;
  let p = tfhd + 12;
  if (tfFlags & 0x1) p += 8;
  if (tfFlags & 0x2) p += 4;
  return tfFlags & 0x8 ? { track, dts, duration: fragment.readUInt32BE(p) } : null;
}

/**
 * A viewer that reads at most `bytesPerTick` every `tickMs` from a raw socket (a browser on a slow
 * link): unlike `ws`, whose client drains the kernel's buffers at loopback speed whenever it
 * reads, this one keeps the relay's socket full. Returns the WebSocket messages it read in full.
 */
async function slowViewer(url: URL, request: string, phases: { ms: number; bytesPerTick: number }[], tickMs: number): Promise<{ texts: string[]; binaries: Buffer[]; close: number | null }> {
  const sock = connectNet(Number(url.port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  sock.on('error', () => {});
  sock.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const mask = randomBytes(4);
  const payload = Buffer.from(request);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
  let got = Buffer.alloc(0);
  for (const phase of phases) {
    const until = Date.now() + phase.ms;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, tickMs));
      if (phase.bytesPerTick === 0) continue;
      // Infinity: as fast as the link allows (the viewer catches up with what was queued for it).
      const want = Number.isFinite(phase.bytesPerTick) ? Math.min(phase.bytesPerTick, sock.readableLength || phase.bytesPerTick) : undefined;
      for (let chunk = sock.read(want) as Buffer | null; chunk; chunk = want === undefined ? (sock.read() as Buffer | null) : null) got = Buffer.concat([got, chunk]);
    }
  }
  sock.destroy();
  const head = got.indexOf('\r\n\r\n');
  expect(got.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
  const texts: string[] = [];
  const binaries: Buffer[] = [];
  let close: number | null = null;
  let at = head + 4;
  for (;;) {
    if (got.length - at < 2) break;
    const opcode = got[at]! & 0x0f;
    let len = got[at + 1]! & 0x7f;
    let hdr = 2;
    if (len === 126) {
      if (got.length - at < 4) break;
      len = got.readUInt16BE(at + 2);
      hdr = 4;
    } else if (len === 127) {
      if (got.length - at < 10) break;
      len = Number(got.readBigUInt64BE(at + 2));
      hdr = 10;
    }
    if (got.length - at < hdr + len) break;
    const data = got.subarray(at + hdr, at + hdr + len);
    if (opcode === 1) texts.push(data.toString());
    else if (opcode === 2) binaries.push(Buffer.from(data));
    else if (opcode === 8) close = data.length >= 2 ? data.readUInt16BE(0) : 1005;
    at += hdr + len;
  }
  return { texts, binaries, close };
}

describe(`a slow MSE viewer (${engineTarget('go2rtc')})`, () => {
  it('reads slower than the stream, then not at all for a while: never closed, after every gap the next fragment is a keyframe, and the recording decodes without an error', async () => {
    const url = new URL(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/streams/media/mse/${SCOPE.path}/ws?media_token=${encodeURIComponent(tokens.issue(SCOPE))}`);
    // A fraction of the camera's rate for 5 s (the relay's queue fills), no reading at all for 20 s
    // (a tab in the background; longer than the kernel's socket buffers between go2rtc and the
    // relay hold at this rate, so a relay that stops reading makes go2rtc's writes block), then
    // everything for 8 s, so what followed the falling behind is in the recording.
    const { texts, binaries, close } = await slowViewer(
      url,
      JSON.stringify({ type: 'mse', value: 'avc1.640029' }),
      [
        { ms: 5_000, bytesPerTick: 16 * 1024 },
        { ms: 20_000, bytesPerTick: 0 },
        { ms: 8_000, bytesPerTick: Infinity },
      ],
      50,
    );
    expect({ close, texts: texts.map((t) => JSON.parse(t).type) }).toEqual({ close: null, texts: ['mse'] });
    const [init, ...fragments] = binaries as [Buffer, ...Buffer[]];
    const info = parseInit(init);
    expect(info).not.toBeNull();
    expect(fragments.length).toBeGreaterThan(25);
    // A gap: a step in decode time well over the usual frame interval (the relay dropped
    // fragments, or go2rtc dropped packets and the next sample's duration spans them).
    const times = fragments.map(timing).filter((t) => t !== null);
    const steps = times.slice(1).map((t, i) => t.dts - (times[i] as { dts: number }).dts);
    const usual = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]!;
    const afterGap: string[] = [];
    for (let i = 1; i < fragments.length; i++) {
      const [a, b] = [timing(fragments[i - 1]!), timing(fragments[i]!)];
      if (a && b && b.dts - a.dts > 2 * usual) afterGap.push(fragmentKind(fragments[i]!, info!));
    }
    // The viewer is live again after catching up: the fragments it got span most of the 33 s
    // (a relay that stops reading go2rtc's socket freezes it: go2rtc's write times out and it
    // never writes to that socket again).
    const mdhd = init.indexOf('mdhd', 0, 'latin1');
    const timescale = init.readUInt32BE(mdhd + (init.readUInt8(mdhd + 4) === 1 ? 24 : 16));
    const spanS = ((times.at(-1)?.dts ?? 0) - (times[0]?.dts ?? 0)) / timescale;
    console.info(JSON.stringify({ target: engineTarget('go2rtc'), fragments: fragments.length, gaps: afterGap.length, span_s: spanS }));
    expect(spanS).toBeGreaterThan(25);
    await waitFor('the relay closed the viewer', () => relay.stats().recently_closed.length === 1);
    expect(relay.stats().recently_closed[0]?.skips).toBeGreaterThanOrEqual(1); // it really fell behind
    const dir = await makeDataDir('mse-slow-media');
    try {
      const file = join(dir, 'got.mp4');
      await writeFile(file, Buffer.concat([init, ...fragments]));
      const { stderr } = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-f', 'null', '-']);
      expect(stderr.trim().split('\n').filter(Boolean).slice(0, 5)).toEqual([]);
    } finally {
      await removeDataDir(dir);
    }
    expect(afterGap.filter((k) => k !== 'key')).toEqual([]);
  }, 90_000);
});
