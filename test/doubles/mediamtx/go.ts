/**
 * Go behaviours MediaMTX exposes through its config and API, re-implemented for the double
 * independently of the server code it checks.
 */

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration, in nanoseconds; throws Go's message on bad input. */
function goParseDuration(input: string): number {
  let s = input;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration "${input}"`);
  let total = 0;
  while (s !== '') {
    const m = /^([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)?/.exec(s);
    if (!m || m[1] === '' || m[1] === '.') throw new Error(`time: invalid duration "${input}"`);
    if (!m[2]) throw new Error(`time: missing unit in duration "${input}"`);
    const unit = /^(ns|us|µs|μs|ms|s|m|h)/.exec(m[2]);
    if (!unit) throw new Error(`time: unknown unit "${m[2]}" in duration "${input}"`);
    total += Number(m[1]) * UNITS[unit[1]!]!;
    s = s.slice(m[1]!.length + unit[1]!.length);
  }
  return neg ? -total : total;
}

/** conf.Duration unmarshal: an optional `<n>d` prefix, then time.ParseDuration. */
export function confParseDuration(input: string): number {
  let s = input;
  let days = 0;
  const m = /^(-?[0-9]+)d/.exec(s);
  if (m) {
    days = Number(m[1]);
    s = s.slice(m[0].length);
  }
  let ns = s === '' ? 0 : goParseDuration(s);
  ns += Math.abs(days) * 86_400e9;
  return days < 0 ? -ns : ns;
}

function frac(v: number, unit: number): string {
  const whole = Math.floor(v / unit);
  const rest = v - whole * unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** time.Duration.String(). */
export function goFormatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  const u = Math.abs(Math.round(ns));
  let out: string;
  if (u < 1e3) out = `${u}ns`;
  else if (u < 1e6) out = `${frac(u, 1e3)}µs`;
  else if (u < 1e9) out = `${frac(u, 1e6)}ms`;
  else {
    const h = Math.floor(u / 3600e9);
    const m = Math.floor((u - h * 3600e9) / 60e9);
    const sNs = u - h * 3600e9 - m * 60e9;
    out = `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${frac(sNs, 1e9)}s`;
  }
  return neg ? `-${out}` : out;
}

/** conf.Duration marshal: whole days as `<n>d`, the rest as time.Duration.String(); zero is "". */
export function confFormatDuration(ns: number): string {
  const neg = ns < 0;
  const u = Math.abs(ns);
  const day = 86_400e9;
  const days = Math.floor(u / day);
  const rest = u - days * day;
  return `${neg ? '-' : ''}${days > 0 ? `${days}d` : ''}${rest !== 0 ? goFormatDuration(rest) : ''}`;
}

/** PathConf fields of type conf.Duration (internal/conf/path.go, v1.20.1). */
export const PATH_DURATION_KEYS = new Set([
  'sourceOnDemandStartTimeout',
  'sourceOnDemandCloseAfter',
  'recordPartDuration',
  'recordSegmentDuration',
  'recordDeleteAfter',
  'whepSTUNGatherTimeout',
  'whepHandshakeTimeout',
  'whepTrackGatherTimeout',
  'runOnDemandStartTimeout',
  'runOnDemandCloseAfter',
]);

const PLAIN_CREDENTIAL = /^[a-zA-Z0-9!$()*+.;<=>[\]^_\-{}@#&]+$/;
const SHA256_CREDENTIAL = /^sha256:[a-zA-Z0-9+/=]+$/;

/** conf.Credential validation. */
export function credentialError(value: string): string | null {
  if (value === '') return null;
  if (value.startsWith('sha256:')) return SHA256_CREDENTIAL.test(value) ? null : 'credential contains unsupported characters, sha256 hash must be base64 encoded';
  if (value.startsWith('argon2:')) return null;
  return PLAIN_CREDENTIAL.test(value) ? null : 'credential contains unsupported characters';
}

/** conf.IsValidPathName. */
export function pathNameError(name: string): string | null {
  if (name === '') return 'cannot be empty';
  if (name.startsWith('/')) return "can't begin with a slash";
  if (name.endsWith('/')) return "can't end with a slash";
  if (!/^[0-9a-zA-Z_\-/.]+$/.test(name)) return 'can contain only alphanumeric characters, underscore, dot, minus, slash';
  if (name.split('/').some((s) => s === '.' || s === '..')) return "can't contain dot path segments";
  return null;
}

/** `host:port` / `:port` as Go's net.SplitHostPort reads a listener address. */
export function splitHostPort(address: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]*\]|[^:]*):(\d{1,5})$/.exec(address);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
