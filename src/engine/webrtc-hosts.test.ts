/**
 * Issue 11, point 4b: WebRTC from a LAN browser. MediaMTX (v1.20.1) offers only its own interfaces'
 * addresses and ignores browsers' mDNS candidates, so in the add-on the host's LAN addresses are
 * advertised through `webrtcAdditionalHosts`. Against the double by default, the real binary when
 * TOPOSYNC_STREAMING_MEDIAMTX_PATH names it.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanUpEngines, setupEngine } from '../../test/engine-env.js';
import { engineTarget, REAL_ENGINES } from '../../test/engines.js';
import { startSupervisorDouble, type SupervisorDouble } from '../../test/doubles/supervisor/server.js';
import { startRtspCamera, type RtspCamera } from '../../test/media/rtsp-camera.js';
import { createAddon } from '../addon/index.js';
import { parseAddonOptions } from '../addon/options.js';
import { createLogger } from '../shared/logger.js';
import { playbackPlan, type PlanFacts } from '../playback/plan.js';
import { configPath } from './config.js';

/** Documentation addresses: advertised only, nothing is ever sent to them. */
const LAN_V4 = '192.0.2.10';
const LAN_V6 = '2001:db8::10';

afterEach(cleanUpEngines);

/** A minimal WHEP offer as pion accepts it: one receive-only H.264 video section, ICE and DTLS attributes. */
function whepOffer(): string {
  const fingerprint = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${randomBytes(4).toString('hex')}`,
    `a=ice-pwd:${randomBytes(12).toString('hex')}`,
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=recvonly',
    'a=rtcp-mux',
    'a=rtpmap:96 H264/90000',
    'a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    '',
  ].join('\r\n');
}

describe(`the engine advertises the LAN addresses for WebRTC (4b) against the ${engineTarget('mediamtx')}`, () => {
  let cam: RtspCamera;
  beforeAll(async () => {
    cam = await startRtspCamera({ width: 320, height: 240, fps: 10 });
  }, 30_000);
  afterAll(() => cam?.stop());

  it('renders them as webrtcAdditionalHosts (a config the engine loads) and reports them in its status', async () => {
    const env = await setupEngine({ overrides: { webrtcHosts: async () => ({ hosts: [LAN_V4, LAN_V6], source: 'supervisor' }) } });
    const status = await env.engine.start();
    expect(status.state).toBe('running');
    expect(status.webrtc).toEqual({ additional_hosts: [LAN_V4, LAN_V6], source: 'supervisor' });
    const rendered = parse(await readFile(configPath(env.dataDir), 'utf8')) as Record<string, unknown>;
    expect(rendered.webrtcAdditionalHosts).toEqual([LAN_V4, LAN_V6]);
    expect(rendered.webrtcIPsFromInterfaces).toBe(true);
  }, 60_000);

  it('a failed look-up starts the engine anyway, with the hosts unknown', async () => {
    const env = await setupEngine({
      overrides: {
        webrtcHosts: async () => {
          throw new Error('Supervisor is busy');
        },
      },
    });
    expect(await env.engine.start()).toMatchObject({ state: 'running', webrtc: { additional_hosts: [], source: 'unknown' } });
  }, 60_000);

  it.runIf(REAL_ENGINES.mediamtx)(
    'the WHEP answer carries the advertised LAN address as an ICE candidate (real engine only: the double has no WebRTC plane)',
    async () => {
      const env = await setupEngine({ overrides: { webrtcHosts: async () => ({ hosts: [LAN_V4], source: 'supervisor' }) } });
      expect((await env.engine.start()).state).toBe('running');
      expect((await env.engine.syncPaths(new Map([['cam/door/main', { source: cam.url, sourceOnDemand: true, rtspTransport: 'tcp' as const }]]))).errors).toEqual([]);
      const res = await fetch(`${env.engine.internalHttpBase('webrtc')}/cam/door/main/whep`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: whepOffer() });
      const answer = await res.text();
      expect(res.status, answer).toBe(201);
      const candidates = answer.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      expect(candidates.some((c) => c.split(' ')[4] === LAN_V4)).toBe(true);
    },
    90_000,
  );
});

describe('where the add-on finds the LAN addresses', () => {
  let supervisor: SupervisorDouble;
  const token = 'supervisor-token-for-tests';
  beforeAll(async () => {
    supervisor = await startSupervisorDouble({ token });
  });
  afterAll(async () => {
    await supervisor.close();
  });
  const addon = (config: Parameters<typeof createAddon>[0]) =>
    createAddon({ supervisorToken: token, supervisorUrl: supervisor.url, ...config }, { logger: createLogger('silent') }).integration.webrtcHosts!();

  it("add-on mode: the host's connected interfaces from Supervisor's network information, without prefixes or link-local ones", async () => {
    const found = await addon({ mode: 'addon' });
    expect(found).toEqual({ hosts: [LAN_V4, LAN_V6], source: 'supervisor' });
    expect(supervisor.requests.some((r) => r.method === 'GET' && r.path === '/network/info')).toBe(true);
  });

  it('the webrtc_hosts option wins; Supervisor silent: unknown; outside an add-on: the interfaces are the LAN', async () => {
    const options = parseAddonOptions(JSON.stringify({ webrtc_hosts: ' 192.0.2.20, ha.lan ' }), 'options.json');
    expect(await addon({ mode: 'addon', options })).toEqual({ hosts: ['192.0.2.20', 'ha.lan'], source: 'option' });
    supervisor.set({ interfaces: null });
    expect(await addon({ mode: 'addon' })).toEqual({ hosts: [], source: 'unknown' });
    supervisor.set({ interfaces: [] });
    expect(await addon({ mode: 'addon' })).toEqual({ hosts: [], source: 'unknown' });
    expect(await addon({ mode: 'dev' })).toEqual({ hosts: [], source: 'interfaces' });
    expect(() => parseAddonOptions(JSON.stringify({ webrtc_hosts: '192.0.2.20; rm -rf /' }), 'options.json')).toThrow(/webrtc_hosts must be host names or IP addresses separated by commas/);
  });

  it('the playback plan warns when WebRTC is offered and no LAN address is known', () => {
    const output = { id: 'rtc', engine_path: 'cam/a/main', enabled: true, codec: 'copy', enable_webrtc: true, enable_hls: true } as unknown as PlanFacts['transmission']['outputs'][number];
    const facts: PlanFacts = {
      client: 'web',
      context: 'ptz',
      transmission: { id: 't', enabled: true, outputs: [output], webrtcAllowed: true },
      codecOf: () => 'h264',
      engine: 'running',
      sidecar: 'running',
      jsmpeg: { enabled: true, sessions: 0, maxSessions: 8, transmissionSessions: 0, maxPerTransmission: 2 },
    };
    expect(playbackPlan(facts).webrtc_warnings.filter((w) => w.startsWith('webrtc_no_lan_address'))).toEqual([]);
    expect(playbackPlan({ ...facts, webrtcLanUnknown: true }).webrtc_warnings).toContainEqual(expect.stringMatching(/^webrtc_no_lan_address: .*webrtc_hosts/));
  });
});
