/**
 * Bare players in a Chromium page, the same code whichever URL they are given, so that a path
 * through the server and the engine's own path are timed alike: each returns the milliseconds from
 * the player's start (hls.js `loadSource`, the WebSocket's creation) to the first video frame the
 * page presents (`requestVideoFrameCallback`). The page is a document on the origin of the URL it will
 * play (`blankPageAt`), so no CORS or Origin rule differs between the two sides.
 */
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

/**
 * A page on `origin`: a blank document the browser answers itself, or, with `document`, that real
 * URL of the origin (any 200 answer, e.g. a JSON one). A WebSocket to 127.0.0.1 needs the latter:
 * Chromium's Local Network Access checks refuse it (ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS) from
 * a document that came from no address, while hls.js's requests pass.
 */
export async function blankPageAt(browser: Browser, origin: string, document?: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // tsx/esbuild (keepNames) wraps named functions in the code handed to page.evaluate with `__name(...)`.
  await page.addInitScript('globalThis.__name = (f) => f;');
  if (document !== undefined) {
    if (new URL(document).origin !== new URL(origin).origin) throw new Error(`${document} is not on ${origin}`);
    await page.goto(document);
    return { context, page };
  }
  const url = new URL('/__bench_blank.html', origin).toString();
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><html><body></body></html>' }));
  await page.goto(url);
  return { context, page };
}

/** hls.js (the project's dependency) with the options the web player uses for live streams. */
export async function hlsFirstFrameMs(page: Page, url: string, timeoutMs: number): Promise<number> {
  await page.addScriptTag({ path: HLS_JS });
  // Runs in the page: browser globals only.
  return page.evaluate(
    ({ url, timeoutMs }) =>
      new Promise<number>((resolve, reject) => {
        const w = globalThis as any;
        const video = w.document.createElement('video');
        video.muted = true;
        w.document.body.append(video);
        const t0 = performance.now();
        const hls = new w.Hls({ lowLatencyMode: true, liveDurationInfinity: true, backBufferLength: 10, maxLiveSyncPlaybackRate: 1.5 });
        setTimeout(() => reject(new Error(`hls.js: no frame within ${timeoutMs} ms`)), timeoutMs);
        hls.on(w.Hls.Events.ERROR, (_e: unknown, d: { fatal: boolean; details: string }) => d.fatal && reject(new Error(`hls.js: ${d.details}`)));
        video.requestVideoFrameCallback(() => resolve(performance.now() - t0));
        hls.loadSource(url);
        hls.attachMedia(video);
        video.play().catch(() => undefined);
      }),
    { url, timeoutMs },
  );
}

/** go2rtc's MSE WebSocket protocol (`{"type":"mse","value":<codecs>}`, then the MIME type, then fMP4), as the web player speaks it. */
export async function mseFirstFrameMs(page: Page, url: string, timeoutMs: number): Promise<number> {
  return page.evaluate(
    ({ url, timeoutMs }) =>
      new Promise<number>((resolve, reject) => {
        const w = globalThis as any;
        const video = w.document.createElement('video');
        video.muted = true;
        w.document.body.append(video);
        const t0 = performance.now();
        setTimeout(() => reject(new Error(`mse: no frame within ${timeoutMs} ms`)), timeoutMs);
        const ws = new w.WebSocket(url);
        ws.binaryType = 'arraybuffer';
        const queue: ArrayBuffer[] = [];
        let buffer: any = null;
        const pump = () => {
          if (buffer && !buffer.updating && queue.length) buffer.appendBuffer(queue.shift());
        };
        ws.onopen = () => ws.send(JSON.stringify({ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.4D4029,avc1.42E01E,mp4a.40.2' }));
        ws.onerror = () => reject(new Error(`mse: WebSocket error (${url.replace(/[?].*/, '')})`));
        ws.onclose = (ev: { code: number; reason: string }) => reject(new Error(`mse: WebSocket closed ${ev.code} ${ev.reason}`));
        ws.onmessage = (ev: { data: unknown }) => {
          if (typeof ev.data === 'string') {
            const msg = JSON.parse(ev.data) as { type: string; value: string };
            if (msg.type === 'error') return reject(new Error(`mse: ${msg.value}`));
            if (msg.type !== 'mse') return;
            const ms = new w.MediaSource();
            ms.addEventListener(
              'sourceopen',
              () => {
                buffer = ms.addSourceBuffer(msg.value);
                buffer.mode = 'segments';
                buffer.addEventListener('updateend', () => {
                  // Live: start at what arrived first, whatever its timestamp.
                  if (video.paused && buffer.buffered.length) {
                    video.currentTime = buffer.buffered.start(0);
                    video.play().catch(() => undefined);
                  }
                  pump();
                });
                pump();
              },
              { once: true },
            );
            video.src = w.URL.createObjectURL(ms);
            video.requestVideoFrameCallback(() => {
              resolve(performance.now() - t0);
              ws.close();
            });
            return;
          }
          queue.push(ev.data as ArrayBuffer);
          pump();
        };
      }),
    { url, timeoutMs },
  );
}

/**
 * A WebRTC receiver as the web player makes it (recvonly video and audio, no STUN/TURN, the offer sent
 * once ICE gathering ends, 2 s at most); `sendOffer` carries the offer SDP to the answering side (the
 * server's offer relay or the engine's WHEP) and returns the answer. The connection stays open on the
 * page (`webrtcFramesDecoded` reads it) until the page closes. Returns ms from creating the peer
 * connection to the first decoded frame.
 */
export async function webrtcFirstFrameMs(page: Page, sendOffer: (sdp: string) => Promise<{ ok: boolean; status: number; text: string }>, timeoutMs: number): Promise<number> {
  const offer = await page.evaluate(async () => {
    const w = globalThis as any;
    const pc = new w.RTCPeerConnection({ iceServers: [] });
    w.__rtc = { pc, t0: performance.now() };
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const video = w.document.createElement('video');
    video.muted = true;
    w.document.body.append(video);
    const stream = new w.MediaStream();
    pc.ontrack = (ev: { track: unknown }) => {
      stream.addTrack(ev.track);
      video.srcObject = stream;
      video.play().catch(() => undefined);
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      setTimeout(resolve, 2000);
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
    return pc.localDescription.sdp as string;
  });
  const answer = await sendOffer(offer);
  if (!answer.ok) throw new Error(`webrtc: offer answered ${answer.status} ${answer.text.slice(0, 200)}`);
  return page.evaluate(
    async ({ sdp, timeoutMs }) => {
      const w = globalThis as any;
      const { pc, t0 } = w.__rtc;
      await pc.setRemoteDescription({ type: 'answer', sdp });
      while (performance.now() - t0 < timeoutMs && pc.connectionState !== 'failed') {
        let frames = 0;
        (await pc.getStats()).forEach((s: { type: string; kind: string; framesDecoded?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded ?? 0;
        });
        if (frames > 0) return performance.now() - t0;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`webrtc: no frame decoded (peer connection ${pc.connectionState})`);
    },
    { sdp: answer.text, timeoutMs },
  );
}

/** Video frames the page's WebRTC receiver (`webrtcFirstFrameMs`) has decoded so far. */
export function webrtcFramesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let frames = 0;
    ((await (globalThis as any).__rtc.pc.getStats()) as { forEach(f: (s: { type: string; kind: string; framesDecoded?: number }) => void): void }).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded ?? 0;
    });
    return frames;
  });
}
