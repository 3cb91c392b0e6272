import { describe, expect, it } from 'vitest';
import { absoluteUrl, httpUrl, normalise, wsUrl } from './base.js';

describe('base', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['api/hassio_ingress/T', '/api/hassio_ingress/T/'],
  ])('normalises %j to %j', (raw, path) => expect(normalise(raw)).toBe(path));

  it('keeps requests under the prefix', () => {
    expect(httpUrl({ path: '/api/hassio_ingress/T/', origin: 'https://ha.example' }, '/api/streams/live-views')).toBe('/api/hassio_ingress/T/api/streams/live-views');
  });

  it('makes WebSocket URLs against the page origin', () => {
    expect(wsUrl({ origin: 'https://ha.example' }, '/api/hassio_ingress/T/api/streams/media/mse/p/ws?media_token=a')).toBe(
      'wss://ha.example/api/hassio_ingress/T/api/streams/media/mse/p/ws?media_token=a',
    );
    expect(wsUrl({ origin: 'http://127.0.0.1:8099' }, '/x/ws')).toBe('ws://127.0.0.1:8099/x/ws');
  });

  it('leaves an absolute URL as the server wrote it', () => {
    expect(absoluteUrl({ origin: 'https://ha.example' }, 'rtsp://h:8554/cam/a')).toBe('rtsp://h:8554/cam/a');
    expect(absoluteUrl({ origin: 'https://ha.example' }, '/p/index.m3u8')).toBe('https://ha.example/p/index.m3u8');
  });
});
