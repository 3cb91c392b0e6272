import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, benchLines, renderBenchSection, replaceBetweenMarkers, rowsFor, type ScriptRun } from '../../bench/lib/readme-table.js';

/** Lines as the bench scripts print them (field for field; figures from earlier runs). */
const SAMPLE = {
  reconcile:
    '{"bench":"reconcile","cameras":1000,"sources":3000,"runs":20,"warmup_runs":3,"scratch_ms_median":7.6,"scratch_ms_p95":19.9,"one_change_ms_median":2.7,"one_change_ms_p95":7.6,"goal_scratch_ms":100,"goal_one_change_ms":10}',
  jpeg: '{"bench":"jpeg-check","width":1280,"height":720,"frames_per_batch":1000,"batches":30,"q5_bytes":44923,"q5_us_median":21.51,"q5_us_p95":44.52,"q2_bytes":66848,"q2_us_median":25.94,"q2_us_p95":147.72,"goal_us":100}',
  writers:
    '{"bench":"writers","writers":4,"input":"1280x720 JPEG (44 KB) at 15 fps each","seconds":20,"selected_writer":"w3","fps_out":14.96,"frames_received_from_selected":300,"dropped_selected_writer":0,"skipped_by_backpressure":0,"server_cpu_percent_of_core":2.1,"server_rss_mb":87,"goal_fps_out":15,"goal_dropped":0,"goal_cpu_percent":10}',
  idle: '{"bench":"idle","cameras":32,"seconds":60,"engine":"running","ffmpeg_processes_max":0,"server_cpu_percent_of_core":0.21,"server_rss_mb_max":94.7,"goal_ffmpeg_processes":0,"goal_cpu_percent":1,"goal_rss_mb":100}',
  ttff: '{"bench":"ttff","runs":10,"jsmpeg_first_frame_ms_median":412.5,"jsmpeg_first_frame_ms_max":480.1,"bare_ffmpeg_first_frame_ms_median":414.6,"bare_ffmpeg_first_frame_ms_max":470,"ratio":0.99,"goal_ratio":1.2}',
  hlsLive:
    '{"bench":"proxy_hls","mode":"live_rate","viewers":50,"rounds":5,"seconds_per_side_and_round":6,"proxy_mb_per_s":12.5,"direct_mb_per_s":12.4,"throughput_ratio":1.01,"added_p99_ms":-0.93,"round_ratios":[1,1.01,1.02,1,1.01],"round_added_p99_ms":[-3.6,1.2,-0.93,3.9,-1],"proxy_p50_ms":1.2,"direct_p50_ms":1.6,"pooled_proxy_p99_ms":5,"pooled_direct_p99_ms":6,"pooled_added_p99_ms":-1,"requests":{"proxy":1500,"direct":1500},"errors":0,"cpu_ms_per_mb":{},"machine_busy":{"proxy":0.1,"direct":0.1},"goal_throughput_ratio":0.9,"goal_added_p99_ms":2}',
  hlsSat:
    '{"bench":"proxy_hls","mode":"saturation","viewers":50,"rounds":5,"seconds_per_side_and_round":6,"proxy_mb_per_s":723,"direct_mb_per_s":261,"throughput_ratio":2.67,"added_p99_ms":-40,"round_ratios":[2.6],"round_added_p99_ms":[-40],"proxy_p50_ms":1,"direct_p50_ms":2,"pooled_proxy_p99_ms":5,"pooled_direct_p99_ms":6,"pooled_added_p99_ms":-1,"requests":{},"errors":0,"cpu_ms_per_mb":{},"machine_busy":{},"goal_throughput_ratio":0.9,"goal_added_p99_ms":2}',
  mse: '{"bench":"proxy_mse","viewers":50,"rounds":5,"seconds_per_side_and_round":6,"direct_kb_per_s":300,"relayed_kb_per_s_min":299,"throughput_ratio_min":1,"added_p50_ms":0.33,"added_p99_ms":2.38,"round_added_p99_ms":[0.78,2.36,2.38,2.5,1],"fragments_compared":{"control":1,"relay":1},"pooled_control_spread_p99_ms":1,"pooled_relayed_spread_p99_ms":2,"pooled_added_p99_ms":1.56,"goal_throughput_ratio":0.9,"goal_added_p99_ms":2}',
  peer: '{"bench":"peer","target":"real MediaMTX","rounds":5,"machine_busy":0.3,"hls_first_frame":{"proxied_ms_median":210,"direct_ms_median":190,"added_ms":18.5,"round_added_ms":[18.5]},"jsmpeg_first_frame":{"proxied_ms_median":560,"direct_ms_median":540,"added_ms":-2,"round_added_ms":[-2]},"media_playlist":{"proxied_p50_ms":3,"direct_p50_ms":2,"proxied_p99_ms":9,"direct_p99_ms":6,"added_p99_ms":3.1,"pooled_added_p99_ms":3,"round_added_p99_ms":[3.1],"requests":{"proxied":300,"direct":300}},"segment":{"proxied_p50_ms":4,"direct_p50_ms":3,"proxied_p99_ms":12,"direct_p99_ms":8,"added_p99_ms":4,"pooled_added_p99_ms":4,"round_added_p99_ms":[4],"requests":{"proxied":300,"direct":300}},"errors":0}',
  browser: '{"bench":"browser-ttff","transport":"hls","runs":7,"player_ms_median":122,"page_ms_median":369,"player_ms":[1],"page_ms":[1]}',
};
const line = (s: string) => JSON.parse(s) as Record<string, unknown>;

describe('rows from the bench scripts JSON lines', () => {
  it('reconcile: two rows, figures beside goals, met on p95', () => {
    expect(rowsFor(line(SAMPLE.reconcile))).toEqual([
      { benchmark: 'reconcile 1,000 cameras x 3 sources from scratch', figure: 'median 7.6 ms, p95 19.9 ms', goal: 'p95 < 100 ms', met: true },
      { benchmark: 'reconcile again with one source changed', figure: 'median 2.7 ms, p95 7.6 ms', goal: 'p95 < 10 ms', met: true },
    ]);
  });

  it('a figure past its goal is not met (JPEG check p95 over 100 µs, MSE p99 over +2 ms)', () => {
    expect(rowsFor(line(SAMPLE.jpeg))).toEqual([
      {
        benchmark: 'structural check of a 1280x720 writer JPEG',
        figure: 'q5 (44 KB) median 21.51 µs, p95 44.52 µs; q2 (65 KB) median 25.94 µs, p95 147.72 µs',
        goal: 'p95 < 100 µs a frame',
        met: false,
      },
    ]);
    const [mse] = rowsFor(line(SAMPLE.mse));
    expect(mse).toMatchObject({ figure: '1x throughput (slowest viewer), added p50 +0.33 ms, added p99 +2.38 ms (rounds +0.78 to +2.5)', goal: '>= 0.9x, <= +2 ms p99', met: false });
  });

  it('writers, idle and ttff hold each figure against its own goal', () => {
    expect(rowsFor(line(SAMPLE.writers))[0]).toEqual({
      benchmark: '4 writers x 1280x720 JPEG (44 KB) at 15 fps each into one transmission, 20 s',
      figure: '14.96 fps out, 0 dropped, 0 skipped, server 2.1% of a core, RSS 87 MB',
      goal: '15 fps (rounded), 0 dropped, < 10% of a core',
      met: true,
    });
    expect(rowsFor({ ...line(SAMPLE.writers), dropped_selected_writer: 3 })[0]!.met).toBe(false);
    expect(rowsFor(line(SAMPLE.idle))[0]).toMatchObject({ figure: '0 FFmpeg processes, server 0.21% of a core, RSS max 94.7 MB', goal: '0, < 1%, < 100 MB', met: true });
    expect(rowsFor({ ...line(SAMPLE.idle), ffmpeg_processes_max: 1 })[0]!.met).toBe(false);
    expect(rowsFor(line(SAMPLE.ttff))[0]).toMatchObject({ figure: '412.5 ms vs 414.6 ms median, ratio 0.99', goal: 'ratio <= 1.2', met: true });
  });

  it('proxy: the live-rate line is judged on throughput and p99, saturation on throughput only', () => {
    const [live] = rowsFor(line(SAMPLE.hlsLive));
    expect(live).toMatchObject({
      figure: '1.01x (12.5 vs 12.4 MB/s), added p99 -0.93 ms (rounds -3.6 to +3.9); p50 proxy 1.2 vs direct 1.6 ms; 0 errors',
      goal: '>= 0.9x, <= +2 ms p99',
      met: true,
    });
    expect(live!.benchmark).toMatch(/^HLS proxy vs direct, 50 viewers at the live rate/);
    expect(rowsFor(line(SAMPLE.hlsSat))[0]).toMatchObject({ figure: '2.67x (723 vs 261 MB/s); 0 errors', goal: '>= 0.9x', met: true });
  });

  it("real engines: ours against the engine's own, the HLS line also against its first-frame goal; proxy lines name their target; a skipped run says why", () => {
    const hls = {
      bench: 'real-engines-ttff',
      transport: 'hls',
      engine_side: "MediaMTX's own HLS",
      runs: 7,
      ours_ms_median: 1400,
      engine_ms_median: 1300,
      ratio: 1.08,
      errors: [],
      goal_ratio: 1.1,
      goal_first_frame_ms: 1500,
    };
    expect(rowsFor(hls)[0]).toMatchObject({ figure: '1400 ms vs 1300 ms, ratio 1.08', goal: 'ratio <= 1.1, < 1500 ms', met: true });
    expect(rowsFor({ ...hls, ours_ms_median: 1600, ratio: 1.05 })[0]!.met).toBe(false);
    expect(rowsFor({ ...hls, transport: 'mse', goal_first_frame_ms: undefined, ratio: 1.2 })[0]).toMatchObject({ goal: 'ratio <= 1.1', met: false });
    expect(rowsFor({ ...hls, errors: ['webrtc: no frame'] })[0]).toMatchObject({ figure: '1400 ms vs 1300 ms, ratio 1.08; 1 failed runs', met: false });
    expect(rowsFor({ ...line(SAMPLE.mse), target: 'real MediaMTX, real go2rtc' })[0]!.benchmark).toMatch(/^MSE relay vs a direct go2rtc viewer, against real MediaMTX, real go2rtc, 50 viewers/);
    const idle = { bench: 'real-engines-idle', debounce_s: 15, camera_disconnected_ms: 18871, last_ffmpeg_exit_ms: 2802, goal_within_ms: 45_000 };
    expect(rowsFor(idle)[0]).toMatchObject({
      figure: 'camera connection closed after 18871 ms, last FFmpeg exit after 2802 ms',
      goal: "both <= 45000 ms (the README's demand.debounce_s + 30 s)",
      met: true,
    });
    expect(rowsFor({ ...idle, camera_disconnected_ms: 84_743 })[0]!.met).toBe(false);
    const steps = { bench: 'idle-timeline', event: 'camera_closed', t_s: 35.74 };
    expect(rowsFor(steps)).toEqual([]);
    const summary = { bench: 'idle-timeline', debounce_s: 15, engine: 'real mediamtx', no_ffmpeg_s: 30.74, camera_closed_s: 35.74, beyond_debounce_s: 20.74 };
    expect(rowsFor(summary)[0]).toMatchObject({ figure: 'no FFmpeg after 30.74 s, camera connection closed after 35.74 s', goal: "both <= 45 s (the README's demand.debounce_s + 30 s)", met: true });
    expect(rowsFor({ ...summary, camera_closed_s: 109.1 })[0]!.met).toBe(false);
    expect(rowsFor({ bench: 'real-engines', skipped: true, reason: 'needs the real engine binaries' })[0]).toMatchObject({ figure: 'skipped: needs the real engine binaries', met: null });
  });

  it('peer: the added first frame per transport and the added p99 per request, with both sides beside them; no goal', () => {
    const rows = rowsFor(line(SAMPLE.peer));
    expect(rows.map((r) => r.met)).toEqual([null, null]);
    expect(rows[0]!.figure).toBe('HLS +18.5 ms (210 vs 190 ms); JSMpeg -2 ms (560 vs 540 ms)');
    expect(rows[1]!.figure).toBe('media playlist +3.1 ms (p99 9 vs 6 ms, p50 3 vs 2 ms); segment +4 ms (p99 12 vs 8 ms, p50 4 vs 3 ms); 0 errors');
    expect(rows[0]!.benchmark).toContain('against real MediaMTX');
  });

  it('browser time to first frame has no goal; an unknown bench or a changed line gets a generic row', () => {
    expect(rowsFor(line(SAMPLE.browser))[0]).toMatchObject({ figure: 'player 122 ms, page load to playing 369 ms (medians)', met: null });
    expect(rowsFor({ bench: 'new-one', ops_per_s: 12, label: 'x', nested: { a: 1 }, goal_ops_per_s: 10 })).toEqual([
      { benchmark: 'new-one', figure: 'ops_per_s 12, label x', goal: 'goal_ops_per_s 10', met: null },
    ]);
    const changed = { ...line(SAMPLE.ttff), ratio: undefined };
    expect(rowsFor(changed)[0]).toMatchObject({ benchmark: 'ttff', met: null });
  });
});

describe('the section and the README', () => {
  const run = (script: string, lines: string[], over: Partial<ScriptRun> = {}): ScriptRun => ({ script, exitCode: 0, seconds: 5, lines: lines.map(line), otherLoadPercent: 3, ...over });

  it('one table row per figure, with the command, whether it met its goal, and the outside load', () => {
    const text = renderBenchSection([run('bench:reconcile', [SAMPLE.reconcile]), run('bench:proxy', [SAMPLE.hlsLive, SAMPLE.hlsSat, SAMPLE.mse], { otherLoadPercent: null })], {
      date: '2026-12-05',
      machine: '2 cores (Test CPU), 8.0 GB, Node v20.20.2, Linux 6.1',
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Latest `npm run bench`: 2026-12-05 on 2 cores (Test CPU), 8.0 GB, Node v20.20.2, Linux 6.1.');
    expect(lines).toContain('| benchmark | command | figure | goal | met | other load |');
    const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| benchmark'));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toBe('| reconcile 1,000 cameras x 3 sources from scratch | `npm run bench:reconcile` | median 7.6 ms, p95 19.9 ms | p95 < 100 ms | yes | 3% |');
    expect(rows[4]).toMatch(/^\| MSE relay .* \| `npm run bench:proxy` \| .* \| \*\*no\*\* \| \? \|$/);
  });

  it('a failed script or one that printed nothing shows as such', () => {
    const text = renderBenchSection([run('bench:idle', [], { exitCode: 1, seconds: 12 }), run('bench:ttff', [])], { date: 'd', machine: 'm' });
    expect(text).toContain('| bench:idle | `npm run bench:idle` | failed (exit 1) after 12 s | | **no** | 3% |');
    expect(text).toContain('| bench:ttff | `npm run bench:ttff` | printed no JSON line | | **no** | 3% |');
  });

  it('cells hold no pipe or line break that would break the table', () => {
    const text = renderBenchSection([run('bench:x', ['{"bench":"odd","label":"a|b\\nc"}'])], { date: 'd', machine: 'm' });
    expect(text.split('\n').at(-1)).toBe('| odd | `npm run bench:x` | label a\\|b c | (none stated) | — | 3% |');
  });

  it('replaces only what lies between the markers, and refuses a README without exactly one pair', () => {
    const readme = `# R\n\n## Benchmarks\n\nIntro.\n\n${BEGIN_MARKER}\nold table\n${END_MARKER}\n\nNotes kept.\n`;
    expect(replaceBetweenMarkers(readme, 'new table')).toBe(`# R\n\n## Benchmarks\n\nIntro.\n\n${BEGIN_MARKER}\nnew table\n${END_MARKER}\n\nNotes kept.\n`);
    expect(() => replaceBetweenMarkers('# R\n', 'x')).toThrow(/exactly one/);
    expect(() => replaceBetweenMarkers(`${END_MARKER}\n${BEGIN_MARKER}\n`, 'x')).toThrow(/exactly one/);
    expect(() => replaceBetweenMarkers(`${BEGIN_MARKER}${END_MARKER}${BEGIN_MARKER}${END_MARKER}`, 'x')).toThrow(/exactly one/);
  });

  it('takes the JSON result lines out of a script output and ignores the rest', () => {
    const out = `building...\n${SAMPLE.ttff}\n{not json\n{"no_bench":1}\n[1,2]\n  ${SAMPLE.idle}  \n`;
    expect(benchLines(out).map((l) => l.bench)).toEqual(['ttff', 'idle']);
  });
});
