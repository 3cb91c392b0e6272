import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLED_PATHS, engineRuntimeDir } from '../../src/engine/binary.js';
import { SOCKET_FILE } from '../../src/runtime/on-demand.js';
import { DEFAULT_FONT_PATH } from '../../src/runtime/placeholder.js';
import { secretInputDir } from '../../src/runtime/secret-input.js';
import { DEFAULT_GO2RTC_BUNDLED_PATHS, sidecarRuntimeDir } from '../../src/sidecar/binary.js';
import { allows, fileRules, globToRegExp, readProfiles, runParser } from './apparmor.js';
import { parseDockerfile } from './dockerfile.js';
import { readText, readYaml } from './helpers.js';

const text = readText('apparmor.txt');
const slug = readYaml('config.yaml').slug as string;
const profiles = readProfiles(text);
const outer = profiles[0]!;
const server = profiles.find((p) => p.name === `${slug}//server`)!;
const serverFiles = fileRules(server);
const runScript = readText('rootfs/etc/s6-overlay/s6-rc.d/toposync-streaming/run');
const { stages } = parseDockerfile(readText('Dockerfile'));
const finalStage = stages[stages.length - 1];

/** A default of the s6 run script (`: "${NAME:=value}"` or `"${NAME:-value}"`). */
const runDefault = (name: string) => new RegExp(`\\$\\{${name}:[=-]([^}]+)\\}`).exec(runScript)?.[1];
/** Where the final stage copies a file from another stage (`COPY --from=<stage> <src> <dest>`). */
const copiedTo = (from: string, source: string) => finalStage?.instructions.find((i) => i.keyword === 'COPY' && i.flags.from === from && i.args.split(/\s+/)[0] === source)?.args.split(/\s+/)[1];

// Supervisor's supervisor/utils/apparmor.py: the profile name is read from the lines that start
// with `profile ` (one name, or the file is refused) and replaced by the add-on's full slug.
const SUPERVISOR_PROFILE_LINE = /^profile ([^ ]+).*$/;
const supervisorProfileNames = (t: string) => new Set(t.split('\n').flatMap((l) => SUPERVISOR_PROFILE_LINE.exec(l)?.[1] ?? []));
const FULL_SLUG = `0a1b2c3d_${slug}`;
const asSupervisorWritesIt = text
  .split('\n')
  .map((l) => (SUPERVISOR_PROFILE_LINE.test(l) ? l.replace(slug, FULL_SLUG) : l))
  .join('\n');

// The s6-overlay part of the example profile on developers.home-assistant.io ("Presenting your
// app", AppArmor), rule for rule.
const EXAMPLE_S6_RULES = [
  'file',
  'signal (send) set=(kill,term,int,hup,cont)',
  '/init ix',
  '/bin/** ix',
  '/usr/bin/** ix',
  '/run/{s6,s6-rc*,service}/** ix',
  '/package/** ix',
  '/command/** ix',
  '/etc/s6-overlay/** rwix',
  '/run/{,**} rwk',
  '/dev/tty rw',
  '/usr/lib/bashio/** ix',
  '/tmp/** rwk',
  '/data/** rw',
];

describe("apparmor.txt: Debian's apparmor_parser (parse only, no kernel load)", () => {
  it('compiles the profile', () => {
    const res = runParser([], text);
    expect(res.error, 'apparmor_parser is missing: bash scripts/setup.sh installs it').toBeUndefined();
    expect(res.messages).toBe('');
    expect(res.status).toBe(0);
  });

  it('compiles it under the name Supervisor gives it: the outer profile and the server child', () => {
    expect(supervisorProfileNames(text)).toEqual(new Set([slug]));
    expect(supervisorProfileNames(asSupervisorWritesIt)).toEqual(new Set([FULL_SLUG]));
    const res = runParser(['-N'], asSupervisorWritesIt);
    expect(res.status).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual([FULL_SLUG, `${FULL_SLUG}//server`]);
  });

  it('refuses a broken profile (the check is live)', () => {
    const res = runParser([], text.replace('/usr/bin/node cx -> server,', '/usr/bin/node cx -> server'));
    expect(res.status).not.toBe(0);
    expect(res.messages).toMatch(/error/i);
  });
});

describe('apparmor.txt: the outer profile (s6-overlay)', () => {
  it("keeps the s6-overlay rules of Home Assistant's example add-on", () => {
    for (const rule of EXAMPLE_S6_RULES) expect(outer.rules, rule).toContain(rule);
  });

  it('moves node, which the s6 run script execs, into the server profile', () => {
    expect(runScript).toMatch(/^exec node /m);
    // Alpine's nodejs package installs /usr/bin/node.
    expect(finalStage?.instructions.some((i) => i.keyword === 'RUN' && /apk add --no-cache nodejs\b/.test(i.args))).toBe(true);
    expect(fileRules(outer)).toContainEqual({ glob: '/usr/bin/node', perms: 'cx', target: 'server' });
  });

  it("lets Docker's HEALTHCHECK (run in this profile) reach the server over TCP, and nothing more of the network", () => {
    expect(outer.rules.filter((r) => r.startsWith('network'))).toEqual(['network inet stream', 'network inet6 stream']);
  });
});

describe('apparmor.txt: the server profile (node, MediaMTX, go2rtc, FFmpeg)', () => {
  it('takes s6-overlay signals from the outer profile, whatever repository prefix Supervisor gives it', () => {
    const peer = /^signal \(receive\) peer=(\S+)$/.exec(server.rules.find((r) => r.startsWith('signal')) ?? '')?.[1] ?? '';
    expect(globToRegExp(peer).test(FULL_SLUG)).toBe(true);
    expect(globToRegExp(peer).test(`local_${slug}`)).toBe(true);
    expect(globToRegExp(peer).test('0a1b2c3d_other_addon')).toBe(false);
  });

  it('runs exactly the programs the image installs: node, MediaMTX, go2rtc, FFmpeg', () => {
    const mediamtx = runDefault('TOPOSYNC_STREAMING_MEDIAMTX_PATH');
    const go2rtc = runDefault('TOPOSYNC_STREAMING_GO2RTC_PATH');
    expect(mediamtx).toBe(copiedTo('mediamtx', '/out/mediamtx'));
    expect(go2rtc).toBe(copiedTo('go2rtc', '/out/go2rtc'));
    expect(DEFAULT_BUNDLED_PATHS).toContain(mediamtx);
    expect(DEFAULT_GO2RTC_BUNDLED_PATHS).toContain(go2rtc);
    const execs = serverFiles.filter((r) => r.perms.includes('x'));
    // `ix`: the children inherit the server profile (no unconfined or other profile).
    expect(execs.map((r) => [r.glob, r.perms, r.target])).toEqual(['/usr/bin/node', mediamtx, go2rtc, '/usr/bin/ffmpeg', '/usr/bin/ffprobe'].map((p) => [p, 'rix', null]));
  });

  it('reads the compiled server and the web UI where the run script starts them', () => {
    const app = runDefault('TOPOSYNC_STREAMING_APP_DIR');
    expect(app).toBe('/app');
    for (const file of ['dist/main.js', 'web/dist/app.js', 'node_modules/hono/package.json', 'package.json']) {
      expect(allows(serverFiles, `${app}/${file}`, 'r'), file).toBe(true);
      expect(allows(serverFiles, `${app}/${file}`, 'w'), file).toBe(false);
    }
  });

  it('reads and writes its data: options, settings, secrets, rendered configs, secret inputs, the on-demand socket', () => {
    const data = runDefault('TOPOSYNC_STREAMING_DATA_DIR')!;
    expect(data).toBe('/data');
    const files = [
      `${data}/options.json`,
      `${data}/settings.json`,
      `${data}/secrets/media-token.key`,
      join(engineRuntimeDir(data), 'mediamtx.yml'),
      join(engineRuntimeDir(data), SOCKET_FILE),
      join(sidecarRuntimeDir(data), 'go2rtc.yaml'),
      join(secretInputDir(data), '0b6c0e0e-1f7a-4d55-9a35-5e2b1d1d7c11.ffconcat'),
    ];
    for (const file of files) expect(allows(serverFiles, file, 'rw'), file).toBe(true);
    // Written there, but never run from there (a downloaded engine binary would be refused).
    for (const file of files) expect(allows(serverFiles, file, 'x'), file).toBe(false);
  });

  it("reads node's ICU data, the placeholder font (the link and the Alpine file behind it), the TLS trust and the name service files", () => {
    const files = ['/usr/share/icu/76.1/icudt76l.dat', DEFAULT_FONT_PATH, '/usr/share/fonts/dejavu/DejaVuSans.ttf', '/etc/ssl/certs/ca-certificates.crt', '/etc/resolv.conf', '/etc/hosts'];
    for (const file of files) {
      expect(allows(serverFiles, file, 'r'), file).toBe(true);
    }
    expect(readText('Dockerfile')).toMatch(/apk add --no-cache nodejs ffmpeg font-dejavu/);
  });

  it("reads the process table for its children's groups, and nothing of it writable", () => {
    for (const file of ['/proc/', '/proc/4242/stat', '/proc/1/stat']) expect(allows(serverFiles, file, 'r'), file).toBe(true);
    for (const file of ['/proc/4242/environ', '/proc/4242/mem', '/proc/sys/kernel/core_pattern']) expect(allows(serverFiles, file, 'r'), file).toBe(false);
    expect(serverFiles.some((r) => /^@\{(?:PROC|sys)\}/.test(r.glob) && /[wax]/.test(r.perms))).toBe(false);
  });

  it('keeps out of what it has no business with', () => {
    // Paths inside the add-on's container, matched against the profile's rules as text; nothing here reads this machine's files.
    for (const file of ['/etc/shadow', '/etc/passwd', '/config/settings.yaml', '/share/x', '/ssl/fullchain.pem', '/root/.ssh/id_ed25519', '/tmp/x', '/run/s6/x']) {
      expect(allows(serverFiles, file, 'r'), file).toBe(false);
    }
    for (const file of ['/app/dist/main.js', '/usr/local/bin/mediamtx', '/usr/bin/node', '/etc/hosts']) expect(allows(serverFiles, file, 'w'), file).toBe(false);
  });

  it('uses TCP and UDP, netlink for the interface addresses and unix sockets; no raw or packet sockets', () => {
    expect(server.rules.filter((r) => r.startsWith('network')).sort()).toEqual(
      ['network inet stream', 'network inet6 stream', 'network inet dgram', 'network inet6 dgram', 'network netlink raw', 'network unix stream'].sort(),
    );
  });
});

describe('apparmor.txt: no broad rules', () => {
  it('grants no capability, and no whole-filesystem rule, in any profile', () => {
    for (const p of profiles) {
      expect(
        p.rules.filter((r) => /^(?:deny\s+|audit\s+)?capability\b/.test(r)),
        p.name,
      ).toEqual([]);
      expect(
        fileRules(p).filter((r) => /^\/\*\*?$|^\/\{/.test(r.glob)),
        p.name,
      ).toEqual([]);
    }
  });

  it('leaves the bare `file` rule to the outer s6 profile (the example) and never runs anything unconfined', () => {
    for (const p of profiles.slice(1))
      expect(
        p.rules.filter((r) => /^(?:file|network|signal|unix|dbus|mount|ptrace)$/.test(r)),
        p.name,
      ).toEqual([]);
    for (const p of profiles) {
      const unconfined = fileRules(p).filter((r) => /[uU]x|[pPcC]ux/.test(r.perms));
      expect(unconfined, p.name).toEqual([]);
      expect(
        p.rules.filter((r) => /^(?:change_profile|pivot_root|mount|umount|remount|ptrace)\b/.test(r)),
        p.name,
      ).toEqual([]);
    }
  });

  it('the rule reader above sees what the parser sees (a broad rule would be caught)', () => {
    const broad = readProfiles('profile x {\n  /** rwix,\n  capability,\n  profile y {\n    file,\n  }\n}\n');
    expect(broad.map((p) => p.name)).toEqual(['x', 'x//y']);
    expect(broad[0]?.rules).toEqual(['/** rwix', 'capability']);
    expect(allows(fileRules(broad[0]!), '/etc/shadow', 'rw')).toBe(true);
    expect(globToRegExp('@{PROC}/@{pid}/{cgroup,fd/}').test('/proc/12/fd/')).toBe(true);
    expect(globToRegExp('/run/{s6,s6-rc*,service}/**').test('/run/s6-rc:s6-rc-init:x/servicedirs/y')).toBe(true);
    expect(globToRegExp('/data/*').test('/data/a/b')).toBe(false);
  });
});
