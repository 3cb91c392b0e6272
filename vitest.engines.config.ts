import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:engines`: the engine-facing tests only. They run against the project's doubles
 * (CI) and, unchanged, against real MediaMTX / go2rtc binaries when TOPOSYNC_STREAMING_MEDIAMTX_PATH /
 * TOPOSYNC_STREAMING_GO2RTC_PATH name them (test/engines.ts decides which).
 */
export const ENGINE_SUITE = [
  // engine manager, control API client, path sync, camera sources, ports
  'src/engine/engine.test.ts',
  'src/engine/client.test.ts',
  'src/engine/routes.test.ts',
  'src/engine/engine-real-fixes.test.ts',
  'src/engine/camera-sources-real.test.ts',
  // go2rtc sidecar
  'src/sidecar/manager.test.ts',
  // HLS proxy (fMP4/low-latency; H.265, Opus and H.264 cameras, hls.js in Chromium) and MSE relay through the engines
  'test/playback/hls-engine.test.ts',
  'test/playback/mse-cold.test.ts',
  'src/playback/mse-slow-viewer.test.ts',
  // the proxy's and relay's own behaviour, against the doubles only (their names say why)
  'src/playback/hls-proxy.test.ts',
  'src/playback/mse-relay.test.ts',
  // reader counts, demand, endpoints of the composed server
  'test/runtime/demand-e2e.test.ts',
  // RTSP readers starting publishers (runOnDemand) and the idle timeline (issue 11, 4f, 4g)
  'test/runtime/rtsp-on-demand.test.ts',
  'test/runtime/idle-timeline.test.ts',
  'test/runtime/endpoints.test.ts',
  // camera source probes through the engine's path (issue 13.2)
  'test/runtime/probe.test.ts',
  // writers publishing into the engine
  'test/runtime/writers-e2e.test.ts',
  'test/playback/corrupt-frames.test.ts',
  // a transmission hosted by a second server, played through the first (issue 14)
  'test/distributed/two-servers.test.ts',
  'test/browser/distributed.test.ts',
  // every transport at once with real parts (issue 11, point 3)
  'test/e2e/**/*.test.ts',
];

// Spread, not mergeConfig: mergeConfig would append this list to the base config's include globs.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ENGINE_SUITE, outputFile: { json: 'test-results/vitest-engines.json' } },
});
