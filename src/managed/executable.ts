import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

/** Release assets exist for these two; the add-on image is amd64 or aarch64. */
export type ReleasePlatform = 'linux_amd64' | 'linux_arm64';
export type ExecutableSource = 'env' | 'bundled' | 'cache';
export type ExecutableResolution = { path: string; source: ExecutableSource } | { path: null; reason: string };

/** The release asset suffix for this machine, or why there is none. */
export function releasePlatformFor(
  { product, version }: { product: string; version: string },
  { platform = process.platform, arch = process.arch }: { platform?: string | undefined; arch?: string | undefined } = {},
): { platform: ReleasePlatform } | { reason: string } {
  if (platform !== 'linux') return { reason: `${product} release binaries are used on Linux only (this is ${platform}/${arch})` };
  if (arch === 'x64') return { platform: 'linux_amd64' };
  if (arch === 'arm64') return { platform: 'linux_arm64' };
  return { reason: `unsupported architecture ${arch}: ${product} ${version} is fetched for linux_amd64 and linux_arm64 only` };
}

/** Null when `path` is an executable regular file, otherwise why not (in words). */
export async function executableProblem(path: string): Promise<string | null> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
  }
  if (!info.isFile()) return 'is not a regular file';
  try {
    await access(path, constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return null;
}

interface FindExecutableOptions {
  product: string;
  version: string;
  /** The environment variable that overrides the lookup, for messages. */
  envVar: string;
  envPath?: string | undefined;
  bundledPaths: readonly string[];
  cachedPath: (platform: ReleasePlatform) => string;
  /** How the reason ends when nothing is found: how to get it, or why it will not be fetched. */
  missingTail: (platform: ReleasePlatform) => string;
  platform?: string | undefined;
  arch?: string | undefined;
}

/**
 * Finds a supervised binary: the explicit path (when set, the only candidate: a wrong override is
 * an error, not a reason to silently run another binary), then the image's paths, then the
 * download cache of this version and platform. A missing binary is a reason, never a throw.
 */
async function findExecutable(o: FindExecutableOptions): Promise<ExecutableResolution> {
  if (o.envPath !== undefined && o.envPath !== '') {
    const problem = await executableProblem(o.envPath);
    if (problem === null) return { path: o.envPath, source: 'env' };
    return { path: null, reason: `${o.envVar} points to ${o.envPath}, which ${problem}` };
  }
  const notes: string[] = [];
  for (const candidate of o.bundledPaths) {
    const problem = await executableProblem(candidate);
    if (problem === null) return { path: candidate, source: 'bundled' };
    if (problem !== 'does not exist') notes.push(`${candidate} ${problem}`);
  }
  const rp = releasePlatformFor(o, o);
  if ('reason' in rp) {
    return { path: null, reason: `${o.product} is not bundled (${o.bundledPaths.join(', ') || 'no bundled paths'}) and cannot be downloaded: ${rp.reason}` };
  }
  const cached = o.cachedPath(rp.platform);
  const cacheProblem = await executableProblem(cached);
  if (cacheProblem === null) return { path: cached, source: 'cache' };
  if (cacheProblem !== 'does not exist') notes.push(`${cached} ${cacheProblem}`);
  const extra = notes.length ? ` (${notes.join('; ')})` : '';
  return { path: null, reason: `${o.product} ${o.version} is not bundled and not in the cache${extra}; ${o.missingTail(rp.platform)}` };
}

/** How one product's binary is found; see {@link binaryResolver}. */
export interface BinaryLookup {
  product: string;
  version: string;
  /** The environment variable that overrides the lookup, for messages. */
  envVar: string;
  /** Where the add-on image installs it. */
  defaultBundledPaths: readonly string[];
  cachedPath: (dataDir: string, platform: ReleasePlatform) => string;
  /** How the reason ends when nothing is found, with downloads allowed or not. */
  missingTail: (allowDownload: boolean, platform: ReleasePlatform) => string;
}

export interface ResolveBinaryOptions {
  /** The override variable's value, if set (read by the caller, not here). */
  envPath?: string | undefined;
  bundledPaths?: readonly string[];
  dataDir: string;
  /** Whether downloading is allowed: only changes the wording of the reason. */
  allowDownload: boolean;
  platform?: string;
  arch?: string;
}

/** A product's binary finder (see {@link findExecutable}). */
export function binaryResolver(lookup: BinaryLookup): (options: ResolveBinaryOptions) => Promise<ExecutableResolution> {
  return (o) =>
    findExecutable({
      product: lookup.product,
      version: lookup.version,
      envVar: lookup.envVar,
      envPath: o.envPath,
      bundledPaths: o.bundledPaths ?? lookup.defaultBundledPaths,
      cachedPath: (platform) => lookup.cachedPath(o.dataDir, platform),
      missingTail: (platform) => lookup.missingTail(o.allowDownload, platform),
      platform: o.platform,
      arch: o.arch,
    });
}
