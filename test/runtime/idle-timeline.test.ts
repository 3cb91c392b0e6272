/**
 * "No viewer: no FFmpeg, no camera connection" (issue 11, 4g), in order: after the last HLS viewer
 * leaves, the engine drops its reader (the muxer closes, `hlsMuxerCloseAfter`), our publisher stops
 * once the demand debounce has run out after that, and only then does the engine close the camera
 * connection (`sourceOnDemandCloseAfter`). Order and the debounce are asserted, not wall bounds:
 * `npm run bench:idle-timeline` measures those.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { engineTarget, REAL_ENGINES } from '../engines.js';
import { stopAllMediaProcesses } from '../media/proc.js';
import { measureIdleTimeline } from './idle-timeline.js';

afterAll(() => stopAllMediaProcesses());

describe(`the idle timeline (${engineTarget('mediamtx')})`, () => {
  it.runIf(REAL_ENGINES.mediamtx)(
    'viewer leaves → engine readers 0 → publisher exits after the debounce → camera connection closed (real engine only: the MediaMTX double pulls no camera and runs no HLS muxer for a transcoded path)',
    async () => {
      const debounceS = 2;
      const { events } = await measureIdleTimeline({ debounceS, viewSeconds: 4 });
      console.info(JSON.stringify({ idle_timeline: events }));
      const at = (name: string) => events.find((e) => e.event === name)!.t_s;
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['viewer_left', 'engine_readers_zero', 'publisher_exited', 'no_ffmpeg', 'camera_closed']));
      expect(at('engine_readers_zero')).toBeGreaterThan(at('viewer_left'));
      expect(at('publisher_exited') - at('engine_readers_zero')).toBeGreaterThanOrEqual(debounceS - 0.5); // the debounce ran after the readers left
      expect(at('no_ffmpeg')).toBeGreaterThanOrEqual(at('publisher_exited'));
      expect(at('camera_closed')).toBeGreaterThanOrEqual(at('publisher_exited'));
    },
    300_000,
  );
});
