import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { createSupervisor } from '../process/supervisor.js';
import type { RunSpec } from '../process/types.js';
import { jpegSize } from './jpeg.js';
import { createPlaceholders, escapeFilterValue, PLACEHOLDER_REASONS, placeholderGraph } from './placeholder.js';

const supervisor = createSupervisor({ logger: createLogger('silent') });
afterAll(() => supervisor.stopAll());

/** The real supervisor behind a spy, so a test can count the renders. */
function setup(over: { fontPath?: string; ffmpegPath?: string } = {}) {
  const run = vi.fn((spec: RunSpec) => supervisor.run(spec));
  const placeholders = createPlaceholders({ supervisor: { run }, ...over });
  return { run, placeholders };
}

/** What ffprobe (not our own parser) says about a JPEG. */
function probe(jpeg: Buffer): { codec_name: string; width: number; height: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-f', 'image2pipe', '-i', 'pipe:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json'], { input: jpeg });
  return JSON.parse(String(out)).streams[0];
}

describe('placeholders (real FFmpeg through the supervisor)', () => {
  it('a 640x360 placeholder is a JPEG of exactly 640x360', async () => {
    const { placeholders } = setup();
    const jpeg = await placeholders.get(640, 360, 'no_writer');
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect([jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd9]);
    expect(probe(jpeg)).toEqual({ codec_name: 'mjpeg', width: 640, height: 360 });
    expect(jpegSize(jpeg)).toEqual({ width: 640, height: 360 });
  });

  it('odd sizes stay exact too', async () => {
    const { placeholders } = setup();
    const jpeg = await placeholders.get(321, 181, 'offline');
    expect(probe(jpeg)).toMatchObject({ width: 321, height: 181 });
  });

  it('is cached: a second call does not spawn, and concurrent calls share one render', async () => {
    const { run, placeholders } = setup();
    const [a, b] = await Promise.all([placeholders.get(640, 360, 'warming_up'), placeholders.get(640, 360, 'warming_up')]);
    expect(run).toHaveBeenCalledTimes(1);
    expect(b).toBe(a);
    const before = supervisor.count('placeholder:');
    const c = await placeholders.get(640, 360, 'warming_up');
    expect(c).toBe(a);
    expect(run).toHaveBeenCalledTimes(1);
    expect(supervisor.count('placeholder:')).toBe(before);
    // another size or reason is another render
    await placeholders.get(320, 180, 'warming_up');
    expect(run).toHaveBeenCalledTimes(2);
    expect(placeholders.size()).toBe(2);
  });

  it('different reasons give different images', async () => {
    const { placeholders } = setup();
    const images = await Promise.all(PLACEHOLDER_REASONS.map((r) => placeholders.get(320, 180, r)));
    const distinct = new Set(images.map((b) => b.toString('base64')));
    expect(distinct.size).toBe(PLACEHOLDER_REASONS.length);
  });

  it('without the font the placeholder is the plain background (the text is what differs)', async () => {
    const { placeholders } = setup({ fontPath: '/nonexistent/font.ttf' });
    const [a, b] = await Promise.all([placeholders.get(320, 180, 'no_writer'), placeholders.get(320, 180, 'offline')]);
    expect(probe(a)).toMatchObject({ width: 320, height: 180 });
    expect(a.equals(b)).toBe(true);
    const withText = await setup().placeholders.get(320, 180, 'no_writer');
    expect(withText.equals(a)).toBe(false);
  });

  it('a failed render is reported and not cached', async () => {
    const { run, placeholders } = setup({ ffmpegPath: '/nonexistent/ffmpeg' });
    await expect(placeholders.get(640, 360, 'no_writer')).rejects.toThrow(/placeholder 640x360 no_writer: ffmpeg crashed/);
    await expect(placeholders.get(640, 360, 'no_writer')).rejects.toThrow();
    expect(run).toHaveBeenCalledTimes(2);
    expect(placeholders.size()).toBe(0);
  });

  it.each([
    [0, 360, 'no_writer', /width/],
    [640.5, 360, 'no_writer', /width/],
    [640, 5000, 'no_writer', /height/],
    [640, 360, 'bogus', /unknown placeholder reason/],
  ])('refuses %s x %s (%s) without spawning', async (w, h, reason, re) => {
    const { run, placeholders } = setup();
    await expect(placeholders.get(w, h, reason as never)).rejects.toThrow(re);
    expect(run).not.toHaveBeenCalled();
  });
});

describe('placeholder graph', () => {
  it('escapes both quoting levels of a filtergraph', () => {
    expect(escapeFilterValue("a:b,c;d[e]f'g\\h")).toBe("a\\\\:b\\,c\\;d\\[e\\]f\\\\\\'g\\\\\\\\h");
  });

  it('draws the bilingual text with the font, and nothing without it or when too small', () => {
    const g = placeholderGraph({ width: 640, height: 360, reason: 'no_writer', fontPath: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' });
    expect(g).toMatch(/^color=c=0x1c1c1c:s=640x360:r=1:d=1,format=yuvj420p,drawtext=/);
    expect(g).toContain('Sem sinal · No signal');
    expect(g).toContain('Nenhuma pipeline está alimentando esta transmissão.');
    expect(g).toContain('expansion=none');
    expect(placeholderGraph({ width: 640, height: 360, reason: 'no_writer', fontPath: null })).toBe('color=c=0x1c1c1c:s=640x360:r=1:d=1,format=yuvj420p');
    expect(placeholderGraph({ width: 64, height: 36, reason: 'no_writer', fontPath: '/f.ttf' })).not.toContain('drawtext');
    expect(placeholderGraph({ width: 641, height: 360, reason: 'offline', fontPath: null })).toContain('format=yuvj444p');
  });
});
