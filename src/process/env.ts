/**
 * Environment of a child. The server's own environment is never passed on wholesale, not even when a spec
 * has no `env`: in the add-on it holds `SUPERVISOR_TOKEN` (full Home Assistant Supervisor API access) and
 * possibly other credentials that FFmpeg, MediaMTX or go2rtc never need and must not be able to leak
 * (e.g. through a `runOnDemand` command or a crash dump). Children get the variables below that make
 * programs work (binary and library lookup, locale, time zone, temp dir, TLS trust, proxies, fonts), and
 * `spec.env` adds to or overrides them.
 */
export const INHERITED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'LD_LIBRARY_PATH',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'FONTCONFIG_FILE',
  'FONTCONFIG_PATH',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
];

export function childEnv(specEnv: Record<string, string> | undefined, parentEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parentEnv)) {
    if (value === undefined) continue;
    if (INHERITED_ENV.includes(key) || key.startsWith('LC_')) env[key] = value;
  }
  if (specEnv) {
    for (const [key, value] of Object.entries(specEnv)) {
      if (typeof value !== 'string') throw new TypeError(`env.${key} must be a string`);
      env[key] = value;
    }
  }
  return env;
}
