import { parse } from 'yaml';
import { confFormatDuration, confParseDuration, credentialError, PATH_DURATION_KEYS, splitHostPort } from './go.js';
import { formatAjvErrors, type Reference } from './reference.js';

/** What the double needs of a loaded configuration. */
export interface DoubleConfig {
  apiHost: string;
  apiPort: number;
  users: { user: string; pass: string; ips: string[]; actions: Set<string> }[];
  /** pathDefaults as MediaMTX reports them (documented defaults + the file's pathDefaults). */
  pathDefaults: Record<string, unknown>;
  /** The `paths` of the file (names → partial PathConf). */
  paths: Record<string, Record<string, unknown>>;
  logLevel: string;
  hls: DoubleHlsConfig;
  /**
   * WebRTC's ICE listeners (`webrtcLocalUDPAddress`, `webrtcLocalTCPAddress`) the double binds, as
   * MediaMTX v1.20.1 does (checked against the real binary): only those the file itself names.
   */
  ice: { udp: { host: string; port: number } | null; tcp: { host: string; port: number } | null };
}

/** The HLS server settings the double emulates (see hls.ts). */
export interface DoubleHlsConfig {
  enabled: boolean;
  /**
   * Where the HLS listener binds: only when the file itself names `hlsAddress` (the double never
   * binds MediaMTX's default `:8888`, so parallel test runs on one machine cannot collide on it).
   */
  listen: { host: string; port: number } | null;
  variant: string;
  segmentCount: number;
  segmentDurationMs: number;
  /** `hlsPartDuration` (Low-Latency HLS parts; also the fMP4 fragment length the double asks FFmpeg for). */
  partDurationMs: number;
  muxerCloseAfterMs: number;
  alwaysRemux: boolean;
  encryption: boolean;
}

export class ConfigLoadError extends Error {}

/** The global keys the double reads, with the types MediaMTX's GlobalConf schema gives them. */
interface GlobalKeys {
  logLevel: string;
  authMethod: string;
  authInternalUsers: ({ user?: string; pass?: string } & Record<string, unknown>)[];
  api: boolean;
  apiAddress: string;
  apiEncryption: boolean;
  rtsp: boolean;
  rtspEncryption: string;
  rtspAddress: string;
  rtspTransports: string[];
  rtpAddress: string;
  rtcpAddress: string;
  rtspAuthMethods: string[];
  hls: boolean;
  hlsAddress: string;
  hlsVariant: string;
  hlsSegmentCount: number;
  hlsSegmentDuration: string;
  hlsPartDuration: string;
  hlsMuxerCloseAfter: string;
  hlsAlwaysRemux: boolean;
  hlsEncryption: boolean;
  webrtc: boolean;
  webrtcAddress: string;
  webrtcLocalUDPAddress: string;
  webrtcLocalTCPAddress: string;
  webrtcICEServers2: unknown[];
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

/** A documented default or a file value, typed as the API reports it (empty YAML values → zero values, durations re-spelled). */
export function normalizePathValue(ref: Reference, key: string, value: unknown): unknown {
  if (value === null || value === undefined) {
    switch (ref.pathConfTypes.get(key)) {
      case 'string':
        return '';
      case 'array':
        return [];
      case 'boolean':
        return false;
      case 'integer':
      case 'number':
        return 0;
      default:
        return '';
    }
  }
  if (PATH_DURATION_KEYS.has(key) && typeof value === 'string') return confFormatDuration(confParseDuration(value));
  return value;
}

/**
 * Loads a config file the way MediaMTX v1.20.1 refuses bad ones: YAML with legacy `yes`/`no`
 * booleans, every key known (documented in mediamtx.yml; the real decoder refuses unknown
 * fields), global values typed as the OpenAPI `GlobalConf` says, path values as `PathConf`,
 * credentials in a supported form, and the checks of `conf.Validate` that concern what the server
 * renders. Throws ConfigLoadError with a MediaMTX-like message.
 */
export function loadConfig(ref: Reference, text: string): DoubleConfig {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1' });
  } catch (err) {
    throw new ConfigLoadError(`yaml: ${(err as Error).message}`);
  }
  doc ??= {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigLoadError('json: cannot unmarshal array into Go value of type conf.Conf');
  const file = doc as Record<string, unknown>;

  for (const key of Object.keys(file)) if (!ref.topKeys.has(key)) throw new ConfigLoadError(`json: unknown field "${key}"`);
  const pathDefaultsIn = (file.pathDefaults ?? {}) as Record<string, unknown>;
  if (typeof pathDefaultsIn !== 'object' || Array.isArray(pathDefaultsIn)) throw new ConfigLoadError('pathDefaults must be a mapping');
  for (const key of Object.keys(pathDefaultsIn)) if (!ref.pathDefaultKeys.has(key)) throw new ConfigLoadError(`json: unknown field "pathDefaults.${key}"`);
  const pathsIn = (file.paths ?? {}) as Record<string, unknown>;
  if (typeof pathsIn !== 'object' || Array.isArray(pathsIn)) throw new ConfigLoadError('paths must be a mapping');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, conf] of Object.entries(pathsIn)) {
    const c = (conf ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(c)) if (!ref.pathDefaultKeys.has(key)) throw new ConfigLoadError(`json: unknown field "${key}" (path ${name})`);
    paths[name] = c;
  }

  // Types of the global part, as the API's GlobalConf (strict) describes them.
  const global = dropNulls(Object.fromEntries(Object.entries(file).filter(([k]) => k !== 'pathDefaults' && k !== 'paths'))) as Record<string, unknown>;
  const validateGlobal = ref.schema('GlobalConf');
  if (!validateGlobal(global)) throw new ConfigLoadError(`invalid configuration: ${formatAjvErrors(validateGlobal.errors).join('; ')}`);
  const validatePath = ref.schema('PathConf');
  const pd = dropNulls(pathDefaultsIn) as Record<string, unknown>;
  if (!validatePath(pd)) throw new ConfigLoadError(`invalid pathDefaults: ${formatAjvErrors(validatePath.errors).join('; ')}`);
  for (const [name, c] of Object.entries(paths)) {
    const cleaned = dropNulls(c);
    if (!validatePath(cleaned)) throw new ConfigLoadError(`invalid path '${name}': ${formatAjvErrors(validatePath.errors).join('; ')}`);
  }

  /** The file's value, else mediamtx.yml's documented default (both of the schema's type, checked above). */
  const effective = <K extends keyof GlobalKeys>(key: K) => (key in global ? global[key] : ref.topDefaults[key]) as GlobalKeys[K] | undefined;

  // Authentication (conf.Validate).
  if ((effective('authMethod') ?? 'internal') !== 'internal') throw new ConfigLoadError('the double supports authMethod: internal only');
  const usersIn = effective('authInternalUsers') ?? [];
  const users: DoubleConfig['users'] = [];
  for (const u of usersIn) {
    const user = u.user ?? '';
    const pass = u.pass ?? '';
    if (user === '') throw new ConfigLoadError('empty usernames are not supported');
    if (user === 'any' && pass !== '') throw new ConfigLoadError("using a password with 'any' user is not supported");
    for (const cred of [user, pass]) {
      const err = credentialError(cred);
      if (err) throw new ConfigLoadError(err);
    }
    const ips = ((u.ips ?? []) as string[]).map(String);
    for (const ip of ips) if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(ip)) throw new ConfigLoadError(`invalid IP or CIDR: ${ip}`);
    const actions = new Set(((u.permissions ?? []) as { action?: string }[]).map((p) => String(p.action)));
    users.push({ user, pass, ips, actions });
  }

  // Control API: the double exists to serve it.
  if (effective('api') !== true) throw new ConfigLoadError("the double serves the control API only: 'api' must be enabled");
  const apiAddress = effective('apiAddress');
  if (!apiAddress) throw new ConfigLoadError("'apiAddress' must be set when API is enabled");
  const api = splitHostPort(apiAddress);
  if (!api) throw new ConfigLoadError(`invalid apiAddress '${apiAddress}'`);
  if (effective('apiEncryption') === true) throw new ConfigLoadError('the double does not serve HTTPS');

  // RTSP listeners (conf.Validate + gortsplib's UDP listener rules).
  if (effective('rtsp') !== false && (effective('rtspEncryption') ?? 'no') !== 'strict') {
    if (!effective('rtspAddress')) throw new ConfigLoadError("'rtspAddress' must be set when RTSP is enabled and RTSP encryption is 'no' or 'optional'");
    const transports = effective('rtspTransports') ?? [];
    if (transports.includes('udp')) {
      const rtp = splitHostPort(effective('rtpAddress') ?? '');
      const rtcp = splitHostPort(effective('rtcpAddress') ?? '');
      if (!rtp) throw new ConfigLoadError("'rtpAddress' must be set when UDP is enabled and RTSP encryption is 'no' or 'optional'");
      if (!rtcp) throw new ConfigLoadError("'rtcpAddress' must be set when UDP is enabled and RTSP encryption is 'no' or 'optional'");
      if (rtp.port % 2 !== 0) throw new ConfigLoadError('RTP port must be even');
      if (rtcp.port !== rtp.port + 1) throw new ConfigLoadError('RTP and RTCP ports must be consecutive');
    }
    const methods = effective('rtspAuthMethods') ?? [];
    if (methods.length === 0) throw new ConfigLoadError("at least one 'rtspAuthMethods' must be provided");
    if (methods.includes('digest') && users.some((u) => u.pass.startsWith('sha256:') || u.pass.startsWith('argon2:'))) {
      throw new ConfigLoadError('when RTSP digest is enabled, hashed credentials cannot be used');
    }
  }
  // HLS: the muxer refuses fewer segments than its variant needs.
  const hlsEnabled = effective('hls') !== false;
  const hlsVariant = effective('hlsVariant') ?? 'lowLatency';
  const hlsSegmentCount = effective('hlsSegmentCount') ?? 7;
  let hlsListen: DoubleHlsConfig['listen'] = null;
  const hlsDuration = (key: 'hlsSegmentDuration' | 'hlsPartDuration' | 'hlsMuxerCloseAfter', fallback: string): number => {
    const value = effective(key) ?? fallback;
    try {
      return confParseDuration(value) / 1e6;
    } catch (e) {
      throw new ConfigLoadError(`json: ${(e as Error).message} (${key})`);
    }
  };
  const hlsSegmentDurationMs = hlsDuration('hlsSegmentDuration', '1s');
  const hlsPartDurationMs = hlsDuration('hlsPartDuration', '200ms');
  const hlsMuxerCloseAfterMs = hlsDuration('hlsMuxerCloseAfter', '60s');
  if (hlsEnabled) {
    if (!effective('hlsAddress')) throw new ConfigLoadError("'hlsAddress' must be set when HLS is enabled");
    if (hlsVariant === 'lowLatency' && hlsSegmentCount < 7) throw new ConfigLoadError('Low-Latency HLS requires at least 7 segments');
    if (hlsSegmentCount < 3) throw new ConfigLoadError('the minimum number of HLS segments is 3');
    if ('hlsAddress' in global) {
      hlsListen = splitHostPort(String(global.hlsAddress));
      if (!hlsListen) throw new ConfigLoadError(`invalid hlsAddress '${String(global.hlsAddress)}'`);
    }
  }
  const ice: DoubleConfig['ice'] = { udp: null, tcp: null };
  if (effective('webrtc') !== false) {
    if (!effective('webrtcAddress')) throw new ConfigLoadError("'webrtcAddress' must be set when WebRTC is enabled");
    const udp = effective('webrtcLocalUDPAddress') ?? '';
    const tcp = effective('webrtcLocalTCPAddress') ?? '';
    for (const [proto, key, value] of [
      ['udp', 'webrtcLocalUDPAddress', udp],
      ['tcp', 'webrtcLocalTCPAddress', tcp],
    ] as const) {
      if (!(key in global) || value === '') continue;
      const at = splitHostPort(value);
      if (!at) throw new ConfigLoadError(`invalid ${key} '${value}'`);
      ice[proto] = at;
    }
    const iceServers = effective('webrtcICEServers2') ?? [];
    if (udp === '' && tcp === '' && iceServers.length === 0) {
      throw new ConfigLoadError("at least one between 'webrtcLocalUDPAddress', 'webrtcLocalTCPAddress' or 'webrtcICEServers2' must be filled");
    }
  }

  const pathDefaults: Record<string, unknown> = {};
  for (const key of ref.pathDefaultKeys) pathDefaults[key] = normalizePathValue(ref, key, key in pd ? pd[key] : ref.pathDefaults[key]);

  return {
    apiHost: api.host,
    apiPort: api.port,
    users,
    pathDefaults,
    paths,
    logLevel: effective('logLevel') ?? 'info',
    ice,
    hls: {
      enabled: hlsEnabled,
      listen: hlsListen,
      variant: hlsVariant,
      segmentCount: hlsSegmentCount,
      segmentDurationMs: hlsSegmentDurationMs,
      partDurationMs: hlsPartDurationMs,
      muxerCloseAfterMs: hlsMuxerCloseAfterMs,
      alwaysRemux: effective('hlsAlwaysRemux') === true,
      encryption: effective('hlsEncryption') === true,
    },
  };
}
