import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lanRtspUrl, readerProblem } from './urls.js';

/** Any UTF-16 text, lone surrogates included (what a stored document from an older version may hold). */
const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 40 });
const host = fc.constantFrom('127.0.0.1', 'homeassistant.local', '::1', '[fe80::1]');

describe('LAN RTSP URLs', () => {
  it('never throw: a reader password with a UTF-8 spelling round-trips, any other gives null and a reason without the secret', () => {
    fc.assert(
      fc.property(host, fc.option(utf16), (h, password) => {
        const reader = { username: 'viewer', password };
        const url = lanRtspUrl(h, 8554, 'cam/front/main', reader);
        const problem = readerProblem(reader);
        expect(url === null).toBe(problem !== null);
        if (url === null) {
          expect(password).toMatch(/\p{Cs}/u);
          expect(problem).toMatch(/^lan_reader\.password is not well-formed Unicode/);
          expect(problem).not.toContain(password!);
        } else {
          const u = new URL(url);
          expect(u.pathname).toBe('/cam/front/main');
          expect(decodeURIComponent(u.password)).toBe(password ?? '');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('brackets a bare IPv6 host once', () => {
    expect(lanRtspUrl('::1', 8554, 'p', { username: 'viewer', password: null })).toBe('rtsp://[::1]:8554/p');
    expect(lanRtspUrl('[::1]', 8554, 'p', { username: 'viewer', password: 'a b' })).toBe('rtsp://viewer:a%20b@[::1]:8554/p');
  });
});
