import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:engines`: the engine-facing tests only. They run against the project's doubles
 * (CI) and, unchanged, against real MediaMTX / go2rtc binaries when TOPOSYNC_STREAMING_MEDIAMTX_PATH /
 * TOPOSYNC_STREAMING_GO2RTC_PATH name them (test/engines.ts decides which).
 */
export const ENGINE_SUITE = [
  // engine manager, control API client and path sync
  'src/engine/engine.test.ts',
  'src/engine/client.test.ts',
  'src/engine/routes.test.ts',
  // go2rtc sidecar
  'src/sidecar/manager.test.ts',
  // HLS proxy and MSE relay through the engines
  'src/playback/hls-proxy.test.ts',
  'src/playback/mse-relay.test.ts',
  // HLS of H.265, Opus and H.264 cameras through the proxy, hls.js in Chromium
  'test/playback/hls-engine.test.ts',
  // reader counts, demand, endpoints of the composed server
  'test/runtime/demand-e2e.test.ts',
  'test/runtime/endpoints.test.ts',
  // writers publishing into the engine
  'test/runtime/writers-e2e.test.ts',
  'test/playback/corrupt-frames.test.ts',
];

// Spread, not mergeConfig: mergeConfig would append this list to the base config's include globs.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ENGINE_SUITE, outputFile: { json: 'test-results/vitest-engines.json' } },
});
