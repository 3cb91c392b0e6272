import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENGINE_PATH_RE } from '../domain/engine-path.js';
import { camera, manualTransmission, plane, source } from '../reconcile/fixtures.js';
import { reconcile } from '../reconcile/reconcile.js';
import { planEngine } from '../runtime/path-plan.js';
import { enginePathOfStream, go2rtcConfigPath, go2rtcStreamName, renderGo2rtcConfig, writeGo2rtcConfig } from './config.js';
import { REFERENCE_DIR as SHARED_REFERENCE } from '../../test/reference-dir.js';

const REFERENCE = process.env.GO2RTC_DOUBLE_REFERENCE_DIR ?? SHARED_REFERENCE;
const schema = JSON.parse(readFileSync(join(REFERENCE, 'go2rtc-schema.json'), 'utf8')) as { properties: { app: { properties: { modules: { items: { enum: string[] } } } } } };
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

const PASSWORD = 'Cam-Secr3t:p@ss/word';
const USER = 'camadmin';
const RTSP = 18554;

/** A real settings document: cameras with credentials, generated and manual transmissions, transcoded outputs. */
function planWithCredentials() {
  const front = camera('front', [
    source('main', { url: 'rtsp://192.0.2.10:554/Streaming/101', username: USER, password: PASSWORD }),
    source('sub', { role: 'sub', url: `rtsp://${USER}:inline-${encodeURIComponent(PASSWORD)}@192.0.2.10/102` }),
  ]);
  const back = camera('back', [source('main', { url: 'rtsp://192.0.2.11/live', username: 'root', password: 'other-Pa55' })]);
  const first = reconcile(plane({ cameras: [front, back] })).plane;
  const withQuality = reconcile({ ...first, publications: first.publications.map((p) => (p.id === 'camera:back:main' ? { ...p, quality_policy: { width: 640, height: 360 } } : p)) }).plane;
  const doc = {
    ...withQuality,
    transmissions: [
      ...withQuality.transmissions,
      manualTransmission('raw', { input: 'camera_source', camera_id: 'front', camera_source_id: 'main' }, [{ codec: 'copy' }, { engine_path: 'm/raw/small' }]),
    ],
  };
  return planEngine(doc, RTSP);
}

describe('go2rtc config', () => {
  const plan = planWithCredentials();
  const paths = plan.outputs.map((o) => o.path);
  const text = renderGo2rtcConfig({ apiPort: 11984, rtspPort: RTSP, paths, logLevel: 'info' });
  const doc = parse(text) as Record<string, any>;

  it('the plan really carries camera credentials (so the next checks mean something)', () => {
    expect(paths.length).toBeGreaterThanOrEqual(4);
    expect([...plan.paths.values()].some((p) => p.source.includes(encodeURIComponent(PASSWORD)))).toBe(true);
  });

  it('is valid against go2rtc v1.9.14 www/schema.json', () => {
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('would be refused by the schema if it were wrong (the validator is live)', () => {
    expect(validate({ ...doc, api: { ...doc.api, origin: 'https://example.org' } })).toBe(false);
    expect(validate({ ...doc, app: { modules: ['api', 'websocket'] } })).toBe(false);
    expect(validate({ ...doc, stream: {} })).toBe(false);
  });

  it('binds the API to loopback only, keeps the same-origin check, and limits the API paths', () => {
    expect(doc.api).toEqual({ listen: '127.0.0.1:11984', origin: '', allow_paths: ['/api', '/api/streams', '/api/ws'] });
    expect(doc.api.username).toBeUndefined();
  });

  it('whitelists exactly the modules MSE over RTSP needs, all known to go2rtc', () => {
    expect(doc.app.modules).toEqual(['api', 'ws', 'mp4', 'rtsp']);
    for (const m of doc.app.modules) expect(schema.properties.app.properties.modules.items.enum).toContain(m);
    for (const m of ['webrtc', 'srtp', 'exec', 'echo', 'ffmpeg', 'homekit', 'hass', 'http', 'rtmp', 'hls', 'mjpeg']) expect(doc.app.modules).not.toContain(m);
  });

  it('opens no media listener', () => {
    expect(doc.rtsp).toEqual({ listen: '' });
    expect(doc.webrtc).toEqual({ listen: '' });
    expect(doc.srtp).toEqual({ listen: '' });
    expect(Object.keys(doc).sort()).toEqual(['api', 'app', 'log', 'rtsp', 'srtp', 'streams', 'webrtc']);
  });

  it('streams are only rtsp://127.0.0.1:<MediaMTX RTSP>/<engine path>, one per output, named by the path', () => {
    const streams = doc.streams as Record<string, string>;
    expect(Object.keys(streams).sort()).toEqual([...new Set(paths)].map(go2rtcStreamName).sort());
    for (const [name, src] of Object.entries(streams)) {
      expect(src.startsWith(`rtsp://127.0.0.1:${RTSP}/`)).toBe(true);
      expect(src).toBe(`rtsp://127.0.0.1:${RTSP}/${enginePathOfStream(name)}#backchannel=0`);
      expect(new URL(src).username).toBe('');
      expect(src).not.toContain('@');
    }
    expect(streams['cam~front~main']).toBe(`rtsp://127.0.0.1:${RTSP}/cam/front/main#backchannel=0`);
  });

  it('no camera credential or camera address appears anywhere in the file', () => {
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), USER, 'other-Pa55', 'root', '192.0.2.10', '192.0.2.11', 'Streaming/101']) expect(text).not.toContain(secret);
  });

  it('refuses anything that is not an engine path (no URL can be smuggled in as a path)', () => {
    for (const bad of ['rtsp://user:pw@10.0.0.1/x', '../etc', '/abs', 'a//b', 'a b', 'a#b', 'a?x=1']) {
      expect(() => renderGo2rtcConfig({ apiPort: 1984, rtspPort: RTSP, paths: [bad], logLevel: 'info' })).toThrow(/not an engine path/);
    }
  });

  it('maps the log level and writes the file atomically with mode 0600', async () => {
    expect(parse(renderGo2rtcConfig({ apiPort: 1, rtspPort: RTSP, paths: [], logLevel: 'trace' })).log.level).toBe('debug');
    expect(parse(renderGo2rtcConfig({ apiPort: 1, rtspPort: RTSP, paths: [], logLevel: 'fatal' })).log.level).toBe('error');
    const dir = await mkdtemp(join(tmpdir(), 'go2rtc-conf-'));
    try {
      const file = await writeGo2rtcConfig(dir, text);
      expect(file).toBe(go2rtcConfigPath(dir));
      expect(file).toBe(join(dir, 'runtime', 'streaming', 'go2rtc', 'go2rtc.yaml'));
      expect(await readFile(file, 'utf8')).toBe(text);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stream names are one-to-one with engine paths and never look like a URL (property)', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
    const path = fc
      .array(segment, { minLength: 1, maxLength: 4 })
      .map((s) => s.join('/'))
      .filter((p) => ENGINE_PATH_RE.test(p));
    fc.assert(
      fc.property(path, path, (a, b) => {
        const na = go2rtcStreamName(a);
        expect(enginePathOfStream(na)).toBe(a);
        expect(na).toMatch(/^[A-Za-z0-9_.~-]+$/);
        expect(na).not.toContain(':');
        if (a !== b) expect(go2rtcStreamName(b)).not.toBe(na);
      }),
    );
  });
});
