#!/usr/bin/env node
/**
 * Transport frame check: plays published streams over each browser transport the way the panel's
 * player does, and says whether frames arrived.
 *
 *   node scripts/check_stream_transport_frames.mjs --base-url http://127.0.0.1:8100 --matrix --transports hls,webrtc,mse,jsmpeg
 *
 * For each stream and transport: a demand heartbeat and the playback plan
 * (`GET api/streams/transmissions/{id}/playback-plan?client=web&context=...`, as
 * web/src/player/controller.ts asks it), then the plan's signed URL, played:
 * - jsmpeg: the WebSocket's MPEG-TS; a frame is a complete video PES;
 * - mse: the relay WebSocket with go2rtc's protocol (`{"type":"mse","value":<codecs>}`, the `mse`
 *   answer, the init segment, then moof+mdat); frames are the video samples of the fragments;
 * - hls: the playlist through the proxy, its rewritten URIs followed to the newest segment (and
 *   its init section); frames are the video PES (TS) or samples (fMP4) in it;
 * - webrtc: needs a browser's WebRTC stack: headless Chromium through playwright-core when both are
 *   installed (the add-on image has neither: "browser not available"); the SDP offer goes to the
 *   plan's offer route and frames are the inbound video's `framesDecoded`.
 * HLS, MSE and JSMpeg are read here in Node rather than in Chromium so that they can be checked
 * where no browser exists (inside the add-on). When ffprobe is installed, the bytes that arrived are
 * also decoded with it (`decoded`): frames that arrive but do not decode are a failure.
 *
 * A transport the plan blocks is reported with its `blocked_reason`, not as a failure. Exit code 1
 * when a transport the plan marks available shows no frames (or none that decodes), 2 for bad
 * arguments or a server that cannot be asked. Plain Node (ESM), production dependencies only (ws).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const TRANSPORTS = ['mse', 'hls', 'jsmpeg', 'webrtc'];
const CONTEXTS = ['grid', 'thumbnail', 'pip', 'large', 'fullscreen', 'ptz', 'diagnostics'];
const CLIENTS = ['web', 'ha_ingress'];
/** The H.264 codecs the player offers go2rtc where the browser decodes them (web/src/player/mse.ts). */
const MSE_CODECS = 'avc1.640029,avc1.64002A,avc1.640033';
/** Bytes kept per transport for ffprobe; a few seconds of any camera stream fit. */
const KEEP_BYTES = 32 * 1024 * 1024;
/** Chromium's flags in the browser tests (test/browser/browser.ts): headless, no network extras, autoplay; plus one for WebRTC. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  // The offer carries the machine's addresses instead of mDNS names an engine cannot resolve.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

const USAGE = `usage: node scripts/check_stream_transport_frames.mjs [options]
  --base-url <url>       the server (default http://127.0.0.1:8100)
  --matrix               every published stream x every transport (default: the first stream only)
  --transmission <id>    check this transmission only
  --transports <list>    comma-separated, of ${TRANSPORTS.join(',')} (default: all)
  --context <ctx>        the player context asked in the plan (default: large, and ptz for webrtc,
                         the only context whose plan offers it)
  --client <client>      web or ha_ingress (default web)
  --timeout-ms <n>       per stream and transport, first frame included (default 15000)
  --frames <n>           stop collecting once this many frames arrived (default 10; HLS reads one segment)
  --token <token>        the API token, for the direct port (Authorization: Bearer); the environment
                         variable TOPOSYNC_STREAMING_API_TOKEN keeps it out of the process list
  --no-decode            do not decode with ffprobe (found on PATH, or at TOPOSYNC_STREAMING_FFPROBE_PATH)
  --json                 one JSON line per check and a summary line`;

class UsageError extends Error {}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'base-url': { type: 'string', default: 'http://127.0.0.1:8100' },
      matrix: { type: 'boolean', default: false },
      transmission: { type: 'string' },
      transports: { type: 'string', default: TRANSPORTS.join(',') },
      context: { type: 'string' },
      client: { type: 'string', default: 'web' },
      'timeout-ms': { type: 'string', default: '15000' },
      frames: { type: 'string', default: '10' },
      token: { type: 'string' },
      'no-decode': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const transports = values.transports
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = transports.filter((t) => !TRANSPORTS.includes(t));
  if (transports.length === 0 || unknown.length > 0) throw new UsageError(`--transports: unknown transport ${unknown.join(',') || '(none given)'}; use ${TRANSPORTS.join(',')}`);
  if (values.context !== undefined && !CONTEXTS.includes(values.context)) throw new UsageError(`--context: must be one of ${CONTEXTS.join(', ')}`);
  if (!CLIENTS.includes(values.client)) throw new UsageError(`--client: must be one of ${CLIENTS.join(', ')}`);
  const positive = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: must be a positive integer`);
    return n;
  };
  let base;
  try {
    base = new URL(values['base-url'].endsWith('/') ? values['base-url'] : `${values['base-url']}/`);
  } catch {
    throw new UsageError('--base-url: not a URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError('--base-url: must be http:// or https://');
  return {
    help: values.help,
    base,
    matrix: values.matrix,
    transmission: values.transmission ?? null,
    transports: [...new Set(transports)],
    context: values.context ?? null,
    client: values.client,
    timeoutMs: positive('timeout-ms'),
    frames: positive('frames'),
    token: values.token ?? process.env.TOPOSYNC_STREAMING_API_TOKEN ?? null,
    decode: !values['no-decode'],
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------------
// Frame counters. Each is fed the bytes as they arrive and calls `onFrames(total)` when the count grows.

/**
 * MPEG-TS: a video frame is one PES packet on the video PID (FFmpeg and MediaMTX write one access
 * unit per PES); it is counted once complete, i.e. when the next one starts or at `end()`.
 */
export function createTsFrameCounter(onFrames = () => {}) {
  let rest = Buffer.alloc(0);
  /** Bytes pushed so far, and where (in them) the last complete frame ends. */
  let pushed = 0;
  let completeBytes = 0;
  let videoPid = null;
  let open = false;
  let frames = 0;
  const complete = (at) => {
    if (!open) return;
    frames++;
    completeBytes = at;
    onFrames(frames);
  };
  const packet = (p, at) => {
    const pid = ((p[1] & 0x1f) << 8) | p[2];
    if (!(p[1] & 0x40)) return;
    const control = (p[3] >> 4) & 3;
    if (!(control & 1)) return;
    const payload = control & 2 ? 5 + p[4] : 4;
    if (payload + 4 > 188) return;
    // A PES start with a video stream id (0xE0-0xEF); the first such PID is the video track.
    const video = p[payload] === 0 && p[payload + 1] === 0 && p[payload + 2] === 1 && (p[payload + 3] & 0xf0) === 0xe0;
    if (!video || (videoPid !== null && pid !== videoPid)) return;
    videoPid = pid;
    complete(at);
    open = true;
  };
  return {
    push(chunk) {
      const start = pushed - rest.length;
      pushed += chunk.length;
      const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      let i = 0;
      while (i + 188 <= buf.length) {
        if (buf[i] !== 0x47) {
          i++;
          continue;
        }
        packet(buf.subarray(i, i + 188), start + i);
        i += 188;
      }
      rest = Buffer.from(buf.subarray(i));
    },
    end() {
      complete(pushed);
      open = false;
    },
    get frames() {
      return frames;
    },
    get completeBytes() {
      return completeBytes;
    },
  };
}

function* boxes(buf, from, to) {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    }
    if (size < header || at + size > to) return;
    yield { type: buf.toString('latin1', at + 4, at + 8), payload: at + header, end: at + size };
    at += size;
  }
}
const child = (buf, box, type) => {
  for (const b of boxes(buf, box.payload, box.end)) if (b.type === type) return b;
  return null;
};

/**
 * Fragmented MP4 (MSE, fMP4 HLS): frames are the samples (`trun` sample counts) of the video track
 * (found in `moov`), counted when the fragment's `mdat` has arrived. `fragments` counts `moof`s.
 */
export function createMp4FrameCounter(onFrames = () => {}) {
  let rest = Buffer.alloc(0);
  let pushed = 0;
  let completeBytes = 0;
  let videoTracks = null;
  let pending = 0;
  let frames = 0;
  let fragments = 0;
  const top = (buf, box, start) => {
    if (box.type === 'moov') {
      videoTracks = new Set();
      for (const trak of boxes(buf, box.payload, box.end)) {
        if (trak.type !== 'trak') continue;
        const tkhd = child(buf, trak, 'tkhd');
        const hdlr = child(buf, child(buf, trak, 'mdia') ?? trak, 'hdlr');
        if (!tkhd || !hdlr || buf.toString('latin1', hdlr.payload + 8, hdlr.payload + 12) !== 'vide') continue;
        videoTracks.add(buf.readUInt32BE(tkhd.payload + (buf[tkhd.payload] === 1 ? 20 : 12)));
      }
    } else if (box.type === 'moof') {
      fragments++;
      for (const traf of boxes(buf, box.payload, box.end)) {
        if (traf.type !== 'traf') continue;
        const tfhd = child(buf, traf, 'tfhd');
        if (videoTracks !== null && (!tfhd || !videoTracks.has(buf.readUInt32BE(tfhd.payload + 4)))) continue;
        for (const trun of boxes(buf, traf.payload, traf.end)) if (trun.type === 'trun') pending += buf.readUInt32BE(trun.payload + 4);
      }
    } else if (box.type === 'mdat' && pending > 0) {
      frames += pending;
      pending = 0;
      completeBytes = start + box.end;
      onFrames(frames);
    }
  };
  return {
    push(chunk) {
      const start = pushed - rest.length;
      pushed += chunk.length;
      const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      let at = 0;
      for (const box of boxes(buf, 0, buf.length)) {
        top(buf, box, start);
        at = box.end;
      }
      rest = Buffer.from(buf.subarray(at));
    },
    end() {
      // A fragment is counted when its mdat arrives: nothing is left to flush.
    },
    get frames() {
      return frames;
    },
    get fragments() {
      return fragments;
    },
    get completeBytes() {
      return completeBytes;
    },
  };
}

/** Keeps what arrived (the first KEEP_BYTES) for ffprobe. */
function keeper() {
  const chunks = [];
  let size = 0;
  return {
    add(chunk) {
      if (size >= KEEP_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    },
    bytes: () => Buffer.concat(chunks),
  };
}

// ---------------------------------------------------------------------------------------------
// ffprobe: decodes what arrived; null when ffprobe is not installed.

let ffprobeMissing = false;

/** Video frames ffprobe decodes from `bytes`, `{decoded, error}`; null without ffprobe. */
export function decodeCount(bytes, ffprobe = process.env.TOPOSYNC_STREAMING_FFPROBE_PATH ?? 'ffprobe') {
  if (ffprobeMissing) return Promise.resolve(null);
  return new Promise((resolve) => {
    const p = spawn(ffprobe, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'default=nw=1:nk=1', '-i', 'pipe:0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.stdin.on('error', () => {});
    p.on('error', (e) => {
      if (e.code === 'ENOENT') {
        ffprobeMissing = true;
        resolve(null);
      } else resolve({ decoded: 0, error: `ffprobe: ${e.message}` });
    });
    p.on('close', () => {
      const n = Number.parseInt(out.trim(), 10);
      const last = err.trim().split('\n').pop() ?? '';
      resolve({ decoded: Number.isFinite(n) ? n : 0, error: last ? `ffprobe: ${last.slice(0, 200)}` : null });
    });
    p.stdin.end(bytes);
  });
}

// ---------------------------------------------------------------------------------------------
// The server's API, the way the player reaches it.

function client(opts) {
  const auth = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  /** API paths are relative to the base URL (it may carry an ingress prefix); media URLs from the plan are root-relative. */
  const apiUrl = (path) => new URL(path, opts.base);
  const mediaUrl = (rootRelative) => new URL(rootRelative, opts.base.origin);
  async function api(method, path, body) {
    const res = await fetch(apiUrl(path), {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the message below quotes the text
    }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json?.error?.message ?? text.slice(0, 200)}`);
    return json;
  }
  return { auth, mediaUrl, api };
}

/** Every published stream: each variant of each live view (what the panel's grid offers), once per transmission. */
async function listStreams(http) {
  const views = await http.api('GET', 'api/streams/live-views');
  const seen = new Set();
  const out = [];
  for (const view of views) {
    for (const v of view.variants) {
      if (seen.has(v.transmission_id)) continue;
      seen.add(v.transmission_id);
      out.push({ id: v.transmission_id, name: view.variants.length > 1 ? `${view.name} / ${v.label || v.role}` : view.name });
    }
  }
  return out;
}

/** Heartbeat kinds as the player sends them (web/src/player/controller.ts). */
const heartbeatClient = (context) => (context === 'pip' ? 'pip' : context === 'ptz' ? 'ptz' : 'web');

// ---------------------------------------------------------------------------------------------
// Transports. Each resolves `{frames, firstFrameMs (from its own start), error, bytes?, fragments?, decoded?}`,
// or `{skipped}` when it cannot be checked here.

function playWebSocket(url, headers, opts, makeCounter, onOpen) {
  const t0 = performance.now();
  const kept = keeper();
  let firstFrameMs = null;
  let error = null;
  let timedOut = false;
  /** How far it got, for the failure message. */
  let stage = 'still connecting';
  let received = 0;
  let finish;
  const done = new Promise((resolve) => (finish = resolve));
  const counter = makeCounter((n) => {
    firstFrameMs ??= Math.round(performance.now() - t0);
    if (n >= opts.frames) finish();
  });
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const timer = setTimeout(() => {
    timedOut = true;
    finish();
  }, opts.timeoutMs);
  ws.on('open', () => {
    stage = 'connected, nothing received';
    onOpen?.(ws);
  });
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      error = `upgrade refused: ${res.statusCode} ${safeMessage(body)}`;
      finish();
    });
  });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const msg = safeJson(String(data));
      if (msg?.type === 'error') {
        error = `server said: ${msg.value}`;
        finish();
      } else if (msg?.type === 'mse') stage = `answered ${msg.value}, no media`;
      return;
    }
    received += data.length;
    stage = `${received} bytes received`;
    kept.add(data);
    counter.push(data);
  });
  ws.on('error', (e) => {
    error ??= `socket error: ${e.message}`;
    finish();
  });
  ws.on('close', (code, reason) => {
    error ??= `socket closed ${code}${reason.length ? `: ${reason}` : ''}`;
    finish();
  });
  openSockets.add(ws);
  return done.then(() => {
    clearTimeout(timer);
    openSockets.delete(ws);
    ws.removeAllListeners();
    ws.on('error', () => {});
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    return {
      frames: counter.frames,
      fragments: counter.fragments,
      firstFrameMs,
      error: counter.frames > 0 ? null : (error ?? (timedOut ? `no frames within ${opts.timeoutMs} ms (${stage})` : `no frames (${stage})`)),
      // ffprobe gets the complete frames only: a frame cut off by the end of the check is not counted either.
      bytes: kept.bytes().subarray(0, counter.completeBytes),
    };
  });
}

/** Sockets open now, closed when the check is interrupted. */
const openSockets = new Set();

const safeJson = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
const safeMessage = (body) => {
  const j = safeJson(body);
  return (j?.error?.message ?? body).slice(0, 200);
};
const wsUrl = (url) => url.href.replace(/^http/, 'ws');

function playJsmpeg(url, http, opts) {
  return playWebSocket(wsUrl(url), http.auth, opts, createTsFrameCounter);
}

function playMse(url, http, opts) {
  return playWebSocket(wsUrl(url), http.auth, opts, createMp4FrameCounter, (ws) => ws.send(JSON.stringify({ type: 'mse', value: MSE_CODECS })));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Playlist URIs and tags of an HLS playlist. */
function readPlaylist(text, url) {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const variants = [];
  const segments = [];
  let map = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('#EXT-X-STREAM-INF')) {
      const next = lines.slice(i + 1).find((l) => l && !l.startsWith('#'));
      if (next) variants.push(new URL(next, url));
    } else if (line.startsWith('#EXT-X-MAP')) {
      const m = /URI="([^"]+)"/.exec(line);
      if (m) map = new URL(m[1], url);
    } else if (line && !line.startsWith('#') && !lines[i - 1]?.startsWith('#EXT-X-STREAM-INF')) {
      segments.push(new URL(line, url));
    }
  }
  return { variants, segments, map };
}

async function playHls(url, http, opts) {
  const t0 = performance.now();
  const deadline = t0 + opts.timeoutMs;
  const get = async (u) => {
    const res = await fetch(u, { headers: http.auth, signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))) });
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw Object.assign(new Error(`${u.pathname.split('/').pop()} answered ${res.status} ${safeMessage(body.toString('utf8'))}`), { status: res.status });
    return body;
  };
  let error = 'no frames';
  // Until the engine has a segment the playlist may answer 404 (no stream yet) or time out: ask again, as hls.js does.
  while (performance.now() < deadline) {
    try {
      let playlistUrl = url;
      let list = readPlaylist((await get(playlistUrl)).toString('utf8'), playlistUrl);
      if (list.variants.length > 0) {
        playlistUrl = list.variants[0];
        list = readPlaylist((await get(playlistUrl)).toString('utf8'), playlistUrl);
      }
      const segment = list.segments.at(-1);
      if (!segment) {
        error = 'the playlist lists no segment';
        await sleep(250);
        continue;
      }
      const init = list.map ? await get(list.map) : null;
      const data = await get(segment);
      const bytes = init ? Buffer.concat([init, data]) : data;
      let firstFrameMs = null;
      const counter = (bytes[0] === 0x47 ? createTsFrameCounter : createMp4FrameCounter)(() => (firstFrameMs ??= Math.round(performance.now() - t0)));
      counter.push(bytes);
      counter.end();
      if (counter.frames > 0) return { frames: counter.frames, firstFrameMs, error: null, bytes };
      error = `segment ${segment.pathname.split('/').pop()} (${data.length} bytes) holds no video frame`;
    } catch (e) {
      error = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : e.message;
    }
    await sleep(250);
  }
  return { frames: 0, firstFrameMs: null, error };
}

// WebRTC: Chromium, loaded once and only when a plan offers WebRTC.
let browserPromise = null;

/** Chromium through playwright-core, or why there is none: `{browser, reason}`. */
export async function launchBrowser() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { browser: null, reason: 'browser not available: playwright-core is not installed' };
  }
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return { browser: null, reason: `browser not available: no Chromium at ${executablePath} (set CHROMIUM_PATH)` };
  try {
    return { browser: await chromium.launch({ executablePath, args: CHROMIUM_ARGS }), reason: null };
  } catch (e) {
    return { browser: null, reason: `browser not available: ${e.message.split('\n')[0]}` };
  }
}

async function playWebrtc(url, http, opts) {
  browserPromise ??= launchBrowser();
  const { browser, reason } = await browserPromise;
  if (!browser) return { skipped: reason };
  return webrtcFrames(
    browser,
    async (offer) => {
      const res = await fetch(url, { method: 'POST', headers: { ...http.auth, 'content-type': 'application/sdp' }, body: offer, signal: AbortSignal.timeout(opts.timeoutMs) });
      return { ok: res.ok, status: res.status, text: await res.text() };
    },
    opts,
  );
}

/**
 * Frames a WebRTC receiver in `browser` decodes: `sendOffer(sdp)` carries the page's offer to the
 * answering side and returns `{ok, status, text}` with the answer SDP (the plan's offer route here).
 */
export async function webrtcFrames(browser, sendOffer, opts) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    // As web/src/player/webrtc.ts: recvonly video+audio, no STUN/TURN, the offer sent once ICE gathering ends (2 s at most).
    // These functions run in the page: browser globals only (a name this module imports would not exist there).
    const offer = await page.evaluate(async () => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      window.__check = { pc, t0: performance.now() };
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const stream = new MediaStream();
      pc.ontrack = (ev) => {
        stream.addTrack(ev.track);
        video.srcObject = stream;
        video.play().catch(() => undefined);
      };
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        setTimeout(resolve, 2000);
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      });
      return pc.localDescription.sdp;
    });
    const res = await sendOffer(offer);
    if (!res.ok) return { frames: 0, firstFrameMs: null, error: `offer answered ${res.status} ${safeMessage(res.text)}` };
    const result = await page.evaluate(
      async ({ sdp, target, timeoutMs }) => {
        const { pc, t0 } = window.__check;
        await pc.setRemoteDescription({ type: 'answer', sdp });
        let firstFrameMs = null;
        let frames = 0;
        while (performance.now() - t0 < timeoutMs && frames < target && pc.connectionState !== 'failed') {
          const stats = await pc.getStats();
          stats.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded ?? 0;
          });
          if (frames > 0 && firstFrameMs === null) firstFrameMs = Math.round(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 50));
        }
        const state = pc.connectionState;
        pc.close();
        return { frames, firstFrameMs, state };
      },
      { sdp: res.text, target: opts.frames, timeoutMs: opts.timeoutMs },
    );
    return {
      frames: result.frames,
      decoded: result.frames,
      firstFrameMs: result.firstFrameMs,
      error: result.frames > 0 ? null : `no frames decoded (peer connection ${result.state})`,
    };
  } finally {
    await context.close();
  }
}

const PLAYERS = { jsmpeg: playJsmpeg, mse: playMse, hls: playHls, webrtc: playWebrtc };

// ---------------------------------------------------------------------------------------------

async function checkOne(http, stream, transport, opts) {
  const context = opts.context ?? (transport === 'webrtc' ? 'ptz' : 'large');
  const base = { transmission_id: stream.id, stream: stream.name, transport, context, output_id: null, available: false, frames: 0, decoded: null, first_frame_ms: null };
  try {
    const sessionId = `check-${randomBytes(6).toString('hex')}`;
    // Demand first, as the player does: publishers and the demo writer start while the plan is computed.
    await http.api('POST', `api/streams/transmissions/${encodeURIComponent(stream.id)}/demand/heartbeat`, { client: heartbeatClient(context), session_id: sessionId });
    const plan = await http.api('GET', `api/streams/transmissions/${encodeURIComponent(stream.id)}/playback-plan?client=${opts.client}&context=${context}`);
    const entry = plan.transports.find((t) => t.transport === transport);
    if (!entry) return { ...base, status: 'failed', reason: `the plan does not list ${transport}` };
    if (!entry.available || !entry.url) return { ...base, output_id: entry.output_id, status: 'blocked', reason: entry.blocked_reason ?? 'not available' };
    const r = await PLAYERS[transport](http.mediaUrl(entry.url), http, opts);
    const played = { ...base, output_id: entry.output_id, available: true };
    if (r.skipped) return { ...played, status: 'skipped', reason: r.skipped };
    let decoded = r.decoded ?? null;
    let error = r.error;
    if (r.frames > 0 && r.bytes && opts.decode) {
      const probe = await decodeCount(r.bytes);
      if (probe) {
        decoded = probe.decoded;
        if (decoded === 0) error = `${r.frames} frames arrived but none decodes${probe.error ? ` (${probe.error})` : ''}`;
      }
    }
    const ok = r.frames > 0 && decoded !== 0;
    return {
      ...played,
      frames: r.frames,
      decoded,
      ...(r.fragments !== undefined ? { fragments: r.fragments } : {}),
      first_frame_ms: r.firstFrameMs,
      status: ok ? 'played' : 'failed',
      reason: ok ? null : error,
    };
  } catch (e) {
    return { ...base, status: 'failed', reason: e.message };
  }
}

function describe(r) {
  const head = `${r.stream} [${r.transmission_id}] ${r.transport.padEnd(6)} ${r.status.padEnd(7)}`;
  if (r.status === 'blocked') return `${head} ${r.reason} (context ${r.context})`;
  if (r.status === 'skipped') return `${head} ${r.reason}`;
  const frames = `${r.frames} frames${r.decoded !== null && r.transport !== 'webrtc' ? ` (${r.decoded} decoded)` : ''}`;
  const first = r.first_frame_ms !== null ? `, first frame ${r.first_frame_ms} ms` : '';
  return `${head} ${frames}${first}${r.reason ? `: ${r.reason}` : ''}`;
}

export async function main(argv = process.argv.slice(2), out = process.stdout, err = process.stderr) {
  let opts;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    err.write(`${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    out.write(`${USAGE}\n`);
    return 0;
  }
  const http = client(opts);
  let streams;
  try {
    streams = await listStreams(http);
  } catch (e) {
    err.write(`cannot list the streams at ${opts.base.href}: ${e.cause?.message ?? e.message}\n`);
    return 2;
  }
  if (opts.transmission !== null) {
    const listed = streams.find((s) => s.id === opts.transmission);
    // Not in a live view (a manual transmission): its own name; an unknown id fails at its plan.
    const own = listed ? null : await http.api('GET', `api/streams/transmissions/${encodeURIComponent(opts.transmission)}`).catch(() => null);
    streams = [listed ?? { id: opts.transmission, name: own?.name ?? opts.transmission }];
  } else if (!opts.matrix) streams = streams.slice(0, 1);
  if (streams.length === 0) {
    err.write('no published stream to check (GET api/streams/live-views is empty)\n');
    return 1;
  }

  const results = [];
  try {
    for (const stream of streams) {
      for (const transport of opts.transports) {
        const r = await checkOne(http, stream, transport, opts);
        results.push(r);
        out.write(`${opts.json ? JSON.stringify(r) : describe(r)}\n`);
      }
    }
  } finally {
    if (browserPromise) await (await browserPromise).browser?.close();
  }
  const count = (status) => results.filter((r) => r.status === status).length;
  const failed = results.filter((r) => r.status === 'failed');
  const code = failed.length > 0 ? 1 : 0;
  const summary = {
    summary: true,
    streams: streams.length,
    checks: results.length,
    played: count('played'),
    blocked: count('blocked'),
    skipped: count('skipped'),
    failed: failed.length,
    exit_code: code,
  };
  if (opts.json) out.write(`${JSON.stringify(summary)}\n`);
  else {
    out.write(`\n${streams.length} stream(s), ${results.length} checks: ${summary.played} played, ${summary.blocked} blocked by the plan, ${summary.skipped} skipped, ${summary.failed} failed\n`);
    for (const r of failed) out.write(`FAILED ${r.stream} ${r.transport}: ${r.reason}\n`);
  }
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.on('SIGINT', () => {
    for (const ws of openSockets) ws.terminate();
    process.exit(130);
  });
  main().then((code) => {
    process.exitCode = code;
  });
}
