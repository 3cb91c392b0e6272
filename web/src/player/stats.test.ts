import { describe, expect, it } from 'vitest';
import { createStatsCollector } from './stats.js';

function rig(windowMs = 4_000) {
  let t = 1_000;
  const c = createStatsCollector({ now: () => t, wallClock: () => 1_700_000_000_000 + t, windowMs, historySize: 3 });
  return { c, advance: (ms: number) => (t += ms), at: () => t };
}

describe('stats collector', () => {
  it('reads nothing before an attempt is tracked and counters are read twice', () => {
    const { c, advance } = rig();
    c.bytes(5_000);
    advance(500);
    expect(c.read()).toMatchObject({ fps: null, bitrateBps: null, decodedFrames: null, droppedFrames: null, ttffMs: null, history: [] });
    c.track({ id: 1, startedAt: 0, firstFrameAt: null });
    c.frames(10, 0);
    expect(c.read()).toMatchObject({ fps: null, decodedFrames: 10, droppedFrames: 0 });
  });

  it('frame rate is decoded frames over the time between the oldest and newest reading in the window', () => {
    const { c, advance } = rig(2_000);
    c.track({ id: 1, startedAt: 0, firstFrameAt: 300 });
    // 25 fps for two seconds, then 10 fps: the window forgets the faster part.
    let decoded = 0;
    for (let i = 0; i < 4; i++) {
      c.frames(decoded, 0);
      advance(500);
      decoded += 12.5;
    }
    c.frames(decoded, 1);
    expect(c.read().fps).toBeCloseTo(25);
    for (let i = 0; i < 8; i++) {
      advance(500);
      decoded += 5;
      c.frames(decoded, 2);
    }
    expect(c.read().fps).toBeCloseTo(10);
    expect(c.read()).toMatchObject({ decodedFrames: decoded, droppedFrames: 2, ttffMs: 300 });
  });

  it('a counter that goes back (a new media element source) restarts the frame window', () => {
    const { c, advance } = rig();
    c.track({ id: 1, startedAt: 0, firstFrameAt: 100 });
    c.frames(500, 3);
    advance(1_000);
    c.frames(530, 3);
    expect(c.read().fps).toBeCloseTo(30);
    advance(1_000);
    c.frames(4, 0);
    expect(c.read().fps).toBeNull();
    advance(1_000);
    c.frames(19, 0);
    expect(c.read().fps).toBeCloseTo(15);
  });

  it('bitrate is bytes over the window, or over the time since tracking began when that is shorter', () => {
    const { c, advance } = rig(4_000);
    c.track({ id: 1, startedAt: 0, firstFrameAt: null });
    advance(1_000);
    c.bytes(125_000);
    // 1 Mbit in the first second.
    expect(c.read().bitrateBps).toBeCloseTo(1_000_000);
    for (let i = 0; i < 10; i++) {
      advance(1_000);
      c.bytes(62_500);
    }
    // Four seconds of 0.5 Mbit/s in the window: the first second's burst has left it.
    expect(c.read().bitrateBps).toBeCloseTo(500_000);
    advance(10_000);
    expect(c.read().bitrateBps).toBe(0);
  });

  it('a new attempt starts its own figures; time to first frame is its own', () => {
    const { c, advance, at } = rig();
    c.track({ id: 1, startedAt: 0, firstFrameAt: 800 });
    c.bytes(100_000);
    c.frames(100, 0);
    advance(1_000);
    c.frames(110, 0);
    expect(c.read().ttffMs).toBe(800);
    c.track({ id: 2, startedAt: at(), firstFrameAt: null });
    expect(c.read()).toMatchObject({ fps: null, ttffMs: null, bitrateBps: null });
    advance(450.4);
    c.track({ id: 2, startedAt: at() - 450.4, firstFrameAt: at() });
    expect(c.read().ttffMs).toBe(450);
    c.track(null);
    c.bytes(1_000);
    expect(c.read()).toMatchObject({ bitrateBps: null, ttffMs: null });
  });

  it('keeps the newest fallback history entries with their wall-clock time', () => {
    const { c, advance } = rig();
    c.event({ kind: 'failed', transport: 'mse', from: null, reason: 'mse_ws_closed_4503' });
    advance(1_000);
    c.event({ kind: 'fell_back', transport: 'hls', from: 'mse', reason: null });
    advance(1_000);
    c.event({ kind: 'failed', transport: 'hls', from: null, reason: 'stalled' });
    advance(1_000);
    c.event({ kind: 'climbed', transport: 'mse', from: 'jsmpeg', reason: null });
    const h = c.read().history;
    expect(h.map((e) => `${e.kind}:${e.transport}`)).toEqual(['fell_back:hls', 'failed:hls', 'climbed:mse']);
    expect(h[0]!.at).toBe(1_700_000_002_000);
  });

  it('rejects a window that is not positive', () => {
    expect(() => createStatsCollector({ now: () => 0, windowMs: 0 })).toThrow(/windowMs/);
  });
});
