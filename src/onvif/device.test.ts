import { afterEach, describe, expect, it } from 'vitest';
import { startOnvifResponder, type Responder, type ResponderOptions } from '../../test/doubles/onvif/responder.js';
import { ApiError } from '../shared/errors.js';
import { readDevice } from './device.js';

let responder: Responder | null = null;
afterEach(async () => {
  await responder?.close();
  responder = null;
});

const credentials = { username: 'admin', password: 'secret' };

async function read(opts: ResponderOptions, creds: typeof credentials | null = credentials, timeoutMs = 5000) {
  responder = await startOnvifResponder(opts);
  return readDevice({ host: '127.0.0.1', port: responder.port, devicePath: '/onvif/device_service' }, creds, { timeoutMs });
}

describe('readDevice against the local responder', () => {
  it('reads the description and the video profiles with their stream and snapshot URIs, credentials stripped', async () => {
    const reading = await read({ credentials, clockSkewMs: 2 * 3600_000 });
    expect(reading.device).toEqual({ manufacturer: 'Double & Co', model: 'ONVIF-Responder', firmware: '1.0.0', serial: '0012' });
    expect(reading.profiles).toEqual([
      { token: 'prof_sub', name: 'SubStream', encoding: 'H264', width: 640, height: 360, fps: 15, stream_url: 'rtsp://127.0.0.1:1/sub', snapshot_url: 'http://127.0.0.1:1/snap/sub.jpg' },
      { token: 'prof_main', name: 'MainStream', encoding: 'H264', width: 1920, height: 1080, fps: 25, stream_url: 'rtsp://127.0.0.1:1/main', snapshot_url: 'http://127.0.0.1:1/snap/main.jpg' },
      { token: 'prof_third', name: 'ThirdStream', encoding: 'JPEG', width: 1280, height: 720, fps: 10, stream_url: 'rtsp://127.0.0.1:1/third', snapshot_url: null },
    ]);
    // The clock is asked without a token; every other call carried a valid one.
    expect(responder!.requests[0]).toMatchObject({ operation: 'GetSystemDateAndTime', token: null });
    expect(responder!.requests.slice(1).every((r) => r.token?.valid === true)).toBe(true);
  });

  it('sends the token when credentials are given, even to a camera that answers without one', async () => {
    await read({ credentials, authOptional: true });
    const calls = responder!.requests.filter((r) => r.operation !== 'GetSystemDateAndTime');
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every((r) => r.token?.username === 'admin' && r.token.valid)).toBe(true);
  });

  it('falls back to GetServices when GetCapabilities is not supported', async () => {
    const reading = await read({ credentials, capabilities: false });
    expect(reading.profiles).toHaveLength(3);
    expect(responder!.requests.map((r) => r.operation)).toContain('GetServices');
  });

  it('uses the host and port the user gave when the media address names another host (NAT)', async () => {
    // 127.0.0.2 is loopback too, and nothing listens there: a client that dialled it would fail.
    const reading = await read({ credentials, mediaHost: '127.0.0.2' });
    expect(reading.profiles).toHaveLength(3);
    expect(responder!.requests.filter((r) => r.path === '/onvif/media_service').length).toBeGreaterThan(0);
  });

  it('no video profile is 422 onvif_no_profiles', async () => {
    const err = await read({ credentials, profiles: [{ token: 'a', name: 'Audio', video: false, streamUri: 'rtsp://127.0.0.1:1/a' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, code: 'onvif_no_profiles', field: 'host' });
  });

  it.each([
    ['a wrong password', { credentials: { username: 'admin', password: 'other' } }, 'onvif_unauthorized'],
    ['no credentials for a camera that wants them', { credentials }, 'onvif_unauthorized'],
    ['a camera that refuses everyone', { mode: 'not-authorized' as const }, 'onvif_unauthorized'],
    ['a web page', { mode: 'html' as const }, 'onvif_not_a_device'],
  ])('%s: %s', async (what, opts, code) => {
    const err = await read(opts, what.startsWith('no credentials') ? null : credentials).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(code);
  });

  it('a silent camera is 504 onvif_no_answer after one timeout', async () => {
    const err = await read({ mode: 'silent' }, credentials, 150).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 504, code: 'onvif_no_answer', field: 'host' });
  });
});
