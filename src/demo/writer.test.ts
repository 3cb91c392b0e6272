import * as v from 'valibot';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/fixtures/proc-helpers.js';
import { waitFor } from '../../test/support/wait.js';
import { decodeImage, meanAbsDiff } from '../../test/media/frames.js';
import { streamingSettingsSchema, type SettingsDoc } from '../domain/settings.js';
import { createSupervisor } from '../process/supervisor.js';
import { jpegSize } from '../runtime/jpeg.js';
import { createRuntimeRegistry } from '../runtime/transmission-state.js';
import { fixtureOutput, fixtureTransmission } from '../reconcile/fixtures.js';
import { DEMO_FRAMES, DEMO_TRANSMISSION_ID, DEMO_WRITER_ID, DEMO_WRITER_PRIORITY } from './pipeline.js';
import { createDemoWriter, DEMO_CHILD_NAME, demoGraph, type DemoWriter } from './writer.js';

type Doc = Pick<SettingsDoc, 'transmissions' | 'streaming'>;
const makeDoc = (debounceS: number, enabled = true): Doc => ({
  transmissions: [fixtureTransmission(DEMO_TRANSMISSION_ID, [fixtureOutput('default', 'pipe/demo/video')], { enabled })],
  streaming: v.parse(streamingSettingsSchema, { demand: { debounce_s: debounceS } }),
});

const log = captureLogger('info');
const supervisor = createSupervisor({ logger: log.logger });
let registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000 });
let writer: DemoWriter | null = null;
let doc: Doc = makeDoc(0);
let wanted = false;

function start(over: Partial<Parameters<typeof createDemoWriter>[0]> = {}): DemoWriter {
  registry = createRuntimeRegistry({ stickyWindowMs: 0, staleAfterMs: 2000 });
  writer = createDemoWriter({ supervisor, logger: log.logger, ffmpegPath: 'ffmpeg', registry, doc: () => doc, wanted: () => wanted, pollMs: 50, ...over });
  writer.start();
  return writer;
}
const health = () => registry.get(DEMO_TRANSMISSION_ID)?.health();

afterEach(async () => {
  await writer?.close();
  writer = null;
  wanted = false;
  doc = makeDoc(0);
  expect(supervisor.count()).toBe(0);
});
afterAll(() => supervisor.stopAll());

describe('demo graph', () => {
  it('the moving test pattern with a clock drawn in, its text escaped for the filtergraph', () => {
    expect(demoGraph(null)).toBe('testsrc2=size=640x360:rate=10');
    const graph = demoGraph('/fonts/a font.ttf');
    // Two levels of quoting: the option value, then the filtergraph; FFmpeg undoes both and expands the clock.
    expect(graph).toBe(
      'testsrc2=size=640x360:rate=10,drawtext=fontfile=/fonts/a font.ttf:text=Demo · %{localtime\\\\:%T}:fontsize=30' +
        ':fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=10:x=w-text_w-30:y=h-text_h-30',
    );
  });
});

describe('demo writer (real FFmpeg)', () => {
  it('runs no FFmpeg without demand; with demand pushes moving frames as the lowest-priority writer; stops when demand ends', async () => {
    start();
    await new Promise((r) => setTimeout(r, 300)); // several polls
    expect(supervisor.count()).toBe(0);
    expect(health()).toBeUndefined();

    wanted = true;
    await waitFor('demo frames', () => writer!.frames() >= 5);
    expect(supervisor.count(DEMO_CHILD_NAME)).toBe(1);
    const h = health()!;
    expect(h).toMatchObject({ active_writer_id: DEMO_WRITER_ID, selected_writer_id: DEMO_WRITER_ID, fallback_reason: null });
    expect(h.writers).toEqual([expect.objectContaining({ id: DEMO_WRITER_ID, priority: DEMO_WRITER_PRIORITY, state: 'open', fresh: true })]);
    const first = registry.get(DEMO_TRANSMISSION_ID)!.frame();
    expect(jpegSize(first.jpeg!)).toEqual({ width: DEMO_FRAMES.width, height: DEMO_FRAMES.height });
    // Half a second of the pattern later (10 fps), however long the machine takes to draw it.
    const later = await waitFor('five more frames', () => {
      const f = registry.get(DEMO_TRANSMISSION_ID)!.frame();
      return f.seq >= first.seq + 5 && f;
    });
    const [a, b] = await Promise.all([decodeImage(first.jpeg!), decodeImage(later.jpeg!)]);
    expect(meanAbsDiff(a.rgb, b.rgb)).toBeGreaterThan(1); // the pattern moves

    wanted = false; // debounce 0: stops at the next poll
    await waitFor('demo FFmpeg stopped', () => supervisor.count() === 0 && !writer!.running());
    expect(health()).toMatchObject({ active_writer_id: null, writers: [expect.objectContaining({ id: DEMO_WRITER_ID, state: 'closed' })] });
  });

  it('lingers for the demand debounce, but stops at once when the transmission is removed or disabled', async () => {
    doc = makeDoc(30);
    start();
    wanted = true;
    await waitFor('demo frames', () => writer!.frames() > 0);
    wanted = false;
    await new Promise((r) => setTimeout(r, 300));
    expect(writer!.running()).toBe(true); // within the 30 s debounce
    doc = makeDoc(30, false);
    await waitFor('stopped: transmission disabled', () => supervisor.count() === 0);

    doc = makeDoc(30);
    wanted = true;
    await waitFor('started again', () => supervisor.count(DEMO_CHILD_NAME) === 1);
    doc = { ...doc, transmissions: [] };
    await waitFor('stopped: transmission removed', () => supervisor.count() === 0);
  });

  it('without the font it still renders the moving pattern; close() leaves no process', async () => {
    start({ fontPath: '/nonexistent/font.ttf' });
    wanted = true;
    await waitFor('demo frames', () => writer!.frames() > 0);
    expect(log.lines.some((l) => l.includes('demo font not found'))).toBe(true);
    expect(supervisor.get(DEMO_CHILD_NAME)).toBeDefined();
    await writer!.close();
    expect(supervisor.count()).toBe(0);
    expect(writer!.running()).toBe(false);
  });
});
