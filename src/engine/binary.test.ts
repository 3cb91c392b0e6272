import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { doubleReleaseTarball, makeReleaseTarball, sha256hex, startReleaseServer, type ReleaseServer } from '../../test/doubles/mediamtx/release.js';
import { cachedBinaryPath, releasePlatform, resolveBinary, versionCacheDir } from './binary.js';
import { DownloadError } from '../managed/release-download.js';
import { checksumFor, downloadMediamtx, releaseAssetName } from './download.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'engine-binary-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function exe(path: string, mode = 0o755) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, mode);
}

/** Every file below `dir`, relative. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

const PLATFORM = (() => {
  const p = releasePlatform();
  return 'platform' in p ? p.platform : 'linux_amd64';
})();

describe('resolveBinary', () => {
  it('uses the explicit path when it is an executable file, and only it', async () => {
    const env = join(dataDir, 'custom', 'mediamtx');
    const bundled = join(dataDir, 'bundled', 'mediamtx');
    await exe(env);
    await exe(bundled);
    expect(await resolveBinary({ envPath: env, bundledPaths: [bundled], dataDir, allowDownload: false })).toEqual({ path: env, source: 'env' });
    const missing = join(dataDir, 'nope');
    expect(await resolveBinary({ envPath: missing, bundledPaths: [bundled], dataDir, allowDownload: false })).toEqual({
      path: null,
      reason: `TOPOSYNC_STREAMING_MEDIAMTX_PATH points to ${missing}, which does not exist`,
    });
    await exe(missing, 0o644);
    expect(await resolveBinary({ envPath: missing, dataDir, allowDownload: false })).toEqual({ path: null, reason: `TOPOSYNC_STREAMING_MEDIAMTX_PATH points to ${missing}, which is not executable` });
    expect(await resolveBinary({ envPath: dataDir, dataDir, allowDownload: false })).toMatchObject({ reason: expect.stringContaining('is not a regular file') });
  });

  it('then the bundled paths in order, then the cache of this version and platform', async () => {
    const first = join(dataDir, 'b1', 'mediamtx');
    const second = join(dataDir, 'b2', 'mediamtx');
    await exe(second);
    expect(await resolveBinary({ bundledPaths: [first, second], dataDir, allowDownload: false })).toEqual({ path: second, source: 'bundled' });
    const cached = cachedBinaryPath(dataDir, PLATFORM);
    expect(cached).toBe(join(dataDir, 'runtime', 'streaming', 'mediamtx', 'v1.20.1', PLATFORM, 'mediamtx'));
    await exe(cached);
    expect(await resolveBinary({ bundledPaths: [first], dataDir, allowDownload: false })).toEqual({ path: cached, source: 'cache' });
  });

  it('says precisely why there is none', async () => {
    const r = await resolveBinary({ bundledPaths: [join(dataDir, 'x')], dataDir, allowDownload: false });
    expect(r.path).toBeNull();
    expect('reason' in r && r.reason).toMatch(/not bundled and not in the cache; automatic download is disabled \(settings\.engine\.allow_download=false\)$/);
    const allowed = await resolveBinary({ bundledPaths: [], dataDir, allowDownload: true });
    expect('reason' in allowed && allowed.reason).toMatch(/will be downloaded/);
    const arm = await resolveBinary({ bundledPaths: [], dataDir, allowDownload: true, platform: 'linux', arch: 'ia32' });
    expect('reason' in arm && arm.reason).toMatch(/unsupported architecture ia32/);
  });

  it('maps Node architectures to release platforms', () => {
    expect(releasePlatform('linux', 'x64')).toEqual({ platform: 'linux_amd64' });
    expect(releasePlatform('linux', 'arm64')).toEqual({ platform: 'linux_arm64' });
    expect(releasePlatform('linux', 'arm')).toHaveProperty('reason');
    expect(releasePlatform('darwin', 'arm64')).toHaveProperty('reason');
  });
});

describe('downloadMediamtx', () => {
  let server: ReleaseServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  const asset = releaseAssetName(PLATFORM);
  const serve = async (tarball: Buffer, checksums: string | number) => {
    server = await startReleaseServer({ [`v1.20.1/${asset}`]: tarball, 'v1.20.1/checksums.sha256': checksums });
    return server;
  };
  const download = (s: ReleaseServer) => downloadMediamtx({ dataDir, platform: PLATFORM, baseUrl: s.baseUrl });

  it('parses sha256sum -b listings', () => {
    const h = 'a'.repeat(64);
    expect(checksumFor(`${'b'.repeat(64)} *other.tar.gz\n${h} *${asset}\n`, asset)).toBe(h);
    expect(checksumFor(`${h}  ${asset}\n`, asset)).toBe(h);
    expect(checksumFor(`${h}  ${asset}.sig\n`, asset)).toBeNull();
  });

  it('installs a verified release into the cache as an executable and removes every temporary file', async () => {
    const tarball = await doubleReleaseTarball();
    const s = await serve(tarball, `${sha256hex('other')} *mediamtx_v1.20.1_darwin_amd64.tar.gz\n${sha256hex(tarball)} *${asset}\n`);
    const path = await download(s);
    expect(path).toBe(cachedBinaryPath(dataDir, PLATFORM));
    expect((await stat(path)).mode & 0o777).toBe(0o755);
    expect(await tree(versionCacheDir(dataDir))).toEqual([`${PLATFORM}/mediamtx`]);
    expect(s.hits).toEqual(['v1.20.1/checksums.sha256', `v1.20.1/${asset}`]);
    expect(await resolveBinary({ bundledPaths: [], dataDir, allowDownload: false })).toEqual({ path, source: 'cache' });
  });

  it('refuses a tarball whose SHA-256 does not match, leaving nothing behind', async () => {
    const tarball = await doubleReleaseTarball();
    const s = await serve(tarball, `${sha256hex('something else')} *${asset}\n`);
    const err = await download(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).kind).toBe('checksum_mismatch');
    expect((err as DownloadError).message).toContain(sha256hex(tarball));
    expect(await tree(join(dataDir, 'runtime'))).toEqual([]);
  });

  it.each([
    ['no line for the asset', (t: Buffer) => `${sha256hex(t)} *mediamtx_v1.20.1_windows_amd64.zip\n`, 'checksum_missing'],
    ['checksums.sha256 answering 404', () => 404, 'http'],
    ['checksums.sha256 answering 500', () => 500, 'http'],
  ] as const)('refuses with %s', async (_what, checksums, kind) => {
    const tarball = await doubleReleaseTarball();
    const s = await serve(tarball, checksums(tarball));
    await expect(download(s)).rejects.toMatchObject({ kind });
    expect(await tree(join(dataDir, 'runtime'))).toEqual([]);
  });

  it('refuses a verified archive without a mediamtx file at its root', async () => {
    const tarball = await makeReleaseTarball({ LICENSE: { content: 'MIT' }, 'mediamtx.yml': { content: '' } });
    const s = await serve(tarball, `${sha256hex(tarball)} *${asset}\n`);
    await expect(download(s)).rejects.toMatchObject({ kind: 'bad_archive' });
    expect(await tree(join(dataDir, 'runtime'))).toEqual([]);
  });

  it('refuses when the tarball itself is missing or the server is unreachable', async () => {
    server = await startReleaseServer({ 'v1.20.1/checksums.sha256': `${'c'.repeat(64)} *${asset}\n` });
    await expect(download(server)).rejects.toMatchObject({ kind: 'http' });
    await expect(downloadMediamtx({ dataDir, platform: PLATFORM, baseUrl: 'http://127.0.0.1:1' })).rejects.toMatchObject({ kind: 'network' });
    expect(await tree(join(dataDir, 'runtime'))).toEqual([]);
  });
});
