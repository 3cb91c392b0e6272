import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedTransmissionId } from '../../src/domain/ids.js';
import { MEDIAMTX_DOUBLE, startLiveServer, type LiveServer } from '../runtime/server-harness.js';
import { waitFor } from '../support/wait.js';

let server: LiveServer;
const tx = generatedTransmissionId('camera:front:main');
const PREFIX = '/api/hassio_ingress/AbC123_x';

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.base + path, { headers });
  return { status: res.status, json: (await res.json()) as any };
}

beforeAll(async () => {
  server = await startLiveServer({ mediamtxPath: MEDIAMTX_DOUBLE });
  await server.request('POST', '/api/cameras', {
    id: 'front',
    name: 'Front',
    sources: [
      { id: 'main', url: 'rtsp://192.0.2.10/1', username: 'admin', password: 'Cam-Pass-77' },
      { id: 'sub', role: 'sub', url: 'rtsp://192.0.2.10/2' },
      { id: 'zoom', role: 'zoom', url: 'rtsp://192.0.2.10/3' },
    ],
  });
}, 30_000);
afterAll(() => server.close());

describe('playback plan API', () => {
  it('ranks transports with reasons, and signs root-relative URLs under the ingress prefix', async () => {
    const { status, json } = await get(`/api/streams/transmissions/${tx}/playback-plan?client=web&context=grid`, { 'x-ingress-path': PREFIX });
    expect(status).toBe(200);
    expect(json).toMatchObject({ transmission_id: tx, client: 'web', context: 'grid', selected_transport: 'hls', hls_warnings: expect.any(Array), webrtc_warnings: [] });
    const byTransport = Object.fromEntries(json.transports.map((t: { transport: string }) => [t.transport, t]));
    // No go2rtc here: MSE is blocked with the sidecar's reason, HLS leads.
    expect(byTransport.mse).toMatchObject({ available: false, blocked_reason: 'sidecar_missing', url: null });
    expect(byTransport.hls).toMatchObject({ available: true, rank: 1, fallback_rank: 0, output_id: 'default' });
    expect(byTransport.hls.url).toMatch(new RegExp(`^${PREFIX}/api/streams/media/hls/cam/front/main/index\\.m3u8\\?media_token=[A-Za-z0-9_.%-]+$`));
    expect(byTransport.jsmpeg.url).toMatch(new RegExp(`^${PREFIX}/api/streams/media/jsmpeg/cam/front/main/ws\\?media_token=`));
    expect(byTransport.webrtc).toMatchObject({ available: false, blocked_reason: 'webrtc_not_for_context' });
    expect(json.still_url).toBe(`${PREFIX}/api/streams/transmissions/${tx}/still.jpg`);
  });

  it('takes what the browser decodes, and refuses a codec it does not know naming the field', async () => {
    const bad = await get(`/api/streams/transmissions/${tx}/playback-plan?decodes=h264,vp9`);
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatchObject({ field: 'decodes', message: expect.stringContaining('h264, h265, aac, opus') });
    const ok = await get(`/api/streams/transmissions/${tx}/playback-plan?decodes=h264,aac`);
    expect(ok.status).toBe(200);
    // Never probed, not read by the engine yet: the codec is unknown and the copy is tried as is.
    expect(ok.json.transports.find((t: { transport: string }) => t.transport === 'hls')).toMatchObject({ output_id: 'default', video_codec: 'unknown', audio_codec: null });
  });

  it('ignores an X-Ingress-Path that is not Home Assistant’s', async () => {
    const { json } = await get(`/api/streams/transmissions/${tx}/playback-plan`, { 'x-ingress-path': 'https://evil.example/x' });
    expect(json.transports.find((t: { transport: string }) => t.transport === 'hls').url).toMatch(/^\/api\/streams\/media\/hls\//);
  });

  it('PTZ on the zoom variant puts WebRTC first; HA ingress never offers WebRTC', async () => {
    const zoom = generatedTransmissionId('camera:front:zoom');
    const ptz = (await get(`/api/streams/transmissions/${zoom}/playback-plan?client=web&context=ptz`)).json;
    expect(ptz.selected_transport).toBe('webrtc');
    expect(ptz.transports[0].url).toBe(`/api/streams/transmissions/${zoom}/webrtc/offer?output_id=default`);
    const ingress = (await get(`/api/streams/transmissions/${zoom}/playback-plan?client=ha_ingress&context=ptz`)).json;
    expect(ingress.transports.find((t: { transport: string }) => t.transport === 'webrtc').blocked_reason).toBe('webrtc_not_through_ingress');
    expect(ingress.selected_transport).toBe('hls');
  });

  it('a live view plan picks the variant for the context', async () => {
    const thumb = (await get('/api/streams/live-views/front/playback-plan?context=thumbnail')).json;
    expect(thumb.variant).toMatchObject({ role: 'sub' });
    expect(thumb.plan.transmission_id).toBe(generatedTransmissionId('camera:front:sub'));
    expect((await get('/api/streams/live-views/front/playback-plan?context=fullscreen')).json.variant.role).toBe('main');
    expect((await get('/api/streams/live-views/front/playback-plan?context=ptz')).json.variant.role).toBe('zoom');
  });

  it('names the bad query field and 404s unknown transmissions', async () => {
    const bad = await get(`/api/streams/transmissions/${tx}/playback-plan?client=tv`);
    expect(bad).toMatchObject({ status: 422, json: { error: { field: 'client' } } });
    expect((await get(`/api/streams/transmissions/${tx}/playback-plan?context=wall`)).json.error.field).toBe('context');
    expect((await get('/api/streams/transmissions/nope/playback-plan')).status).toBe(404);
  });
});

describe('URL resolution', () => {
  it('lists RTSP (LAN reader user), HLS, MSE and JSMpeg per output, never the camera password', async () => {
    // fetch() may not set Host; a LAN client's Host names the address it reached the add-on at.
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${server.base}/api/streams/transmissions/${tx}/urls`, { headers: { host: '192.0.2.50:8100' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(text).not.toContain('Cam-Pass-77');
    expect(text).not.toContain('admin');
    const json = JSON.parse(text);
    const rtsp = json.urls.find((u: { protocol: string }) => u.protocol === 'rtsp');
    const reader = server.streaming.store.get().streaming.lan_reader;
    expect(rtsp).toMatchObject({ output_id: 'default', resolved_engine_path: 'cam/front/main', requires_auth: true, auth_username: 'viewer' });
    expect(rtsp.url).toBe(`rtsp://viewer:${encodeURIComponent(reader.password!)}@192.0.2.50:${server.streaming.engine.rtspPort()}/cam/front/main`);
    expect(json.urls.map((u: { protocol: string }) => u.protocol)).toEqual(['rtsp', 'hls', 'mse', 'jsmpeg']);
  });

  it('internal URLs are loopback engine URLs', async () => {
    const json = (await get(`/api/streams/internal/transmissions/${tx}/urls`)).json;
    expect(json.urls[0]).toMatchObject({
      rtsp: `rtsp://127.0.0.1:${server.streaming.engine.rtspPort()}/cam/front/main`,
      hls: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/cam\/front\/main\/index\.m3u8$/),
    });
  });
});

describe('following the plan through the server', () => {
  it('the HLS URL of the plan plays under the ingress prefix: playlist, variant, segment', async () => {
    const api = server.streaming.engine.status().api_url!;
    // Writes make the runtime sync engine paths at once; wait until the engine knows this one.
    await waitFor('the engine knows the path', async () => (await fetch(`${api}/v3/config/paths/get/cam/front/main`)).status === 200, 30_000, { intervalMs: 100 });
    // The double serves FFmpeg-made HLS for the camera's engine path (MediaMTX would pull the camera).
    expect((await fetch(`${api}/_double/paths/cam/front/main/hls`, { method: 'POST', body: JSON.stringify({ source: 'testsrc' }), headers: { 'content-type': 'application/json' } })).ok).toBe(true);
    const plan = (await get(`/api/streams/transmissions/${tx}/playback-plan?client=ha_ingress&context=large`, { 'x-ingress-path': PREFIX })).json;
    expect(plan.selected_transport).toBe('hls');
    // Home Assistant's proxy strips its prefix before forwarding: resolve URLs as the browser does, send without it.
    const viaIngress = (url: string) => fetch(server.base + new URL(url, `http://ha${PREFIX}/`).pathname.slice(PREFIX.length) + new URL(url, 'http://ha').search);
    let url = new URL(plan.transports[0].url, 'http://ha').toString();
    for (let hops = 0; hops < 3; hops++) {
      const res = await viaIngress(url);
      const body = await res.text();
      expect(res.status, body).toBe(200);
      // Low-Latency HLS lists `gap.mp4` placeholders before a new muxer's first segment: nothing to fetch there.
      const next = body.split('\n').find((l) => l && !l.startsWith('#') && !l.startsWith('gap.mp4'));
      expect(next).toBeDefined();
      expect(next!).not.toMatch(/^\/|^https?:/); // relative: stays under the prefix
      url = new URL(next!, url).toString();
      if (next!.includes('_seg')) break;
    }
    const segment = await viaIngress(url);
    expect(segment.status).toBe(200);
    const bytes = Buffer.from(await segment.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('moof'); // an fMP4 segment
  }, 30_000);
});
