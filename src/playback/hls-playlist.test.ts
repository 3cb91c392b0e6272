import { describe, expect, it } from 'vitest';
import { PlaylistRewriteError, rewritePlaylist } from './hls-playlist.js';

const TOKEN = 'eyJ0IjoidDEiLCJvIjoibWFpbiJ9.Zm9yZ2VkLXNpZ25hdHVyZS1fYWJj';
const T = `media_token=${TOKEN}`;
const UP = 'http://127.0.0.1:8888/cam/front/main/index.m3u8?cookieCheck=1';
const MEDIA_UP = 'http://127.0.0.1:8888/cam/front/main/main_stream.m3u8?session=35d95f31-9583-46a2-bfd2-75a100d689e6';
const S = 'session=35d95f31-9583-46a2-bfd2-75a100d689e6';

describe('rewritePlaylist', () => {
  it.each<[string, string, string, string, string | null]>([
    [
      'MediaMTX mpegts multivariant playlist (session on the variant URI)',
      UP,
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n\n#EXT-X-STREAM-INF:BANDWIDTH=782080,AVERAGE-BANDWIDTH=782080,CODECS="avc1.42c00d",RESOLUTION=320x240,FRAME-RATE=25.000\n' +
        `main_stream.m3u8?${S}\n`,
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n\n#EXT-X-STREAM-INF:BANDWIDTH=782080,AVERAGE-BANDWIDTH=782080,CODECS="avc1.42c00d",RESOLUTION=320x240,FRAME-RATE=25.000\n' +
        `main_stream.m3u8?${T}\n`,
      '35d95f31-9583-46a2-bfd2-75a100d689e6',
    ],
    [
      'MediaMTX mpegts media playlist (session on every segment)',
      MEDIA_UP,
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:4\n' +
        `#EXT-X-PROGRAM-DATE-TIME:2026-11-24T16:02:47.529Z\n#EXTINF:1.00000,\n060c40d339c4_main_seg4.ts?${S}\n` +
        `#EXT-X-PROGRAM-DATE-TIME:2026-11-24T16:02:48.53Z\n#EXTINF:1.00000,\n060c40d339c4_main_seg5.ts?${S}\n`,
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-ALLOW-CACHE:NO\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:4\n' +
        `#EXT-X-PROGRAM-DATE-TIME:2026-11-24T16:02:47.529Z\n#EXTINF:1.00000,\n060c40d339c4_main_seg4.ts?${T}\n` +
        `#EXT-X-PROGRAM-DATE-TIME:2026-11-24T16:02:48.53Z\n#EXTINF:1.00000,\n060c40d339c4_main_seg5.ts?${T}\n`,
      '35d95f31-9583-46a2-bfd2-75a100d689e6',
    ],
    [
      'fMP4 multivariant playlist with an audio rendition (EXT-X-MEDIA URI attribute)',
      UP,
      '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-INDEPENDENT-SEGMENTS\n\n' +
        `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8?${S}"\n\n` +
        `#EXT-X-STREAM-INF:BANDWIDTH=872,AVERAGE-BANDWIDTH=436,CODECS="avc1.42c028,mp4a.40.2",RESOLUTION=1920x1080,FRAME-RATE=30.000,AUDIO="audio"\nvideo1_stream.m3u8?${S}\n`,
      '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-INDEPENDENT-SEGMENTS\n\n' +
        `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8?${T}"\n\n` +
        `#EXT-X-STREAM-INF:BANDWIDTH=872,AVERAGE-BANDWIDTH=436,CODECS="avc1.42c028,mp4a.40.2",RESOLUTION=1920x1080,FRAME-RATE=30.000,AUDIO="audio"\nvideo1_stream.m3u8?${T}\n`,
      '35d95f31-9583-46a2-bfd2-75a100d689e6',
    ],
    [
      'fMP4 media playlist: EXT-X-MAP init segment',
      MEDIA_UP,
      `#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI="9a8b_video1_init.mp4?${S}"\n#EXTINF:2.00000,\n9a8b_video1_seg0.mp4?${S}\n`,
      `#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-MAP:URI="9a8b_video1_init.mp4?${T}"\n#EXTINF:2.00000,\n9a8b_video1_seg0.mp4?${T}\n`,
      '35d95f31-9583-46a2-bfd2-75a100d689e6',
    ],
    [
      'Low-Latency HLS: gaps, EXT-X-PART, EXT-X-PRELOAD-HINT and EXT-X-RENDITION-REPORT URIs; _HLS_ echoes dropped',
      `${MEDIA_UP}&_HLS_msn=8&_HLS_part=2`,
      '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:4\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=5.00000,CAN-SKIP-UNTIL=24.00000\n#EXT-X-PART-INF:PART-TARGET=2.00000\n#EXT-X-MEDIA-SEQUENCE:2\n' +
        `#EXT-X-MAP:URI="ab12_video1_init.mp4?${S}"\n#EXT-X-GAP\n#EXTINF:4.00000,\ngap.mp4\n` +
        `#EXT-X-PROGRAM-DATE-TIME:2010-01-01T01:01:02Z\n#EXT-X-PART:DURATION=2.00000,URI="ab12_video1_part0.mp4?${S}",INDEPENDENT=YES\n#EXTINF:4.00000,\nab12_video1_seg7.mp4?${S}\n` +
        `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ab12_video1_part3.mp4?${S}"\n#EXT-X-RENDITION-REPORT:URI="audio2_stream.m3u8?${S}",LAST-MSN=8,LAST-PART=2\n`,
      '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:4\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=5.00000,CAN-SKIP-UNTIL=24.00000\n#EXT-X-PART-INF:PART-TARGET=2.00000\n#EXT-X-MEDIA-SEQUENCE:2\n' +
        `#EXT-X-MAP:URI="ab12_video1_init.mp4?${T}"\n#EXT-X-GAP\n#EXTINF:4.00000,\ngap.mp4?${T}\n` +
        `#EXT-X-PROGRAM-DATE-TIME:2010-01-01T01:01:02Z\n#EXT-X-PART:DURATION=2.00000,URI="ab12_video1_part0.mp4?${T}",INDEPENDENT=YES\n#EXTINF:4.00000,\nab12_video1_seg7.mp4?${T}\n` +
        `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ab12_video1_part3.mp4?${T}"\n#EXT-X-RENDITION-REPORT:URI="audio2_stream.m3u8?${T}",LAST-MSN=8,LAST-PART=2\n`,
      '35d95f31-9583-46a2-bfd2-75a100d689e6',
    ],
    [
      'root-relative and absolute same-origin URIs in the same folder become bare names; CRLF becomes LF',
      MEDIA_UP,
      `#EXTM3U\r\n#EXTINF:1.0,\r\n/cam/front/main/a_main_seg1.ts?${S}\r\n#EXTINF:1.0,\r\nhttp://127.0.0.1:8888/cam/front/main/a_main_seg2.ts\r\n#EXTINF:1.0,\r\n./a_main_seg3.ts\r\n`,
      `#EXTM3U\n#EXTINF:1.0,\na_main_seg1.ts?${T}\n#EXTINF:1.0,\na_main_seg2.ts?${T}\n#EXTINF:1.0,\na_main_seg3.ts?${T}\n`,
      '35d95f31-9583-46a2-bfd2-75a100d689e6',
    ],
    ['a playlist without any session (cookie mode)', MEDIA_UP, '#EXTM3U\n#EXTINF:1.0,\nx_main_seg0.ts\n', `#EXTM3U\n#EXTINF:1.0,\nx_main_seg0.ts?${T}\n`, null],
  ])('%s', (_what, upstream, input, output, session) => {
    const r = rewritePlaylist(input, upstream, TOKEN);
    expect(r.text).toBe(output);
    expect(r.session).toBe(session);
    expect(r.text).not.toMatch(/session=|cookieCheck|_HLS_|127\.0\.0\.1|\/cam\//);
    // Every URI is relative: resolved against the browser's playlist URL it stays under its prefix.
    const page = 'https://ha.local/api/hassio_ingress/abc123/api/streams/media/hls/cam/front/main/index.m3u8?media_token=x';
    const uris = [...r.text.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!).concat(r.text.split('\n').filter((l) => l && !l.startsWith('#')));
    expect(uris.length).toBeGreaterThan(0);
    for (const u of uris) {
      const resolved = new URL(u, page);
      expect(resolved.pathname.startsWith('/api/hassio_ingress/abc123/api/streams/media/hls/cam/front/main/')).toBe(true);
      expect(resolved.searchParams.get('media_token')).toBe(TOKEN);
    }
  });

  it('reports the URI lines and attribute URIs by upstream name', () => {
    const r = rewritePlaylist(`#EXTM3U\n#EXT-X-MAP:URI="i_init.mp4?${S}"\n#EXTINF:1,\ns_seg0.mp4?${S}\n`, MEDIA_UP, TOKEN);
    expect(r).toMatchObject({ lines: ['s_seg0.mp4'], attributes: ['i_init.mp4'], multivariant: false });
    expect(rewritePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmain_stream.m3u8\n', UP, TOKEN).multivariant).toBe(true);
  });

  it('rewrites real MediaMTX v1.20.1 Low-Latency HLS (init, parts, preload hint, audio rendition) and leaves the gaps out of the segments to fetch', () => {
    const LL_UP = `http://127.0.0.1:8888/cam/front/main/video1_stream.m3u8?${S}&_HLS_msn=8&_HLS_part=0`;
    // As real MediaMTX v1.20.1 answered for an H.264 + Opus camera (trimmed to two gaps).
    const mv = rewritePlaylist(
      '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-INDEPENDENT-SEGMENTS\n\n' +
        `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8?${S}"\n\n` +
        `#EXT-X-STREAM-INF:BANDWIDTH=85200,AVERAGE-BANDWIDTH=85200,CODECS="avc1.42c016,opus",RESOLUTION=640x360,FRAME-RATE=15.000,AUDIO="audio"\nvideo1_stream.m3u8?${S}\n`,
      UP,
      TOKEN,
    );
    expect(mv).toMatchObject({ lines: ['video1_stream.m3u8'], attributes: ['audio2_stream.m3u8'], multivariant: true, session: '35d95f31-9583-46a2-bfd2-75a100d689e6' });
    const media = rewritePlaylist(
      '#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:1\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.66750,CAN-SKIP-UNTIL=6.00000\n#EXT-X-PART-INF:PART-TARGET=0.26700\n#EXT-X-MEDIA-SEQUENCE:1\n' +
        `#EXT-X-MAP:URI="381614f1c1e0_video1_init.mp4?${S}"\n#EXT-X-GAP\n#EXTINF:1.00000,\ngap.mp4\n#EXT-X-GAP\n#EXTINF:1.00000,\ngap.mp4\n` +
        `#EXT-X-PROGRAM-DATE-TIME:2026-12-05T19:57:33.809Z\n#EXT-X-PART:DURATION=0.26667,URI="381614f1c1e0_video1_part0.mp4?${S}",INDEPENDENT=YES\n` +
        `#EXTINF:1.00000,\n381614f1c1e0_video1_seg7.mp4?${S}\n#EXT-X-PART:DURATION=0.26667,URI="381614f1c1e0_video1_part4.mp4?${S}",INDEPENDENT=YES\n` +
        `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="381614f1c1e0_video1_part5.mp4?${S}"\n`,
      LL_UP,
      TOKEN,
    );
    expect(media.lines).toEqual(['381614f1c1e0_video1_seg7.mp4']);
    expect(media.attributes).toEqual(['381614f1c1e0_video1_init.mp4', '381614f1c1e0_video1_part0.mp4', '381614f1c1e0_video1_part4.mp4', '381614f1c1e0_video1_part5.mp4']);
    expect(media.text).toContain(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="381614f1c1e0_video1_part5.mp4?${T}"`);
    expect(media.text).toContain(`#EXT-X-PART:DURATION=0.26667,URI="381614f1c1e0_video1_part0.mp4?${T}",INDEPENDENT=YES`);
    expect(media.text).toContain('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.66750,CAN-SKIP-UNTIL=6.00000');
    expect(media.text).toContain(`#EXT-X-GAP\n#EXTINF:1.00000,\ngap.mp4?${T}\n`);
    expect(media.text).not.toContain('session=');
    expect(media.text).not.toContain('_HLS_');
  });

  it.each([
    ['another origin', '#EXTM3U\n#EXTINF:1,\nhttp://evil.example/cam/front/main/s.ts\n'],
    ['another port of the same host', '#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:9997/cam/front/main/s.ts\n'],
    ['a protocol-relative URI', '#EXTM3U\n#EXTINF:1,\n//evil.example/s.ts\n'],
    ['another engine path (root-relative)', '#EXTM3U\n#EXTINF:1,\n/cam/back/main/s.ts\n'],
    ['a parent folder', '#EXTM3U\n#EXTINF:1,\n../../back/main/s.ts\n'],
    ['a sub-folder', '#EXTM3U\n#EXTINF:1,\nsub/s.ts\n'],
    ['an encoded traversal', '#EXTM3U\n#EXTINF:1,\n..%2F..%2Fback%2Fmain%2Fs.ts\n'],
    ['a data: URI in EXT-X-MAP', '#EXTM3U\n#EXT-X-MAP:URI="data:video/mp4;base64,AAAA"\n'],
    ['a file that is not a playlist or segment', '#EXTM3U\n#EXTINF:1,\nindex.html\n'],
    ['a key URI', '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k"\n'],
    ['no #EXTM3U header', '<html>not a playlist</html>'],
  ])('refuses %s', (_what, input) => {
    expect(() => rewritePlaylist(input, MEDIA_UP, TOKEN)).toThrow(PlaylistRewriteError);
  });
});
