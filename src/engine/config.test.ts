import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { streamingSettingsSchema, type StreamingSettings } from '../domain/settings.js';
import { loadConfig } from '../../test/doubles/mediamtx/config.js';
import { loadReference } from '../../test/doubles/mediamtx/reference.js';
import { childLogLevel } from '../managed/child-config.js';
import { configPath, hashCredential, mediamtxConfig, renderMediamtxConfig, writeMediamtxConfig } from './config.js';
import type { PortPlan } from './ports.js';
import { REFERENCE_DIR } from '../../test/reference-dir.js';

const REFERENCE = join(REFERENCE_DIR, 'mediamtx.yml');
const PASSWORD = 'Lan-Reader-Secret-42';

const settings = (patch: Record<string, unknown> = {}): StreamingSettings => v.parse(streamingSettingsSchema, { lan_reader: { username: 'homeassistant', password: PASSWORD }, ...patch });

const at = (preferred: number, actual = preferred) => ({ preferred, actual, changed: actual !== preferred });
const PORTS: PortPlan = {
  rtsp: at(8554),
  hls: at(8888, 40001),
  webrtc: at(8889),
  webrtc_udp: at(8555),
  api: at(9997, 40002),
  rtp: at(8000),
  rtcp: at(8001),
};

describe('MediaMTX config rendering', () => {
  let reference: Record<string, unknown>;
  let text: string;
  let rendered: Record<string, unknown>;
  beforeAll(async () => {
    reference = parse(await readFile(REFERENCE, 'utf8')) as Record<string, unknown>;
    text = renderMediamtxConfig({ settings: settings(), ports: PORTS, logLevel: 'info' });
    rendered = parse(text) as Record<string, unknown>;
  });

  it('emits only keys documented in mediamtx.yml v1.20.1 (top level and pathDefaults)', () => {
    const top = new Set(Object.keys(reference));
    const pathDefaults = new Set(Object.keys(reference.pathDefaults as object));
    expect(Object.keys(rendered).filter((k) => !top.has(k))).toEqual([]);
    expect(Object.keys(rendered.pathDefaults as object).filter((k) => !pathDefaults.has(k))).toEqual([]);
    // moq exists in v1.20.1, so it is switched off rather than left listening.
    expect(top.has('moq')).toBe(true);
    expect(rendered).toMatchObject({ rtmp: false, srt: false, moq: false, metrics: false, pprof: false, playback: false, pathDefaults: { record: false }, paths: {} });
  });

  it('is accepted by the contract double (types per the OpenAPI GlobalConf, credentials, RTP pair, HLS segments)', () => {
    const conf = loadConfig(loadReference(), text);
    expect(conf.apiHost).toBe('127.0.0.1');
    expect(conf.apiPort).toBe(40002);
  });

  it('quotes strings MediaMTX would read as legacy booleans (a LAN user called "no" stays a string)', () => {
    const yes = renderMediamtxConfig({ settings: settings({ lan_reader: { username: 'no', password: PASSWORD } }), ports: PORTS, logLevel: 'info' });
    expect(yes).toMatch(/^rtspEncryption: "no"$/m);
    expect(loadConfig(loadReference(), yes).users[1]?.user).toBe('no');
  });

  it('binds the API, HLS and WHEP signalling to loopback and uses the actual ports', () => {
    expect(rendered.api).toBe(true);
    expect(rendered.apiAddress).toBe('127.0.0.1:40002');
    expect(rendered.hlsAddress).toBe('127.0.0.1:40001');
    expect(rendered.webrtcAddress).toBe('127.0.0.1:8889');
    expect(rendered.rtspAddress).toBe(':8554');
    expect(rendered.webrtcLocalUDPAddress).toBe(':8555');
    expect(rendered.webrtcLocalTCPAddress).toBe(':8555');
    expect(rendered).toMatchObject({
      rtspTransports: ['tcp', 'udp'],
      rtpAddress: ':8000',
      rtcpAddress: ':8001',
      hlsVariant: 'lowLatency',
      hlsAlwaysRemux: false,
      hlsSegmentDuration: '1s',
      logDestinations: ['stdout'],
    });
    expect(rendered.hlsSegmentCount as number).toBeGreaterThanOrEqual(7);
  });

  it('never contains the LAN reader password, only its sha256 hash in MediaMTX form', () => {
    expect(text).not.toContain(PASSWORD);
    const users = rendered.authInternalUsers as { user: string; pass?: string; ips: string[]; permissions: { action: string }[] }[];
    expect(users[0]).toEqual({ user: 'any', ips: ['127.0.0.1', '::1'], permissions: [{ action: 'publish' }, { action: 'read' }, { action: 'playback' }, { action: 'api' }] });
    const expected = `sha256:${createHash('sha256').update(PASSWORD).digest('base64')}`;
    expect(users[1]).toEqual({ user: 'homeassistant', pass: expected, ips: [], permissions: [{ action: 'read' }] });
    expect(hashCredential('x')).toBe('sha256:LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=');
  });

  it('leaves the LAN user out without a password and refuses the reserved name "any"', () => {
    const noPass = mediamtxConfig({ settings: v.parse(streamingSettingsSchema, {}), ports: PORTS, logLevel: 'info' });
    expect((noPass.authInternalUsers as unknown[]).length).toBe(1);
    expect(() => mediamtxConfig({ settings: settings({ lan_reader: { username: 'any', password: PASSWORD } }), ports: PORTS, logLevel: 'info' })).toThrow(/reserves/);
  });

  it('maps the server log level onto MediaMTX levels', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map(childLogLevel)).toEqual(['debug', 'debug', 'info', 'warn', 'error', 'error', 'error']);
    expect(parse(renderMediamtxConfig({ settings: settings(), ports: PORTS, logLevel: 'debug' })).logLevel).toBe('debug');
  });

  describe('file', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'engine-config-'));
    });
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });
    it('is written atomically to <dataDir>/runtime/streaming/mediamtx/mediamtx.yml with mode 0600', async () => {
      const file = await writeMediamtxConfig(dataDir, text);
      expect(file).toBe(join(dataDir, 'runtime', 'streaming', 'mediamtx', 'mediamtx.yml'));
      expect(file).toBe(configPath(dataDir));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toBe(text);
      await writeMediamtxConfig(dataDir, 'api: true\n');
      expect(await readFile(file, 'utf8')).toBe('api: true\n');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    });
  });
});
