/**
 * The README's benchmark table, made from the JSON lines the bench scripts print (pure: no I/O).
 * `npm run bench` (bench/run-all.ts) runs every `bench:*` script, then puts `renderBenchSection`'s
 * text between the two markers of README.md's "## Benchmarks" section; what lies outside the
 * markers (the notes people write about the figures) is kept as it is.
 */

export const BEGIN_MARKER = '<!-- bench:begin -->';
export const END_MARKER = '<!-- bench:end -->';

export type BenchLine = Record<string, unknown>;

/** README ("Demand"): no FFmpeg and no camera connection within demand.debounce_s + this many seconds of the last viewer. */
const IDLE_MARGIN_S = 30;

/** One `bench:*` script's run. */
export interface ScriptRun {
  /** The package.json script, e.g. `bench:proxy`. */
  script: string;
  exitCode: number;
  seconds: number;
  /** The JSON lines it printed (each with a `bench` name). */
  lines: BenchLine[];
  /** Share of the machine's CPU other processes used while it ran (percent), null when unknown. */
  otherLoadPercent: number | null;
}

export interface RunMeta {
  /** YYYY-MM-DD */
  date: string;
  /** e.g. "2 cores (Intel Xeon ...), 7.8 GB, Node v20.20.2, Linux 6.1" */
  machine: string;
}

export interface Row {
  benchmark: string;
  figure: string;
  goal: string;
  /** true/false when the line states goals the figures can be held against; null otherwise. */
  met: boolean | null;
}

class MissingField extends Error {}

const num = (d: BenchLine, key: string): number => {
  const v = d[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MissingField(key);
  return v;
};
const nums = (d: BenchLine, key: string): number[] => {
  const v = d[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number')) throw new MissingField(key);
  return v;
};
const signed = (x: number) => (x > 0 ? `+${x}` : `${x}`);
const range = (xs: number[]) => `${signed(Math.min(...xs))} to ${signed(Math.max(...xs))}`;
/** `, against <target>` when a line says which engines it ran against (bench/proxy.ts does). */
const against = (d: BenchLine) => (typeof d.target === 'string' ? `, against ${d.target}` : '');

/** A nested object of a line (bench/peer.ts groups its figures). */
const sub = (d: BenchLine, key: string): BenchLine => {
  const v = d[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MissingField(key);
  return v as BenchLine;
};

/** Rows for each bench name the scripts print; a line of an unknown bench (or one missing a field) gets a generic row. */
const RENDERERS: Record<string, (d: BenchLine) => Row[]> = {
  peer: (d) => {
    const head = `Distributed hosting: played through a peer (A) vs on the host (B) directly, A and B on 127.0.0.1${against(d)}; ${num(d, 'rounds')} alternating rounds, median of the rounds`;
    const first = (key: string, name: string) => {
      const f = sub(d, key);
      return `${name} ${signed(num(f, 'added_ms'))} ms (${num(f, 'proxied_ms_median')} vs ${num(f, 'direct_ms_median')} ms)`;
    };
    const p99 = (key: string, name: string) => {
      const f = sub(d, key);
      return `${name} ${signed(num(f, 'added_p99_ms'))} ms (p99 ${num(f, 'proxied_p99_ms')} vs ${num(f, 'direct_p99_ms')} ms, p50 ${num(f, 'proxied_p50_ms')} vs ${num(f, 'direct_p50_ms')} ms)`;
    };
    return [
      { benchmark: `${head}: added time to first frame`, figure: `${first('hls_first_frame', 'HLS')}; ${first('jsmpeg_first_frame', 'JSMpeg')}`, goal: '(no goal; the cost of the hop)', met: null },
      {
        benchmark: `${head}: added p99 per request`,
        figure: `${p99('media_playlist', 'media playlist')}; ${p99('segment', 'segment')}; ${num(d, 'errors')} errors`,
        goal: '(no goal; the cost of the hop)',
        met: null,
      },
    ];
  },
  reconcile: (d) => [
    {
      benchmark: `reconcile ${num(d, 'cameras').toLocaleString('en')} cameras x ${num(d, 'sources') / num(d, 'cameras')} sources from scratch`,
      figure: `median ${num(d, 'scratch_ms_median')} ms, p95 ${num(d, 'scratch_ms_p95')} ms`,
      goal: `p95 < ${num(d, 'goal_scratch_ms')} ms`,
      met: num(d, 'scratch_ms_p95') < num(d, 'goal_scratch_ms'),
    },
    {
      benchmark: 'reconcile again with one source changed',
      figure: `median ${num(d, 'one_change_ms_median')} ms, p95 ${num(d, 'one_change_ms_p95')} ms`,
      goal: `p95 < ${num(d, 'goal_one_change_ms')} ms`,
      met: num(d, 'one_change_ms_p95') < num(d, 'goal_one_change_ms'),
    },
  ],
  'jpeg-check': (d) => [
    {
      benchmark: `structural check of a ${num(d, 'width')}x${num(d, 'height')} writer JPEG`,
      figure: ['q5', 'q2'].map((q) => `${q} (${Math.round(num(d, `${q}_bytes`) / 1024)} KB) median ${num(d, `${q}_us_median`)} µs, p95 ${num(d, `${q}_us_p95`)} µs`).join('; '),
      goal: `p95 < ${num(d, 'goal_us')} µs a frame`,
      met: num(d, 'q5_us_p95') < num(d, 'goal_us') && num(d, 'q2_us_p95') < num(d, 'goal_us'),
    },
  ],
  writers: (d) => [
    {
      benchmark: `${num(d, 'writers')} writers x ${typeof d.input === 'string' ? d.input : ''} into one transmission, ${num(d, 'seconds')} s`,
      figure: `${num(d, 'fps_out')} fps out, ${num(d, 'dropped_selected_writer')} dropped, ${num(d, 'skipped_by_backpressure')} skipped, server ${num(d, 'server_cpu_percent_of_core')}% of a core, RSS ${num(d, 'server_rss_mb')} MB`,
      goal: `${num(d, 'goal_fps_out')} fps (rounded), ${num(d, 'goal_dropped')} dropped, < ${num(d, 'goal_cpu_percent')}% of a core`,
      met: Math.round(num(d, 'fps_out')) >= num(d, 'goal_fps_out') && num(d, 'dropped_selected_writer') <= num(d, 'goal_dropped') && num(d, 'server_cpu_percent_of_core') < num(d, 'goal_cpu_percent'),
    },
  ],
  idle: (d) => [
    {
      benchmark: `${num(d, 'cameras')} published cameras, no viewers, ${num(d, 'seconds')} s`,
      figure: `${num(d, 'ffmpeg_processes_max')} FFmpeg processes, server ${num(d, 'server_cpu_percent_of_core')}% of a core, RSS max ${num(d, 'server_rss_mb_max')} MB`,
      goal: `${num(d, 'goal_ffmpeg_processes')}, < ${num(d, 'goal_cpu_percent')}%, < ${num(d, 'goal_rss_mb')} MB`,
      met:
        num(d, 'ffmpeg_processes_max') <= num(d, 'goal_ffmpeg_processes') && num(d, 'server_cpu_percent_of_core') < num(d, 'goal_cpu_percent') && num(d, 'server_rss_mb_max') < num(d, 'goal_rss_mb'),
    },
  ],
  ttff: (d) => [
    {
      benchmark: `JSMpeg socket open to first decoded frame vs bare FFmpeg, same frames and arguments (${num(d, 'runs')} runs)`,
      figure: `${num(d, 'jsmpeg_first_frame_ms_median')} ms vs ${num(d, 'bare_ffmpeg_first_frame_ms_median')} ms median, ratio ${num(d, 'ratio')}`,
      goal: `ratio <= ${num(d, 'goal_ratio')}`,
      met: num(d, 'ratio') <= num(d, 'goal_ratio'),
    },
  ],
  proxy_hls: (d) => {
    const live = d.mode === 'live_rate';
    if (!live && d.mode !== 'saturation') throw new MissingField('mode');
    const head = `HLS proxy vs direct${against(d)}, ${num(d, 'viewers')} viewers ${live ? 'at the live rate (1 segment/s each)' : 'fetching as fast as they can'}; ${num(d, 'rounds')} alternating rounds of ${num(d, 'seconds_per_side_and_round')} s per side, median of the rounds`;
    const ratio = `${num(d, 'throughput_ratio')}x (${num(d, 'proxy_mb_per_s')} vs ${num(d, 'direct_mb_per_s')} MB/s)`;
    return [
      live
        ? {
            benchmark: head,
            figure: `${ratio}, added p99 ${signed(num(d, 'added_p99_ms'))} ms (rounds ${range(nums(d, 'round_added_p99_ms'))}); p50 proxy ${num(d, 'proxy_p50_ms')} vs direct ${num(d, 'direct_p50_ms')} ms; ${num(d, 'errors')} errors`,
            goal: `>= ${num(d, 'goal_throughput_ratio')}x, <= +${num(d, 'goal_added_p99_ms')} ms p99`,
            met: num(d, 'throughput_ratio') >= num(d, 'goal_throughput_ratio') && num(d, 'added_p99_ms') <= num(d, 'goal_added_p99_ms'),
          }
        : {
            benchmark: head,
            figure: `${ratio}; ${num(d, 'errors')} errors`,
            goal: `>= ${num(d, 'goal_throughput_ratio')}x`,
            met: num(d, 'throughput_ratio') >= num(d, 'goal_throughput_ratio'),
          },
    ];
  },
  proxy_mse: (d) => [
    {
      benchmark: `MSE relay vs a direct go2rtc viewer${against(d)}, ${num(d, 'viewers')} viewers, against a ${num(d, 'viewers')}-direct-viewer control; ${num(d, 'rounds')} alternating rounds of ${num(d, 'seconds_per_side_and_round')} s`,
      figure: `${num(d, 'throughput_ratio_min')}x throughput (slowest viewer), added p50 ${signed(num(d, 'added_p50_ms'))} ms, added p99 ${signed(num(d, 'added_p99_ms'))} ms (rounds ${range(nums(d, 'round_added_p99_ms'))})`,
      goal: `>= ${num(d, 'goal_throughput_ratio')}x, <= +${num(d, 'goal_added_p99_ms')} ms p99`,
      met: num(d, 'throughput_ratio_min') >= num(d, 'goal_throughput_ratio') && num(d, 'added_p99_ms') <= num(d, 'goal_added_p99_ms'),
    },
  ],
  'real-engines-ttff': (d) => {
    const ours = num(d, 'ours_ms_median');
    const engine = num(d, 'engine_ms_median');
    const ratio = num(d, 'ratio');
    const hlsGoal = typeof d.goal_first_frame_ms === 'number' ? d.goal_first_frame_ms : null;
    const errors = Array.isArray(d.errors) ? d.errors.length : 0;
    return [
      {
        benchmark: `Time to first frame, ${String(d.transport)} through the server vs ${String(d.engine_side)}, real engines (${num(d, 'runs')} runs each, medians)`,
        figure: `${ours} ms vs ${engine} ms, ratio ${ratio}${errors ? `; ${errors} failed runs` : ''}`,
        goal: `ratio <= ${num(d, 'goal_ratio')}${hlsGoal === null ? '' : `, < ${hlsGoal} ms`}`,
        met: ratio <= num(d, 'goal_ratio') && (hlsGoal === null || ours < hlsGoal) && errors === 0,
      },
    ];
  },
  // Event lines are the timeline's steps; the summary line is the figure.
  'idle-timeline': (d) => {
    if (d.event !== undefined) return [];
    const bound = num(d, 'debounce_s') + IDLE_MARGIN_S;
    return [
      {
        benchmark: `Last viewer gone to no FFmpeg and no camera connection, a transcoded output, ${String(d.engine)} (demand debounce ${num(d, 'debounce_s')} s)`,
        figure: `no FFmpeg after ${num(d, 'no_ffmpeg_s')} s, camera connection closed after ${num(d, 'camera_closed_s')} s`,
        goal: `both <= ${bound} s (the README's demand.debounce_s + ${IDLE_MARGIN_S} s)`,
        met: num(d, 'no_ffmpeg_s') <= bound && num(d, 'camera_closed_s') <= bound,
      },
    ];
  },
  'real-engines-idle': (d) => [
    {
      benchmark: `Last viewer gone to no camera connection and no FFmpeg, real engines (demand debounce ${num(d, 'debounce_s')} s)`,
      figure: `camera connection closed after ${num(d, 'camera_disconnected_ms')} ms, last FFmpeg exit after ${num(d, 'last_ffmpeg_exit_ms')} ms`,
      goal: `both <= ${num(d, 'goal_within_ms')} ms (the README's demand.debounce_s + 30 s)`,
      met: num(d, 'camera_disconnected_ms') <= num(d, 'goal_within_ms') && num(d, 'last_ffmpeg_exit_ms') <= num(d, 'goal_within_ms'),
    },
  ],
  'real-engines': (d) => [{ benchmark: 'Real engines', figure: d.skipped === true ? `skipped: ${String(d.reason)}` : JSON.stringify(d), goal: '(needs the real binaries)', met: null }],
  'browser-ttff': (d) => [
    {
      benchmark: `Time to first frame in Chromium through the ingress panel, ${String(d.transport)} (${num(d, 'runs')} runs)`,
      figure: `player ${num(d, 'player_ms_median')} ms, page load to playing ${num(d, 'page_ms_median')} ms (medians)`,
      goal: '(no goal; compare transports)',
      met: null,
    },
  ],
};

/** Any line: its figures and its `goal_*` fields as they are. */
function genericRow(d: BenchLine): Row {
  const shown = (key: string) => {
    const v = d[key];
    return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? `${key} ${v}` : null;
  };
  const keys = Object.keys(d).filter((k) => k !== 'bench');
  const goals = keys.filter((k) => k.startsWith('goal_'));
  return {
    benchmark: String(d.bench),
    figure: keys
      .filter((k) => !k.startsWith('goal_'))
      .map(shown)
      .filter(Boolean)
      .join(', '),
    goal: goals.length ? goals.map(shown).filter(Boolean).join(', ') : '(none stated)',
    met: null,
  };
}

export function rowsFor(d: BenchLine): Row[] {
  const render = typeof d.bench === 'string' ? RENDERERS[d.bench] : undefined;
  if (!render) return [genericRow(d)];
  try {
    return render(d);
  } catch (e) {
    // A bench whose output changed still shows up, with what it printed.
    if (e instanceof MissingField) return [genericRow(d)];
    throw e;
  }
}

/** Table cells hold no pipes or line breaks. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const metText = (m: boolean | null) => (m === null ? '—' : m ? 'yes' : '**no**');

/** The text between the markers: when and where it ran, and one row per figure. */
export function renderBenchSection(runs: readonly ScriptRun[], meta: RunMeta): string {
  const out = [
    `Latest \`npm run bench\`: ${meta.date} on ${meta.machine}.`,
    'Each row comes from a script\'s JSON lines; "other load" is the share of the machine that processes outside the',
    'benchmark used while it ran.',
    '',
    '| benchmark | command | figure | goal | met | other load |',
    '|---|---|---|---|---|---|',
  ];
  for (const run of runs) {
    const command = `\`npm run ${run.script}\``;
    const load = run.otherLoadPercent === null ? '?' : `${run.otherLoadPercent}%`;
    if (run.exitCode !== 0) {
      out.push(`| ${run.script} | ${command} | failed (exit ${run.exitCode}) after ${run.seconds} s | | **no** | ${load} |`);
      continue;
    }
    if (run.lines.length === 0) {
      out.push(`| ${run.script} | ${command} | printed no JSON line | | **no** | ${load} |`);
      continue;
    }
    for (const row of run.lines.flatMap(rowsFor)) {
      out.push(`| ${cell(row.benchmark)} | ${command} | ${cell(row.figure)} | ${cell(row.goal)} | ${metText(row.met)} | ${load} |`);
    }
  }
  return out.join('\n');
}

/** README text with `section` between the markers instead of what was there; throws unless each marker occurs once, in order. */
export function replaceBetweenMarkers(readme: string, section: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin === -1 || end === -1 || end < begin || readme.includes(BEGIN_MARKER, begin + 1) || readme.includes(END_MARKER, end + 1)) {
    throw new Error(`README.md needs exactly one ${BEGIN_MARKER} followed by one ${END_MARKER}`);
  }
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${section}\n${readme.slice(end)}`;
}

/** Lines of a script's stdout that are benchmark results (JSON objects with a `bench` name); other output is ignored. */
export function benchLines(stdout: string): BenchLine[] {
  const out: BenchLine[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as BenchLine).bench === 'string') out.push(v as BenchLine);
    } catch {
      // a log line that happens to start with "{"
    }
  }
  return out;
}
