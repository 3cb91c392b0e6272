import * as v from 'valibot';
import { pathNameError } from '../domain/engine-path.js';
import { redactUrls } from '../shared/logger.js';

/**
 * Go duration syntax as MediaMTX's `conf.Duration` reads it: an optional `<n>d` prefix, then
 * `time.ParseDuration` units. Returns nanoseconds, or null when MediaMTX would refuse it.
 */
export function parseGoDuration(input: string): number | null {
  let s = input;
  let negative = false;
  let total = 0;
  const days = /^(-?[0-9]+)d/.exec(s);
  if (days) {
    const n = Number(days[1]);
    if (n < 0) negative = true;
    total += Math.abs(n) * 86_400e9;
    s = s.slice(days[0].length);
  }
  if (s !== '') {
    let sign = 1;
    if (s.startsWith('-') || s.startsWith('+')) {
      if (s.startsWith('-')) sign = -1;
      s = s.slice(1);
    }
    if (s === '0') return 0;
    if (s === '') return null;
    const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
    const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
    let rest = s;
    let sum = 0;
    while (rest !== '') {
      const m = re.exec(rest);
      if (!m || m[1] === '' || m[1] === '.') return null;
      sum += Number(m[1]) * units[m[2]!]!;
      rest = rest.slice(m[0].length);
    }
    total += sign * sum;
  }
  return negative ? -total : total;
}

const duration = v.pipe(
  v.string(),
  v.check((s) => parseGoDuration(s) !== null && parseGoDuration(s)! > 0, 'must be a positive Go duration such as "10s" or "1m30s"'),
);

/** Keys of MediaMTX's PathConf whose values are durations (compared by value, not by spelling). */
const DURATION_KEYS = new Set(['sourceOnDemandStartTimeout', 'sourceOnDemandCloseAfter', 'runOnDemandStartTimeout', 'runOnDemandCloseAfter']);

/**
 * The subset of MediaMTX's PathConf this server sets at runtime through the control API. Unknown
 * keys are refused here, before MediaMTX (which refuses them too) sees them.
 */
/**
 * `source` values this server sets: `publisher`, or a pull URL with a host in one of the schemes
 * MediaMTX v1.20.1 pulls a camera with (conf.Path.validate; the camera API accepts the same ones).
 */
const SOURCE_RE = /^(rtsps?|rtsps?\+http|rtsps?\+ws|rtmps?|https?|srt|wheps?):\/\/[^/\s]+/;
const SOURCE_MESSAGE = 'must be "publisher" or a pull URL (rtsp(s), rtsp(s)+http, rtsp(s)+ws, rtmp(s), http(s), srt, whep(s))';

const pathConfSchema = v.strictObject({
  /** `publisher`, or a pull URL (`rtsp://user:pass@cam/...`, `rtsp://127.0.0.1:<rtsp>/<path>` for an alias). */
  source: v.pipe(
    v.string(),
    v.check((s) => s === 'publisher' || SOURCE_RE.test(s), SOURCE_MESSAGE),
  ),
  /** SHA-256 of a TLS source's certificate, lowercase hex: trusted instead of the system CAs. */
  sourceFingerprint: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hexadecimal digits'))),
  sourceOnDemand: v.optional(v.boolean()),
  sourceOnDemandStartTimeout: v.optional(duration),
  sourceOnDemandCloseAfter: v.optional(duration),
  rtspTransport: v.optional(v.picklist(['automatic', 'udp', 'multicast', 'tcp'])),
  /** A publisher path's command run when a reader arrives (our on-demand notifier, src/runtime/on-demand.ts). */
  runOnDemand: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  runOnDemandStartTimeout: v.optional(duration),
  runOnDemandCloseAfter: v.optional(duration),
  maxReaders: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  overridePublisher: v.optional(v.boolean()),
  record: v.optional(v.boolean()),
});
export type PathConf = v.InferOutput<typeof pathConfSchema>;

/** Why a desired path config is refused (paths and messages only: never the source URL). */
export function pathConfError(name: string, conf: unknown): string | null {
  const nameErr = pathNameError(name);
  if (nameErr) return `invalid path name: ${nameErr}`;
  const parsed = v.safeParse(pathConfSchema, conf);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = v.getDotPath(issue) ?? 'conf';
    // The message only: an issue's input would be the URL with its credentials.
    return `${key}: ${key === 'source' ? SOURCE_MESSAGE : issue.message}`;
  }
  if (parsed.output.source === 'publisher' && parsed.output.sourceOnDemand) return "sourceOnDemand: is useless when source is 'publisher'";
  if (parsed.output.runOnDemand && parsed.output.source !== 'publisher') return "runOnDemand: can be used only when source is 'publisher'";
  return null;
}

function normalize(key: string, value: unknown): unknown {
  if (DURATION_KEYS.has(key) && typeof value === 'string') return parseGoDuration(value);
  return value;
}

/**
 * Whether the engine's config of a path already matches what we want: only the keys we set are
 * compared (the engine reports every PathConf field), durations by value ("60s" == "1m0s").
 */
export function samePathConf(desired: PathConf, actual: Record<string, unknown>): boolean {
  // Optional keys may be present and undefined, which entries() does not type.
  for (const [key, value] of Object.entries(desired) as [string, unknown][]) {
    if (value === undefined) continue;
    if (!(key in actual)) return false;
    if (normalize(key, value) !== normalize(key, actual[key])) return false;
  }
  return true;
}

/** A path config safe to log: the credentials of a pull URL replaced. */
export function redactPathConf(conf: PathConf): PathConf {
  return { ...conf, source: redactUrls(conf.source) };
}
