import { describe, expect, it } from 'vitest';
import { ApiError } from '../shared/errors.js';
import { parseHlsRequestTarget, parseHlsTarget } from './hls-target.js';

describe('HLS request paths', () => {
  it('splits engine path and file', () => {
    expect(parseHlsTarget('cam/front/main/index.m3u8')).toEqual({ path: 'cam/front/main', file: 'index.m3u8' });
    expect(parseHlsTarget('pipeline.x/out_1/0a1b2c3d4e5f_main_seg12.ts')).toEqual({ path: 'pipeline.x/out_1', file: '0a1b2c3d4e5f_main_seg12.ts' });
    const { target, query } = parseHlsRequestTarget('/api/hassio_ingress/abc123/api/streams/media/hls/cam/front/main/main_stream.m3u8?media_token=a.b&_HLS_msn=3');
    expect(target).toEqual({ path: 'cam/front/main', file: 'main_stream.m3u8' });
    expect(query.get('media_token')).toBe('a.b');
  });

  const P = '/api/streams/media/hls/';
  it.each<[string, number]>([
    [`${P}cam/front/../back/main/index.m3u8`, 400],
    [`${P}cam/front/main/../../back/main/index.m3u8`, 400],
    [`${P}cam/front/main/./index.m3u8`, 400],
    [`${P}cam/%2e%2e/back/main/index.m3u8`, 400],
    [`${P}cam/%2E%2E/back/main/index.m3u8`, 400],
    [`${P}cam/.%2e/back/main/index.m3u8`, 400],
    [`${P}cam/%252e%252e/back/main/index.m3u8`, 400],
    [`${P}cam%2fback%2fmain/index.m3u8`, 400],
    [`${P}cam/front/main%2F..%2F..%2Fback%2Fmain/index.m3u8`, 400],
    [`${P}cam\\..\\back\\main/index.m3u8`, 400],
    [`${P}cam/front/main%5c..%5cindex.m3u8`, 400],
    [`${P}cam//front/main/index.m3u8`, 400],
    [`${P}/cam/front/main/index.m3u8`, 400],
    [`${P}http://127.0.0.1:9997/v3/config/paths/list.m3u8`, 400],
    [`${P}cam/front/main/index.m3u8%00.ts`, 400],
    [`${P}cam/front/main/index.m3u8;x.ts`, 400],
    ['http://127.0.0.1:8888/cam/back/main/index.m3u8', 400],
    ['//evil.example/api/streams/media/hls/cam/back/main/index.m3u8', 400],
    [`${P}cam/front/main/index.html`, 404],
    [`${P}cam/front/main/`, 400],
    [`${P}index.m3u8`, 404],
    [`${P}cam/front/main/..`, 400],
    [`${P}cam/front/main/.m3u8x`, 404],
    [`${P}cam/front/main/index.M3U8`, 404],
    ['/api/streams/media/jsmpeg/cam/front/main/index.m3u8', 404],
  ])('refuses %s with %i', (target, status) => {
    let caught: unknown = null;
    try {
      parseHlsRequestTarget(target);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).status).toBe(status);
  });
});
