/**
 * The player's decisions for iPhones (iOS 17.1 and later: ManagedMediaSource, no MediaSource) in
 * Debian's Chromium, which has no ManagedMediaSource and no H.265. Before the page loads, a stand-in
 * replaces MediaSource: a `ManagedMediaSource` class over Chromium's own MediaSource that records
 * what the player does with it, so the bytes still flow and the picture is real H.264 (nothing here
 * pretends to play H.265). Against the real server with the MediaMTX double (HLS by real FFmpeg)
 * and the go2rtc double (MSE fMP4 by real FFmpeg), under an ingress prefix, the demo stream.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOUBLE_BIN as GO2RTC_DOUBLE } from '../doubles/go2rtc/release.js';
import { MEDIAMTX_DOUBLE } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';
import { openPage } from './browser.js';
import { sampleVideo, startRig, type Rig } from './rig.js';

const DEMO_PATH = 'pipe/demo/video';

interface Recorded {
  plans: string[];
  sent: string[];
  constructed: number;
  isTypeSupported: string[];
  addSourceBuffer: string[];
  srcObjectTries: { disableRemotePlayback: boolean }[];
  objectUrls: string[];
}

/** Records plan requests and the text the page sends over WebSockets; with `audio`, every plan transport says its output carries that codec. */
const recorder = (audio: string | null = null) => `(() => {
  const rec = (window.__rec = { plans: [], sent: [], constructed: 0, isTypeSupported: [], addSourceBuffer: [], srcObjectTries: [], objectUrls: [] });
  const fetch0 = window.fetch;
  window.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const res = await fetch0(input, init);
    if (!url.includes('/playback-plan')) return res;
    rec.plans.push(url);
    const audio = ${JSON.stringify(audio)};
    if (audio === null || !res.ok) return res;
    const plan = await res.json();
    for (const t of plan.transports) t.audio_codec = audio;
    return new Response(JSON.stringify(plan), { status: res.status, headers: res.headers });
  };
  const send0 = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string') rec.sent.push(data);
    return send0.call(this, data);
  };
})();`;

/** iPhone-like: no MediaSource; a ManagedMediaSource over Chromium's MediaSource, recording its use. */
const STAND_IN = `(() => {
  const rec = window.__rec;
  const Real = window.MediaSource;
  class ManagedMediaSource extends Real {
    constructor() {
      super();
      rec.constructed++;
      window.__mmsLast = this;
    }
    static isTypeSupported(type) {
      rec.isTypeSupported.push(type);
      return Real.isTypeSupported(type);
    }
    addSourceBuffer(type) {
      rec.addSourceBuffer.push(type);
      return super.addSourceBuffer(type);
    }
  }
  delete window.MediaSource;
  window.ManagedMediaSource = ManagedMediaSource;
  const srcObject = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'srcObject');
  Object.defineProperty(HTMLMediaElement.prototype, 'srcObject', {
    configurable: true,
    get() { return srcObject.get.call(this); },
    set(v) {
      if (v instanceof ManagedMediaSource) rec.srcObjectTries.push({ disableRemotePlayback: this.disableRemotePlayback });
      srcObject.set.call(this, v);
    },
  });
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (o) => {
    const url = createObjectURL(o);
    if (o instanceof ManagedMediaSource) rec.objectUrls.push(url);
    return url;
  };
})();`;

const record = (page: Page) => page.evaluate(() => (globalThis as unknown as { __rec: Recorded }).__rec);
const playing = (page: Page, transport: string) => page.waitForSelector(`[data-player][data-state="playing"][data-transport="${transport}"]`, { timeout: 30_000 });
const shownVideo = (page: Page) =>
  page.$eval('[data-player] video[data-visible="true"]', (v) => {
    const video = v as unknown as { src: string; muted: boolean; disableRemotePlayback: boolean };
    return { src: video.src, muted: video.muted, disableRemotePlayback: video.disableRemotePlayback };
  });
const go2rtcRequests = (sent: string[]) => sent.map((s) => JSON.parse(s) as { type: string; value: unknown }).filter((m) => m.type === 'mse');

describe('ManagedMediaSource and what the browser decodes (Chromium, stand-in ManagedMediaSource)', () => {
  let rig: Rig;
  /** What this Chromium's MediaSource says it decodes, in the plan's spelling. */
  let decodes: string;

  beforeAll(async () => {
    rig = await startRig({ mediamtxPath: MEDIAMTX_DOUBLE, go2rtcPath: GO2RTC_DOUBLE, demo: true }, { mse: { enabled: true } });
    expect((await rig.server.streaming.sidecar.start()).state).toBe('running');
    const doubleApi = `http://127.0.0.1:${rig.server.streaming.store.get().streaming.engine.api_port}`;
    const hls = await fetch(`${doubleApi}/_double/paths/${DEMO_PATH}/hls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'testsrc', size: '640x360', fps: 10 }),
    });
    expect(hls.status).toBeLessThan(300);
    const { sidecar } = rig.server.streaming;
    await waitFor("go2rtc has the plan's streams", () => sidecar.status().streams.configured > 0 && !sidecar.status().streams.restart_pending);

    const { page } = await openPage(rig.browser, 'about:blank');
    decodes = await page.evaluate(() => {
      const ok = (mime: string) => (globalThis as unknown as { MediaSource: { isTypeSupported(m: string): boolean } }).MediaSource.isTypeSupported(mime);
      return [
        ok('video/mp4; codecs="avc1.640029"') || ok('video/mp4; codecs="avc1.42E01E"') ? 'h264' : null,
        ok('video/mp4; codecs="hvc1.1.6.L153.B0"') || ok('video/mp4; codecs="hev1.1.6.L153.B0"') ? 'h265' : null,
        ok('audio/mp4; codecs="mp4a.40.2"') ? 'aac' : null,
        ok('audio/mp4; codecs="opus"') ? 'opus' : null,
      ]
        .filter(Boolean)
        .join(',');
    });
    await page.context().close();
    // The premise of this file: this Chromium decodes H.264 and not H.265.
    expect(decodes).toMatch(/^h264(,|$)/);
    expect(decodes).not.toContain('h265');
  });
  afterAll(() => rig?.close());

  it('with the real MediaSource, the plan is asked with decodes= (H.264, no H.265) and MSE attaches by object URL, video only', async () => {
    const { page, errors } = await openPage(rig.browser, `${rig.ingress.url}?transport=mse`, recorder());
    await playing(page, 'mse');
    expect((await sampleVideo(page)).timeAdvanced).toBeGreaterThan(0);
    const rec = await record(page);
    expect(rec.plans.length).toBeGreaterThan(0);
    for (const url of rec.plans) expect(new URL(url, rig.ingress.url).searchParams.get('decodes')).toBe(decodes);
    expect(go2rtcRequests(rec.sent)).toEqual([{ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.640033' }]);
    const video = await shownVideo(page);
    expect(video.src).toMatch(/^blob:/);
    expect(video.disableRemotePlayback).toBe(false);
    expect(video.muted).toBe(true);
    expect(await page.$('button[data-sound]')).toBeNull();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('with only a ManagedMediaSource, MSE takes it: remote playback off, srcObject tried, object URL, codecs asked of it, and it plays through endstreaming', async () => {
    const { page, errors } = await openPage(rig.browser, `${rig.ingress.url}?transport=mse`, recorder() + STAND_IN);
    await playing(page, 'mse');
    const rec = await record(page);
    // The decision: what it decodes was asked of ManagedMediaSource, and the plan was told the same.
    expect(rec.isTypeSupported).toEqual(expect.arrayContaining(['video/mp4; codecs="avc1.640029"', 'video/mp4; codecs="hvc1.1.6.L153.B0"', 'audio/mp4; codecs="mp4a.40.2"']));
    for (const url of rec.plans) expect(new URL(url, rig.ingress.url).searchParams.get('decodes')).toBe(decodes);
    // The client's calls.
    expect(rec.constructed).toBeGreaterThan(0);
    expect(rec.srcObjectTries.length).toBeGreaterThan(0);
    expect(rec.srcObjectTries.every((t) => t.disableRemotePlayback)).toBe(true);
    const video = await shownVideo(page);
    expect(video.disableRemotePlayback).toBe(true);
    expect(rec.objectUrls).toContain(video.src);
    expect(go2rtcRequests(rec.sent)).toEqual([{ type: 'mse', value: 'avc1.640029,avc1.64002A,avc1.640033' }]);
    expect(rec.addSourceBuffer).toHaveLength(1);
    expect(rec.addSourceBuffer[0]).toMatch(/^video\/mp4; codecs="avc1\./);
    expect(rec.isTypeSupported).toContain(rec.addSourceBuffer[0]);

    // The source says it has enough: a live stream keeps appending, and this is no error.
    await page.evaluate(() => (globalThis as unknown as { __mmsLast: EventTarget }).__mmsLast.dispatchEvent(new Event('endstreaming')));
    expect((await sampleVideo(page)).timeAdvanced).toBeGreaterThan(0);
    expect(await page.getAttribute('[data-player]', 'data-transport')).toBe('mse');
    expect(await page.getAttribute('[data-player]', 'data-error')).toBe('');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('with only a ManagedMediaSource, HLS plays with hls.js on it, not with native HLS', async () => {
    const { page, errors } = await openPage(rig.browser, `${rig.ingress.url}?transport=hls`, recorder() + STAND_IN);
    await playing(page, 'hls');
    expect(await page.getAttribute('[data-player]', 'data-hls-engine')).toBe('hlsjs');
    expect((await sampleVideo(page)).timeAdvanced).toBeGreaterThan(0);
    expect((await record(page)).constructed).toBeGreaterThan(0);
    expect((await shownVideo(page)).disableRemotePlayback).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('when the plan says the output has AAC, MSE asks go2rtc for it (video still plays without it) and the tile gets a sound switch', async () => {
    const { page, errors } = await openPage(rig.browser, `${rig.ingress.url}?transport=mse`, recorder('aac'));
    await playing(page, 'mse');
    const aac = decodes.includes('aac');
    expect(go2rtcRequests((await record(page)).sent)).toEqual([{ type: 'mse', value: `avc1.640029,avc1.64002A,avc1.640033${aac ? ',mp4a.40.2' : ''}` }]);
    expect((await sampleVideo(page)).timeAdvanced).toBeGreaterThan(0);
    const button = await page.waitForSelector('button[data-sound="off"]', { timeout: 5_000 });
    expect(await button.getAttribute('aria-label')).toBe('Turn sound on');
    expect((await shownVideo(page)).muted).toBe(true);
    await button.click();
    await page.waitForSelector('button[data-sound="on"]', { timeout: 5_000 });
    expect((await shownVideo(page)).muted).toBe(false);
    // The hidden slot (where a better transport is tried) stays muted.
    expect(await page.$$eval('[data-player] video[data-visible="false"]', (vs) => vs.every((v) => (v as unknown as { muted: boolean }).muted))).toBe(true);
    await page.click('button[data-sound="on"]');
    await page.waitForSelector('button[data-sound="off"]', { timeout: 5_000 });
    expect((await shownVideo(page)).muted).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
