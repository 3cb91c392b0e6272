import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MEDIAMTX_VERSION } from '../../src/engine/binary.js';
import { releaseAssetName } from '../../src/engine/download.js';
import { GO2RTC_VERSION } from '../../src/sidecar/binary.js';
import { argDefault, envOf, parseDockerfile, runs, type Stage } from './dockerfile.js';
import { readText, ROOT } from './helpers.js';

// No Docker engine on these machines: the Dockerfile is read and its promises checked; the
// MediaMTX verification step is run for real against local files.
const { stages, global } = parseDockerfile(readText('Dockerfile'));
const stage = (name: string) => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage named ${name}`);
  return s;
};
const final = stages[stages.length - 1]!;
const allRuns = (s: Stage) => runs(s).join('\n');

describe('Dockerfile: base images', () => {
  it('builds the final image on the Home Assistant base image, Alpine 3.24, named in the file', () => {
    expect(final.image).toMatch(/^ghcr\.io\/home-assistant\/(?:base|amd64-base|aarch64-base):3\.24$/);
    expect(final.platform).toBeNull();
    // Not from a BUILD_FROM argument: older Supervisors would pass `...-base:latest` into it.
    expect(stages.map((s) => s.image).join(' ')).not.toMatch(/BUILD_FROM/);
    expect(global.some((i) => i.keyword === 'ARG' && /^BUILD_FROM\b/.test(i.args))).toBe(false);
    for (const s of stages.filter((x) => x.image.includes('home-assistant'))) expect(s.image, `stage ${s.name}`).toMatch(/:3\.24$/);
  });

  it('builds everything else on the build platform (BuildKit), never emulated', () => {
    for (const name of ['mediamtx', 'go2rtc', 'app']) expect(stage(name).platform, name).toBe('$BUILDPLATFORM');
  });
});

describe('Dockerfile: MediaMTX', () => {
  const s = stage('mediamtx');
  const run = allRuns(s);

  it(`pins ${MEDIAMTX_VERSION}, the version the server expects`, () => {
    expect(argDefault(s.instructions, 'MEDIAMTX_VERSION')).toBe(MEDIAMTX_VERSION);
    expect(MEDIAMTX_VERSION).toBe('v1.20.1');
  });

  it('downloads the release tarball and checksums.sha256 and checks them with `sha256sum -c` before unpacking', () => {
    expect(run).toContain('https://github.com/bluenviron/mediamtx/releases/download/${MEDIAMTX_VERSION}');
    expect(run).toMatch(/checksums\.sha256/);
    const check = run.indexOf('sha256sum -c');
    expect(check).toBeGreaterThan(run.indexOf('checksums.sha256'));
    expect(check).toBeLessThan(run.indexOf('tar -x'));
    expect(run).toMatch(/^set -eu;/);
    // curl -f: an HTTP error stops the build instead of saving an error page.
    for (const m of run.matchAll(/curl (\S+)/g)) expect(m[1]).toMatch(/^-\w*f/);
  });

  describe('the verification step, run for real against local release files', () => {
    const work = mkdtempSync(join(tmpdir(), 'toposync-dockerfile-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    /** Runs the stage's RUN with `curl` served from `release/` and `/out` redirected into the work dir. */
    function runStage(release: Record<string, Buffer | string>, targetArch: string) {
      const dir = mkdtempSync(join(work, 'case-'));
      const rel = join(dir, 'release');
      const bin = join(dir, 'bin');
      const cwd = join(dir, 'tmp');
      for (const d of [rel, bin, cwd]) mkdirSync(d);
      for (const [name, data] of Object.entries(release)) writeFileSync(join(rel, name), data);
      // A curl that serves the release folder by file name and logs each URL asked for.
      writeFileSync(
        join(bin, 'curl'),
        `#!/bin/sh\nout=''\nurl=''\nwhile [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; -*) shift ;; *) url="$1"; shift ;; esac; done\n` +
          `echo "$url" >> "${dir}/urls"\nf="${rel}/$(basename "$url")"\n[ -f "$f" ] || exit 22\ncp "$f" "$out"\n`,
      );
      chmodSync(join(bin, 'curl'), 0o755);
      const body = runs(s)[0]!.replaceAll('/out/', `${dir}/out/`);
      const res = spawnSync('sh', ['-c', body], {
        cwd,
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}`, TARGETARCH: targetArch, MEDIAMTX_VERSION: argDefault(s.instructions, 'MEDIAMTX_VERSION') },
      });
      const urls = existsSync(join(dir, 'urls')) ? readFileSync(join(dir, 'urls'), 'utf8').trim().split('\n') : [];
      return { ...res, dir, urls };
    }

    /** A release as MediaMTX publishes it: tarballs of mediamtx + mediamtx.yml + LICENSE, and `sha256sum -b *`. */
    function fakeRelease(tamper?: (files: Record<string, Buffer>) => void) {
      const src = mkdtempSync(join(work, 'release-'));
      const files: Record<string, Buffer> = {};
      for (const platform of ['linux_amd64', 'linux_arm64'] as const) {
        const d = join(src, platform);
        mkdirSync(d);
        writeFileSync(join(d, 'mediamtx'), `#!/bin/sh\necho ${platform}\n`);
        writeFileSync(join(d, 'mediamtx.yml'), 'logLevel: info\n');
        writeFileSync(join(d, 'LICENSE'), 'MIT License\n');
        const asset = releaseAssetName(platform);
        execFileSync('tar', ['-C', d, '-czf', join(src, asset), 'mediamtx', 'mediamtx.yml', 'LICENSE']);
        files[asset] = readFileSync(join(src, asset));
      }
      files['checksums.sha256'] = execFileSync('sha256sum', ['-b', ...Object.keys(files)], { cwd: src });
      tamper?.(files);
      return files;
    }

    it('installs the binary for the target architecture after a good checksum', () => {
      for (const [arch, platform] of [
        ['amd64', 'linux_amd64'],
        ['arm64', 'linux_arm64'],
      ] as const) {
        const res = runStage(fakeRelease(), arch);
        expect(res.status, res.stderr).toBe(0);
        expect(res.stdout).toMatch(/: OK/);
        const release = `https://github.com/bluenviron/mediamtx/releases/download/${MEDIAMTX_VERSION}`;
        expect(res.urls).toEqual([`${release}/checksums.sha256`, `${release}/${releaseAssetName(platform)}`]);
        expect(readFileSync(join(res.dir, 'out/mediamtx'), 'utf8')).toContain(platform);
        expect(existsSync(join(res.dir, 'out/licenses/mediamtx/LICENSE'))).toBe(true);
      }
    });

    it('stops the build when the tarball does not match checksums.sha256', () => {
      const res = runStage(
        fakeRelease((f) => {
          const name = releaseAssetName('linux_amd64');
          f[name] = Buffer.concat([f[name]!, Buffer.from('tampered')]);
        }),
        'amd64',
      );
      expect(res.status).not.toBe(0);
      expect(res.stdout + res.stderr).toMatch(/FAILED/);
      expect(existsSync(join(res.dir, 'out/mediamtx'))).toBe(false);
    });

    it('stops the build when checksums.sha256 has no line for the asset', () => {
      const res = runStage(
        fakeRelease((f) => {
          f['checksums.sha256'] = Buffer.from(
            String(f['checksums.sha256'])
              .split('\n')
              .filter((l) => !l.includes('linux_arm64'))
              .join('\n'),
          );
        }),
        'arm64',
      );
      expect(res.status).not.toBe(0);
      expect(existsSync(join(res.dir, 'out/mediamtx'))).toBe(false);
    });

    it('refuses an unknown target architecture (a build without BuildKit has none)', () => {
      for (const arch of ['', '386']) {
        const res = runStage(fakeRelease(), arch);
        expect(res.status).not.toBe(0);
        expect(res.stderr).toMatch(/TARGETARCH/);
      }
    });
  });
});

describe('Dockerfile: go2rtc', () => {
  const s = stage('go2rtc');
  const run = allRuns(s);

  it(`builds ${GO2RTC_VERSION}, the version the server expects, from its Go module`, () => {
    expect(argDefault(s.instructions, 'GO2RTC_VERSION')).toBe(GO2RTC_VERSION);
    expect(GO2RTC_VERSION).toBe('v1.9.14');
    expect(s.image).toMatch(/^golang:1\.\d+-alpine/);
    expect(run).toMatch(/go install [^;]*"github\.com\/AlexxIT\/go2rtc@\$\{GO2RTC_VERSION\}"/);
    expect(run).toContain('GOARCH="${TARGETARCH}"');
  });

  it('keeps the Go checksum database on (it is what verifies go2rtc), and pure Go', () => {
    const env = envOf(s.instructions);
    expect(env.GOSUMDB).toBe('sum.golang.org');
    expect(env.CGO_ENABLED).toBe('0');
    const text = readText('Dockerfile');
    for (const off of ['GOSUMDB=off', 'GONOSUMDB', 'GONOSUMCHECK', 'GOINSECURE', 'GOPRIVATE', 'GOFLAGS=-insecure', 'GOPROXY=off']) expect(text).not.toContain(off);
    // The Dockerfile says why, for the next person who updates it.
    expect(text).toMatch(/Go\s+(?:#\s*)?checksum\s+(?:#\s*)?database/);
  });

  it('the build step runs `go install` for the target architecture and collects the binary and licence', () => {
    // No Go toolchain here: a `go` stand-in that behaves like `go install` does with the golang
    // image's layout (GOPATH=/go: a cross-compiled binary lands in bin/linux_<arch>/, a native one
    // in bin/; module sources in pkg/mod with upper case letters encoded as !lower).
    const dir = mkdtempSync(join(tmpdir(), 'toposync-go2rtc-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'go'),
        `#!/bin/sh\nGOPATH="${dir}/go"\n` +
          `case "$1" in\n` +
          `  env) case "$2" in GOPATH) echo "$GOPATH" ;; GOMODCACHE) echo "$GOPATH/pkg/mod" ;; esac ;;\n` +
          `  install)\n    echo "$* GOOS=$GOOS GOARCH=$GOARCH CGO_ENABLED=$CGO_ENABLED GOSUMDB=$GOSUMDB GOTOOLCHAIN=$GOTOOLCHAIN" > "${dir}/go-call"\n` +
          `    mod="$GOPATH/pkg/mod/github.com/!alexx!i!t/go2rtc@v1.9.14"; mkdir -p "$mod" && echo MIT > "$mod/LICENSE"\n` +
          `    if [ "$GOARCH" = amd64 ]; then out="$GOPATH/bin"; else out="$GOPATH/bin/linux_$GOARCH"; fi\n` +
          `    mkdir -p "$out" && echo "go2rtc $GOARCH" > "$out/go2rtc" ;;\n` +
          `esac\n`,
      );
      chmodSync(join(bin, 'go'), 0o755);
      for (const arch of ['amd64', 'arm64']) {
        rmSync(join(dir, 'go'), { recursive: true, force: true });
        rmSync(join(dir, 'out'), { recursive: true, force: true });
        const body = runs(s)[0]!.replaceAll('/out/', `${dir}/out/`);
        const res = spawnSync('sh', ['-c', body], {
          encoding: 'utf8',
          env: { ...envOf(s.instructions), PATH: `${bin}:${process.env.PATH}`, TARGETARCH: arch, GO2RTC_VERSION: argDefault(s.instructions, 'GO2RTC_VERSION') },
        });
        expect(res.status, res.stderr).toBe(0);
        expect(readFileSync(join(dir, 'go-call'), 'utf8').trim()).toBe(
          `install -trimpath -ldflags -s -w github.com/AlexxIT/go2rtc@v1.9.14 GOOS=linux GOARCH=${arch} CGO_ENABLED=0 GOSUMDB=sum.golang.org GOTOOLCHAIN=local`,
        );
        expect(readFileSync(join(dir, 'out/go2rtc'), 'utf8')).toBe(`go2rtc ${arch}\n`);
        expect(existsSync(join(dir, 'out/licenses/go2rtc/LICENSE'))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the final image refuses a go2rtc that is not exactly v1.9.14 (a +dev build would say so)', () => {
    expect(allRuns(final)).toContain(`go2rtc -version | grep -F "go2rtc version ${GO2RTC_VERSION.slice(1)} "`);
    expect(allRuns(final)).toContain('mediamtx --version');
  });
});

describe('Dockerfile: the server and web UI', () => {
  const s = stage('app');
  const run = allRuns(s);
  const pkg = JSON.parse(readText('package.json')) as { scripts: Record<string, string> };

  it('installs with npm ci, builds server and UI, checks both outputs, then keeps production dependencies only', () => {
    expect(run).toMatch(/npm ci\b/);
    const order = ['npm run build ', 'test -f dist/main.js', 'test -f web/dist/app.js', 'npm prune --omit=dev'].map((c) => run.indexOf(c));
    for (const i of order) expect(i).toBeGreaterThanOrEqual(0);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(s.instructions.some((i) => i.keyword === 'COPY' && i.args.includes('package.json package-lock.json'))).toBe(true);
  });

  it('`npm run build` builds the server (dist/) and the web UI (web/dist/), as the image expects', () => {
    // The server's UI route serves web/dist/app.js next to dist/ (src/web/ui.ts), so both must come
    // out of the one build the image runs.
    expect(pkg.scripts.build).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(pkg.scripts.build).toMatch(/npm run build:web/);
    expect(pkg.scripts['build:web']).toBeDefined();
  });

  it('the final stage gets only package.json, production node_modules, dist, web/dist and the transport frame check from it', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY' && i.flags.from === 'app').map((i) => i.args.split(/\s+/)[0]);
    expect(copies.sort()).toEqual(['/src/dist', '/src/node_modules', '/src/package.json', '/src/scripts/check_stream_transport_frames.mjs', '/src/web/dist']);
    // No build context in the final stage other than rootfs/, and no dev install there.
    const contextCopies = final.instructions.filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.flags.from).map((i) => i.args);
    expect(contextCopies).toEqual(['rootfs /']);
    expect(allRuns(final)).not.toMatch(/npm (ci|install)(?![^;&]*--omit=dev)/);
    expect(allRuns(final)).toMatch(/apk add --no-cache nodejs ffmpeg/);
  });

  it('production dependencies run on either architecture: no install scripts, no platform-specific packages', () => {
    // The app stage runs on the build platform and its node_modules is copied into an image of the
    // target platform, which is only right for plain JavaScript packages.
    const lock = JSON.parse(readText('package-lock.json')) as { packages: Record<string, Record<string, unknown>> };
    const prod = Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.dev !== true);
    expect(prod.length).toBeGreaterThan(0);
    const native = prod.filter(([, p]) => [p.hasInstallScript, p.os, p.cpu, p.libc, p.gypfile].some(Boolean)).map(([path]) => path);
    expect(native).toEqual([]);
  });
});

describe('Dockerfile: runtime', () => {
  it('has a HEALTHCHECK that asks the server, with the script that rootfs/ installs', () => {
    const hc = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(hc).toBeDefined();
    expect(hc?.args).toMatch(/^CMD \["node", "\/usr\/local\/lib\/toposync-streaming\/healthcheck\.mjs"\]$/);
    expect(existsSync(join(ROOT, 'rootfs/usr/local/lib/toposync-streaming/healthcheck.mjs'))).toBe(true);
    expect(readText('rootfs/usr/local/lib/toposync-streaming/healthcheck.mjs')).toContain('/api/streams/engine/status');
    for (const f of ['interval', 'timeout', 'start-period', 'retries']) expect(hc?.flags, f).toHaveProperty(f);
  });

  it('copies rootfs/ and the bundled binaries where the server looks for them', () => {
    const copy = (src: RegExp) => final.instructions.some((i) => i.keyword === 'COPY' && src.test(i.args));
    expect(copy(/^\/out\/mediamtx \/usr\/local\/bin\/mediamtx$/)).toBe(true);
    expect(copy(/^\/out\/go2rtc \/usr\/local\/bin\/go2rtc$/)).toBe(true);
    expect(copy(/^rootfs \/$/)).toBe(true);
    const runScript = readText('rootfs/etc/s6-overlay/s6-rc.d/toposync-streaming/run');
    expect(runScript).toContain('/usr/local/bin/mediamtx');
    expect(runScript).toContain('/usr/local/bin/go2rtc');
    expect(final.instructions.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
  });

  it('carries image labels', () => {
    const labels = final.instructions
      .filter((i) => i.keyword === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const l of ['org.opencontainers.image.title', 'org.opencontainers.image.description', 'org.opencontainers.image.source', 'org.opencontainers.image.version']) {
      expect(labels).toContain(`${l}=`);
    }
  });

  it('.dockerignore keeps local build output and data out of the context', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'data', 'test-results']));
  });

  it('the parser reads continued lines and drops comments inside them, as Docker does', () => {
    const p = parseDockerfile('# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM a:1 AS x\nRUN echo a \\\n  # note\n  && echo b\nFROM b:2\nCOPY --from=x /a /b\n');
    expect(p.directives.syntax).toBe('docker/dockerfile:1');
    expect(p.stages.map((st) => [st.name, st.image, st.platform])).toEqual([
      ['x', 'a:1', '$BUILDPLATFORM'],
      [null, 'b:2', null],
    ]);
    expect(runs(p.stages[0]!)[0]).toMatch(/^echo a\s+&& echo b$/);
    expect(p.stages[1]?.instructions[0]).toMatchObject({ keyword: 'COPY', flags: { from: 'x' }, args: '/a /b' });
  });
});
