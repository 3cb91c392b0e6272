import { ApiError } from '../shared/errors.js';
import { soapCall, type Credentials, type SoapTarget } from './soap.js';
import { NS, attribute, child, children, text } from './xml.js';

/** Where the user says the camera's device service is. */
export interface DeviceAddress {
  host: string;
  port: number;
  devicePath: string;
}

export interface DeviceInfo {
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
}

/** One media profile with a video encoder, and where its stream (and still image) is served. */
export interface OnvifProfile extends VideoProfile {
  /** Without credentials (they are stored apart). */
  stream_url: string;
  snapshot_url: string | null;
}

export interface DeviceReading {
  device: DeviceInfo | null;
  profiles: OnvifProfile[];
}

export interface ReadOptions {
  timeoutMs: number;
  now?: () => number;
}

/** `host` as a URL writes it (IPv6 literals in brackets). */
const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

const positive = (s: string | null): number | null => {
  const n = Number(s);
  return s !== null && Number.isFinite(n) && n > 0 ? n : null;
};

/** A URL the camera returned, without the credentials some cameras write into it; null when it is no URL of `schemes`. */
function withoutCredentials(raw: string | null, schemes: readonly string[]): string | null {
  if (raw === null) return null;
  try {
    const u = new URL(raw);
    if (!schemes.includes(u.protocol)) return null;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return null;
  }
}

/** Runs an optional call: its failure gives null, except silence (every later call would wait as long) and the `fatal` codes. */
async function optional<T>(call: () => Promise<T>, fatal: readonly string[] = []): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError && err.code !== 'onvif_no_answer' && !fatal.includes(err.code)) return null;
    throw err;
  }
}

/** The camera's clock minus ours, asked without credentials as ONVIF allows (0 when the camera will not say). */
async function clockOffset(deviceUrl: string, target: SoapTarget): Promise<number> {
  const now = target.now ?? Date.now;
  // Every ONVIF device answers this one: an answer that is no SOAP at all ends the import here.
  const answer = await optional(() => soapCall(deviceUrl, `${NS.device}/GetSystemDateAndTime`, { 'tds:GetSystemDateAndTime': '' }, { ...target, credentials: null }), ['onvif_not_a_device']);
  const utc = child(answer, 'GetSystemDateAndTimeResponse', 'SystemDateAndTime', 'UTCDateTime');
  const [date, time] = [child(utc, 'Date'), child(utc, 'Time')];
  const parts = [text(child(date, 'Year')), text(child(date, 'Month')), text(child(date, 'Day')), text(child(time, 'Hour')), text(child(time, 'Minute')), text(child(time, 'Second'))].map(Number);
  if (utc === undefined || parts.some((n) => !Number.isInteger(n))) return 0;
  const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - now();
}

async function deviceInformation(deviceUrl: string, target: SoapTarget): Promise<DeviceInfo | null> {
  const answer = await optional(() => soapCall(deviceUrl, `${NS.device}/GetDeviceInformation`, { 'tds:GetDeviceInformation': '' }, target));
  const info = child(answer, 'GetDeviceInformationResponse');
  if (info === undefined) return null;
  const field = (name: string) => text(child(info, name));
  return { manufacturer: field('Manufacturer'), model: field('Model'), firmware: field('FirmwareVersion'), serial: field('SerialNumber') };
}

/** The media service's address: GetCapabilities, else GetServices (devices that dropped the older call). */
async function mediaAddress(deviceUrl: string, target: SoapTarget): Promise<string> {
  const caps = await optional(() => soapCall(deviceUrl, `${NS.device}/GetCapabilities`, { 'tds:GetCapabilities': { 'tds:Category': 'Media' } }, target));
  const fromCaps = text(child(caps, 'GetCapabilitiesResponse', 'Capabilities', 'Media', 'XAddr'));
  if (fromCaps) return fromCaps;
  const services = await soapCall(deviceUrl, `${NS.device}/GetServices`, { 'tds:GetServices': { 'tds:IncludeCapability': 'false' } }, target);
  const media = children(child(services, 'GetServicesResponse'), 'Service').find((s) => text(child(s, 'Namespace')) === NS.media);
  const xaddr = text(child(media, 'XAddr'));
  if (!xaddr) throw new ApiError(422, 'onvif_not_a_device', `${target.endpoint} is not an ONVIF camera: it offers no media service`, 'host');
  return xaddr;
}

/**
 * Cameras behind NAT or port forwarding often report their internal address: a media address that
 * names another host than the one the user gave keeps its path and takes the user's host and port.
 */
function reachableMediaUrl(xaddr: string, address: DeviceAddress, target: SoapTarget): string {
  let u: URL;
  try {
    u = new URL(xaddr);
  } catch {
    throw new ApiError(422, 'onvif_not_a_device', `${target.endpoint} is not an ONVIF camera: its media service address is no URL`, 'host');
  }
  if (u.hostname.toLowerCase() === urlHost(address.host).toLowerCase()) return u.toString();
  return `http://${urlHost(address.host)}:${address.port}${u.pathname}${u.search}`;
}

/** A profile's video encoder as GetProfiles says it. */
interface VideoProfile {
  token: string;
  name: string;
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
}

/** Profiles with a video encoder (audio-only and metadata profiles carry no stream to import). */
function videoProfiles(answer: unknown): VideoProfile[] {
  return children(child(answer, 'GetProfilesResponse'), 'Profiles').flatMap((p) => {
    const token = attribute(p, 'token');
    const encoder = child(p, 'VideoEncoderConfiguration');
    if (!token || encoder === undefined) return [];
    const resolution = child(encoder, 'Resolution');
    return [
      {
        token,
        name: text(child(p, 'Name')) ?? token,
        encoding: text(child(encoder, 'Encoding')),
        width: positive(text(child(resolution, 'Width'))),
        height: positive(text(child(resolution, 'Height'))),
        fps: positive(text(child(encoder, 'RateControl', 'FrameRateLimit'))),
      },
    ];
  });
}

const noProfiles = (target: SoapTarget) => new ApiError(422, 'onvif_no_profiles', `${target.endpoint} offers no media profile with a video stream`, 'host');

/**
 * Reads what an import needs from a camera: its clock offset, its description (optional), its
 * media profiles with their RTSP stream URIs and snapshot URIs. One call at a time: cheap cameras
 * serve one request well and several badly.
 */
export async function readDevice(address: DeviceAddress, credentials: Credentials | null, opts: ReadOptions): Promise<DeviceReading> {
  const endpoint = `${urlHost(address.host)}:${address.port}`;
  const deviceUrl = `http://${endpoint}${address.devicePath}`;
  const base: SoapTarget = { endpoint, credentials, clockOffsetMs: 0, timeoutMs: opts.timeoutMs, ...(opts.now ? { now: opts.now } : {}) };
  const target: SoapTarget = { ...base, clockOffsetMs: await clockOffset(deviceUrl, base) };
  const device = await deviceInformation(deviceUrl, target);
  const mediaUrl = reachableMediaUrl(await mediaAddress(deviceUrl, target), address, target);
  const found = videoProfiles(await soapCall(mediaUrl, `${NS.media}/GetProfiles`, { 'trt:GetProfiles': '' }, target));
  if (found.length === 0) throw noProfiles(target);

  const profiles: OnvifProfile[] = [];
  for (const p of found) {
    const setup = { 'trt:StreamSetup': { 'tt:Stream': 'RTP-Unicast', 'tt:Transport': { 'tt:Protocol': 'RTSP' } }, 'trt:ProfileToken': p.token };
    const stream = await optional(() => soapCall(mediaUrl, `${NS.media}/GetStreamUri`, { 'trt:GetStreamUri': setup }, target), ['onvif_unauthorized']);
    // A profile the camera will not stream (a fault for that one) is left out; a refusal of the credentials is not.
    if (stream === null) continue;
    const streamUrl = withoutCredentials(text(child(stream, 'GetStreamUriResponse', 'MediaUri', 'Uri')), ['rtsp:', 'rtsps:']);
    if (streamUrl === null) continue;
    const snapshot = await optional(() => soapCall(mediaUrl, `${NS.media}/GetSnapshotUri`, { 'trt:GetSnapshotUri': { 'trt:ProfileToken': p.token } }, target));
    profiles.push({ ...p, stream_url: streamUrl, snapshot_url: withoutCredentials(text(child(snapshot, 'GetSnapshotUriResponse', 'MediaUri', 'Uri')), ['http:', 'https:']) });
  }
  if (profiles.length === 0) throw noProfiles(target);
  return { device, profiles };
}
