import { afterAll, describe, expect, it } from 'vitest';
import { startDecoder } from './decoder.js';
import { classifyColor, probe } from './frames.js';
import { stopAllMediaProcesses } from './proc.js';
import { startPublisher } from './publisher.js';
import { startRtspBroker } from './rtsp-broker.js';

afterAll(stopAllMediaProcesses);

describe('rtsp-broker fixture (rtsp-server-perl)', () => {
  it('relays one publisher to two UDP readers; TCP readers are refused', async () => {
    const broker = await startRtspBroker();
    const pub = startPublisher({ url: broker.publishUrl('live'), source: 'blue', width: 320, height: 240, fps: 10, transport: 'udp' });
    try {
      await broker.waitForPublisher('live', 10_000);
      const readers = [1, 2].map(() => startDecoder({ input: broker.readUrl('live'), transport: 'udp', maxFrames: 10 }));
      try {
        const results = await Promise.all(readers.map((r) => r.waitForFrames(10, 10_000)));
        for (const [i, frames] of results.entries()) {
          expect(readers[i]!.size()).toEqual({ width: 320, height: 240 });
          for (const f of frames) expect(classifyColor(f.avg)).toBe('blue');
        }
        expect(broker.readerConnections()).toBe(2);
        expect(broker.publisherConnections()).toBe(1);
      } finally {
        await Promise.all(readers.map((r) => r.stop()));
      }
      await expect(probe(broker.readUrl('live'), { transport: 'tcp', timeoutMs: 5_000 })).rejects.toThrow(/400|failed/);
    } finally {
      await pub.stop();
      await broker.stop();
    }
    expect(broker.process.hasExited()).toBe(true);
  });
});
