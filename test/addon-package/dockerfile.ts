/**
 * A small Dockerfile reader for the tests (no Docker engine on these machines): the parts of the
 * Dockerfile reference the add-on's Dockerfile uses. Comment lines are dropped first, also inside
 * a continued instruction (as Docker does), then lines ending in `\` are joined.
 */
export interface Instruction {
  keyword: string;
  /** Leading `--name=value` flags (`--platform`, `--from`, `--interval`, ...). */
  flags: Record<string, string>;
  /** The rest of the instruction, flags removed. */
  args: string;
  line: number;
}

export interface Stage {
  index: number;
  name: string | null;
  image: string;
  platform: string | null;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { directives: Record<string, string>; stages: Stage[]; global: Instruction[] } {
  const lines = text.split(/\r?\n/);
  const directives: Record<string, string> = {};
  // Parser directives: `# key=value` lines at the very top.
  for (const l of lines) {
    const m = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(l);
    if (!m) break;
    directives[m[1]!.toLowerCase()] = m[2]!;
  }
  const instructions: Instruction[] = [];
  let buf = '';
  let start = 0;
  lines.forEach((raw, i) => {
    if (/^\s*#/.test(raw)) return;
    if (buf === '' && raw.trim() === '') return;
    if (buf === '') start = i + 1;
    const continued = /\\\s*$/.test(raw);
    buf += continued ? `${raw.replace(/\\\s*$/, '')} ` : raw;
    if (!continued) {
      instructions.push(toInstruction(buf, start));
      buf = '';
    }
  });
  if (buf.trim() !== '') instructions.push(toInstruction(buf, start));

  const global: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ index: stages.length, name: m[2] ?? null, image: m[1]!, platform: ins.flags.platform ?? null, instructions: [] });
    } else if (stages.length === 0) {
      global.push(ins);
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { directives, stages, global };
}

function toInstruction(text: string, line: number): Instruction {
  const trimmed = text.trim();
  const m = /^(\S+)\s*(.*)$/s.exec(trimmed);
  if (!m) throw new Error(`line ${line}: empty instruction`);
  let rest = m[2]!.trim();
  const flags: Record<string, string> = {};
  for (;;) {
    const f = /^--([a-z-]+)(?:=(\S*))?\s+/i.exec(rest);
    if (!f) break;
    flags[f[1]!] = f[2] ?? 'true';
    rest = rest.slice(f[0].length);
  }
  return { keyword: m[1]!.toUpperCase(), flags, args: rest, line };
}

/** The default value of an `ARG NAME=value` in a stage (or the global scope). */
export function argDefault(instructions: Instruction[], name: string): string | undefined {
  for (const ins of instructions) {
    if (ins.keyword !== 'ARG') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.args.trim());
    if (m?.[1] === name) return m[2]?.replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** `ENV A=1 B=2` pairs of a stage. */
export function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.keyword !== 'ENV') continue;
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return env;
}

export const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
