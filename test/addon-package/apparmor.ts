/**
 * A small reader of the add-on's AppArmor profile for the tests: the parts of the policy language
 * apparmor.txt uses (nested profiles, file rules with globs, `{a,b}` alternatives and the
 * @{PROC}/@{sys}/@{pid} variables of tunables/global). Debian's apparmor_parser checks the syntax;
 * this reader answers "which rule covers this path" questions about what it accepted.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

export interface Profile {
  /** `outer` or `outer//child`. */
  name: string;
  /** Rules of this profile only (not of its children), without the trailing comma. */
  rules: string[];
}

/** Profiles in the order they open; comments and `#include` lines are dropped. */
export function readProfiles(text: string): Profile[] {
  const profiles: Profile[] = [];
  const stack: Profile[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#(?!include\b).*$/, '').trim();
    if (line === '' || line.startsWith('#include')) continue;
    const open = /^profile\s+(\S+).*\{$/.exec(line);
    if (open) {
      const parent = stack[stack.length - 1];
      const profile = { name: parent ? `${parent.name}//${open[1]!}` : open[1]!, rules: [] };
      profiles.push(profile);
      stack.push(profile);
    } else if (line === '}') {
      stack.pop();
    } else {
      const current = stack[stack.length - 1];
      if (!current || !line.endsWith(',')) throw new Error(`cannot read apparmor line: ${line}`);
      current.rules.push(line.slice(0, -1).trim());
    }
  }
  return profiles;
}

export interface FileRule {
  glob: string;
  perms: string;
  /** `cx -> server`: the profile an exec rule moves to. */
  target: string | null;
}

/** The file rules (`/path perms[ -> target]`) of a profile; qualifiers like `owner` are kept out. */
export function fileRules(profile: Profile): FileRule[] {
  return profile.rules.flatMap((rule) => {
    const m = /^(?:(?:owner|audit)\s+)*([/@]\S*)\s+([a-zA-Z]+)(?:\s*->\s*(\S+))?$/.exec(rule);
    return m ? [{ glob: m[1]!, perms: m[2]!, target: m[3] ?? null }] : [];
  });
}

// The variables of tunables/global that apparmor.txt uses, as the parser expands them.
const VARIABLES: Record<string, string> = { PROC: '/proc', sys: '/sys', pid: '[1-9][0-9]*' };

/** An AppArmor path glob as a RegExp: `**` any characters, `*` and `?` within one path segment, `{a,b}` alternatives. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '@' && glob[i + 1] === '{') {
      const end = glob.indexOf('}', i);
      const name = glob.slice(i + 2, end);
      const value = VARIABLES[name];
      if (value === undefined) throw new Error(`unknown variable @{${name}}`);
      out += name === 'pid' ? value : value.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      i = end;
    } else if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') out += '(?:';
    else if (c === '}') out += ')';
    else if (c === ',') out += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      out += glob.slice(i, end + 1);
      i = end;
    } else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether some rule grants every permission letter of `want` (`r`, `w`, `x`, ...) on `path`. */
export function allows(rules: FileRule[], path: string, want: string): boolean {
  return Array.from(want).every((p) => rules.some((r) => r.perms.includes(p) && globToRegExp(r.glob).test(path)));
}

const PARSERS = ['apparmor_parser', '/usr/sbin/apparmor_parser', '/sbin/apparmor_parser'];

/**
 * Runs Debian's apparmor_parser on a profile given on stdin, without loading anything into a kernel
 * (`-Q`) and without its cache (`-K`), so it needs neither root nor an AppArmor kernel. The notice
 * that the kernel's cache interface is missing is dropped from stderr.
 */
export function runParser(args: string[], profile: string): SpawnSyncReturns<string> & { messages: string } {
  let res: SpawnSyncReturns<string> | null = null;
  for (const parser of PARSERS) {
    res = spawnSync(parser, ['-Q', '-K', ...args], { input: profile, encoding: 'utf8' });
    const code = res.error && 'code' in res.error ? res.error.code : undefined;
    if (code !== 'ENOENT') break;
  }
  const r = res!;
  const messages = (r.stderr ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('Cache read/write disabled'))
    .join('\n');
  return Object.assign(r, { messages });
}
