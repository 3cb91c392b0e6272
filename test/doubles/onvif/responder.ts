/**
 * A local ONVIF responder for tests: a double, not a camera. It answers the device service
 * (GetSystemDateAndTime, GetDeviceInformation, GetCapabilities, GetServices) and the ver10 media
 * service (GetProfiles, GetStreamUri, GetSnapshotUri) over HTTP on 127.0.0.1 with the message
 * shapes of ONVIF's published WSDLs (devicemgmt.wsdl, media.wsdl, onvif.xsd), and WS-Discovery
 * Probes on a loopback unicast UDP socket (discovery.ts). It writes its own namespace prefixes
 * (`env:`, `dev:`, `med:`, `sch:`), unlike the client's, so only local-name matching passes.
 *
 * With credentials it checks WS-Security UsernameTokens as a camera does (ONVIF Core §5.12):
 * PasswordDigest = Base64(SHA1(nonce + created + password)), `Created` within ±5 min of ITS clock
 * (which `clockSkewMs` moves), each nonce used once. GetSystemDateAndTime needs no token.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDiscoveryResponder, type DiscoveryBehaviour } from './discovery.js';
import { builder, parser, textOf } from './xml.js';

interface ResponderProfile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** false: an audio-only profile (no VideoEncoderConfiguration). */
  video?: boolean;
  streamUri: string;
  /** null: GetSnapshotUri answers a fault for this profile. */
  snapshotUri?: string | null;
}

export interface ResponderOptions {
  profiles?: ResponderProfile[];
  /** What tokens are checked against; null: no token is needed or checked. */
  credentials?: { username: string; password: string } | null;
  /** With credentials: a call without a token is answered too (a token sent is still checked), as some cameras do. */
  authOptional?: boolean;
  /** The responder's clock minus the real one. */
  clockSkewMs?: number;
  /** `html`: a web page for every request; `silent`: never answers (HTTP or UDP); `not-authorized`: a NotAuthorized fault for everything. */
  mode?: 'onvif' | 'html' | 'silent' | 'not-authorized';
  /** The host its media XAddr names (a camera behind NAT reports its internal address). Default 127.0.0.1. */
  mediaHost?: string;
  /** false: GetCapabilities is not supported (a fault), so the client must use GetServices. */
  capabilities?: boolean;
  discovery?: DiscoveryBehaviour;
}

interface ResponderRequest {
  path: string;
  operation: string;
  /** null: no token sent; else whether it passed. */
  token: { username: string; valid: boolean } | null;
}

export interface Responder {
  port: number;
  discoveryPort: number;
  requests: ResponderRequest[];
  probes: { messageId: string; types: string }[];
  close(): Promise<void>;
}

const DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  dev: 'http://www.onvif.org/ver10/device/wsdl',
  med: 'http://www.onvif.org/ver10/media/wsdl',
  sch: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
};
const DEFAULT_PROFILES: ResponderProfile[] = [
  { token: 'prof_sub', name: 'SubStream', encoding: 'H264', width: 640, height: 360, fps: 15, streamUri: 'rtsp://127.0.0.1:1/sub', snapshotUri: 'http://127.0.0.1:1/snap/sub.jpg' },
  { token: 'prof_main', name: 'MainStream', encoding: 'H264', width: 1920, height: 1080, fps: 25, streamUri: 'rtsp://admin:secret@127.0.0.1:1/main', snapshotUri: 'http://127.0.0.1:1/snap/main.jpg' },
  { token: 'prof_third', name: 'ThirdStream', encoding: 'JPEG', width: 1280, height: 720, fps: 10, streamUri: 'rtsp://127.0.0.1:1/third', snapshotUri: null },
  { token: 'prof_audio', name: 'AudioOnly', video: false, streamUri: 'rtsp://127.0.0.1:1/audio' },
];

const soapDocument = (header: object | null, body: object) =>
  `<?xml version="1.0" encoding="UTF-8"?>${builder.build({ 'env:Envelope': { ...Object.fromEntries(Object.entries(NS).map(([p, ns]) => [`@_xmlns:${p}`, ns])), ...(header ? { 'env:Header': header } : {}), 'env:Body': body } })}`;

const fault = (sub: string, reason: string) =>
  soapDocument(null, { 'env:Fault': { 'env:Code': { 'env:Value': 'env:Sender', 'env:Subcode': { 'env:Value': sub } }, 'env:Reason': { 'env:Text': { '@_xml:lang': 'en', '#text': reason } } } });

export async function startOnvifResponder(opts: ResponderOptions = {}): Promise<Responder> {
  const profiles = opts.profiles ?? DEFAULT_PROFILES;
  const mode = opts.mode ?? 'onvif';
  const skew = opts.clockSkewMs ?? 0;
  const requests: ResponderRequest[] = [];
  const nonces = new Set<string>();
  let port = 0;
  const deviceUrl = () => `http://127.0.0.1:${port}/onvif/device_service`;
  const mediaUrl = () => `http://${opts.mediaHost ?? '127.0.0.1'}:${port}/onvif/media_service`;

  /** The token's verdict, checked against this responder's clock. */
  function checkToken(security: any): ResponderRequest['token'] {
    const t = security?.UsernameToken;
    if (!t) return null;
    const username = textOf(t.Username) ?? '';
    const [password, nonce, created] = [textOf(t.Password), textOf(t.Nonce), textOf(t.Created)];
    if (!opts.credentials || password === undefined || nonce === undefined || created === undefined || t.Password['@_Type'] !== DIGEST_TYPE) return { username, valid: false };
    const expected = createHash('sha1').update(Buffer.from(nonce, 'base64')).update(created).update(opts.credentials.password).digest('base64');
    const fresh = Math.abs(Date.parse(created) - (Date.now() + skew)) <= 5 * 60_000;
    const unused = !nonces.has(nonce);
    nonces.add(nonce);
    return { username, valid: username === opts.credentials.username && password === expected && fresh && unused };
  }

  function answer(path: string, operation: string, request: any): { status: number; body: string } {
    const ok = (body: object) => ({ status: 200, body: soapDocument(null, body) });
    const unsupported = () => ({ status: 400, body: fault('ter:ActionNotSupported', `${operation} is not supported`) });
    const profileOf = (token: unknown) => profiles.find((p) => p.token === textOf(token));
    if (path === '/onvif/device_service') {
      switch (operation) {
        case 'GetSystemDateAndTime': {
          const d = new Date(Date.now() + skew);
          const utc = {
            'sch:Time': { 'sch:Hour': d.getUTCHours(), 'sch:Minute': d.getUTCMinutes(), 'sch:Second': d.getUTCSeconds() },
            'sch:Date': { 'sch:Year': d.getUTCFullYear(), 'sch:Month': d.getUTCMonth() + 1, 'sch:Day': d.getUTCDate() },
          };
          return ok({
            'dev:GetSystemDateAndTimeResponse': {
              'dev:SystemDateAndTime': { 'sch:DateTimeType': 'Manual', 'sch:DaylightSavings': 'false', 'sch:TimeZone': { 'sch:TZ': 'UTC0' }, 'sch:UTCDateTime': utc },
            },
          });
        }
        case 'GetDeviceInformation':
          return ok({
            'dev:GetDeviceInformationResponse': {
              'dev:Manufacturer': 'Double & Co',
              'dev:Model': 'ONVIF-Responder',
              'dev:FirmwareVersion': '1.0.0',
              'dev:SerialNumber': '0012',
              'dev:HardwareId': 'HW1',
            },
          });
        case 'GetCapabilities':
          if (opts.capabilities === false) return unsupported();
          return ok({
            'dev:GetCapabilitiesResponse': {
              'dev:Capabilities': { 'sch:Device': { 'sch:XAddr': deviceUrl() }, 'sch:Media': { 'sch:XAddr': mediaUrl(), 'sch:StreamingCapabilities': { 'sch:RTP_RTSP_TCP': 'true' } } },
            },
          });
        case 'GetServices':
          return ok({
            'dev:GetServicesResponse': {
              'dev:Service': [
                { 'dev:Namespace': NS.dev, 'dev:XAddr': deviceUrl(), 'dev:Version': { 'sch:Major': 2, 'sch:Minor': 60 } },
                { 'dev:Namespace': NS.med, 'dev:XAddr': mediaUrl(), 'dev:Version': { 'sch:Major': 2, 'sch:Minor': 60 } },
              ],
            },
          });
      }
    } else if (path === '/onvif/media_service') {
      switch (operation) {
        case 'GetProfiles':
          return ok({
            'med:GetProfilesResponse': {
              'med:Profiles': profiles.map((p) => ({
                '@_token': p.token,
                '@_fixed': 'true',
                'sch:Name': p.name,
                ...(p.video === false
                  ? {}
                  : {
                      'sch:VideoEncoderConfiguration': {
                        '@_token': `enc_${p.token}`,
                        'sch:Name': `enc_${p.token}`,
                        'sch:UseCount': 1,
                        'sch:Encoding': p.encoding ?? 'H264',
                        'sch:Resolution': { 'sch:Width': p.width ?? 0, 'sch:Height': p.height ?? 0 },
                        'sch:Quality': 5,
                        'sch:RateControl': { 'sch:FrameRateLimit': p.fps ?? 25, 'sch:EncodingInterval': 1, 'sch:BitrateLimit': 2048 },
                      },
                    }),
              })),
            },
          });
        case 'GetStreamUri': {
          const p = profileOf(request?.ProfileToken);
          const setup = request?.StreamSetup;
          if (!p || textOf(setup?.Stream) !== 'RTP-Unicast' || textOf(setup?.Transport?.Protocol) !== 'RTSP')
            return { status: 400, body: fault('ter:InvalidArgVal', 'no such profile or stream setup') };
          return ok({ 'med:GetStreamUriResponse': { 'med:MediaUri': { 'sch:Uri': p.streamUri, 'sch:InvalidAfterConnect': 'false', 'sch:InvalidAfterReboot': 'false', 'sch:Timeout': 'PT0S' } } });
        }
        case 'GetSnapshotUri': {
          const p = profileOf(request?.ProfileToken);
          if (!p?.snapshotUri) return unsupported();
          return ok({ 'med:GetSnapshotUriResponse': { 'med:MediaUri': { 'sch:Uri': p.snapshotUri, 'sch:InvalidAfterConnect': 'false', 'sch:InvalidAfterReboot': 'false', 'sch:Timeout': 'PT0S' } } });
        }
      }
    }
    return unsupported();
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (mode === 'silent') return; // the socket stays open with no answer, until close()
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: string, type = 'application/soap+xml; charset=utf-8') => res.writeHead(status, { 'content-type': type }).end(body);
    if (mode === 'html' || req.method !== 'POST' || (path !== '/onvif/device_service' && path !== '/onvif/media_service')) {
      return send(mode === 'html' ? 200 : 404, '<!DOCTYPE html><html><head><title>Router login</title></head><body><form>Password <input type="password"></form></body></html>', 'text/html');
    }
    const envelope = parser.parse(Buffer.concat(chunks).toString('utf8'))?.Envelope;
    const [operation, request] = Object.entries(envelope?.Body ?? {})[0] ?? ['', undefined];
    const token = checkToken(envelope?.Header?.Security);
    requests.push({ path, operation, token });
    if (mode === 'not-authorized') return send(400, fault('ter:NotAuthorized', 'Sender not Authorized'));
    const needsToken = opts.credentials && !opts.authOptional && operation !== 'GetSystemDateAndTime';
    if ((opts.credentials && token && !token.valid) || (needsToken && !token)) return send(400, fault('ter:NotAuthorized', 'Sender not Authorized'));
    const { status, body } = answer(path, operation, request);
    return send(status, body);
  }

  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const discovery = await startDiscoveryResponder({ deviceUrl: deviceUrl(), silent: mode === 'silent', ...opts.discovery });
  return {
    port,
    discoveryPort: discovery.port,
    requests,
    probes: discovery.probes,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await discovery.close();
    },
  };
}
