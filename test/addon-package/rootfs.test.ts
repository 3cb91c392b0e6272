import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile, runs } from './dockerfile.js';
import { readText, ROOT } from './helpers.js';

const RC = join(ROOT, 'rootfs/etc/s6-overlay/s6-rc.d');
const SERVICE = join(RC, 'toposync-streaming');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The shell a script runs under, from its shebang (`#!/command/with-contenv bashio` -> bash), or null for a non-shell file. */
export function shellOf(file: string): 'sh' | 'bash' | null {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  if (!first.startsWith('#!')) return null;
  const words = first.slice(2).trim().split(/\s+/);
  const interpreter = (words[words.length - 1] ?? '').split('/').pop();
  if (interpreter === 'sh' || interpreter === 'dash' || interpreter === 'ash') return 'sh';
  if (interpreter === 'bash' || interpreter === 'bashio') return 'bash';
  return null;
}

const scripts = walk(join(ROOT, 'rootfs')).filter((f) => shellOf(f) !== null);

describe('rootfs: s6-overlay v3 service', () => {
  it('is a longrun in the user bundle, started after the base bundle', () => {
    expect(readFileSync(join(SERVICE, 'type'), 'utf8').trim()).toBe('longrun');
    expect(existsSync(join(SERVICE, 'dependencies.d/base'))).toBe(true);
    expect(existsSync(join(RC, 'user/contents.d/toposync-streaming'))).toBe(true);
  });

  it('run and finish get the container environment through with-contenv (SUPERVISOR_TOKEN reaches the server)', () => {
    for (const f of ['run', 'finish']) {
      expect(readFileSync(join(SERVICE, f), 'utf8').split('\n', 1)[0]).toMatch(/^#!\/(?:command|usr\/bin)\/with-contenv (?:sh|bash|bashio)$/);
    }
  });

  it('run and finish are executable on disk and in git', () => {
    for (const f of ['run', 'finish']) {
      const path = join(SERVICE, f);
      expect(statSync(path).mode & 0o111, `${f} is not executable`).toBe(0o111);
      const staged = execFileSync('git', ['ls-files', '-s', '--', relative(ROOT, path)], { cwd: ROOT, encoding: 'utf8' }).trim();
      // Not yet in git: nothing to compare. In git: the mode must carry the execute bit.
      if (staged !== '') expect(staged.split(/\s+/)[0]).toBe('100755');
    }
  });
});

describe('shellcheck (Debian package) passes on every script under rootfs/', () => {
  it('finds the scripts to check', () => {
    expect(scripts.map((f) => relative(ROOT, f)).sort()).toEqual(
      expect.arrayContaining(['rootfs/etc/s6-overlay/s6-rc.d/toposync-streaming/finish', 'rootfs/etc/s6-overlay/s6-rc.d/toposync-streaming/run']),
    );
  });

  for (const file of scripts) {
    it(relative(ROOT, file), () => {
      const shell = shellOf(file) as string;
      const res = spawnSync('shellcheck', ['-x', '-s', shell, '--format', 'gcc', file], { encoding: 'utf8' });
      expect(res.error, 'shellcheck is missing: bash scripts/setup.sh installs it').toBeUndefined();
      expect(res.stdout + res.stderr).toBe('');
      expect(res.status).toBe(0);
    });
  }

  it('flags a broken script (the check is live)', () => {
    const res = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: '#!/bin/sh\necho $1 | cat $undefined_var\n[[ -f x ]]\n', encoding: 'utf8' });
    expect(res.status).not.toBe(0);
  });
});

describe('shellcheck passes on every RUN of the Dockerfile', () => {
  const { stages } = parseDockerfile(readText('Dockerfile'));
  const bodies = stages.flatMap((s) => runs(s).map((body, i) => ({ name: `${s.name ?? `stage ${s.index}`} RUN #${i + 1}`, body })));

  for (const { name, body } of bodies) {
    it(name, () => {
      // RUN uses /bin/sh -c (BusyBox ash on Alpine): check it as POSIX sh; info-level notes (such
      // as $2 inside an awk program in single quotes) are not findings.
      const res = spawnSync('shellcheck', ['-s', 'sh', '--severity=warning', '--format', 'gcc', '-'], { input: `#!/bin/sh\n${body}\n`, encoding: 'utf8' });
      expect(res.stdout + res.stderr).toBe('');
      expect(res.status).toBe(0);
    });
  }
});
