import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../harness.js';

const PASSWORD = 'Tr0ub4dor&3-CAMERA-SECRET';
const URL_PASSWORD = 'in-url-S3CRET-42';
let h: Harness;
const bodies: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  const record = async (method: string, path: string, body?: unknown) => {
    const res = await h.request(method, path, body);
    bodies.push(res.text);
    return res;
  };
  await record('POST', '/api/cameras', { id: 'front', name: 'Front', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/1', username: 'admin', password: PASSWORD }] });
  await record('POST', '/api/cameras', { id: 'yard', name: 'Yard', sources: [{ id: 'main', url: `rtsp://admin:${URL_PASSWORD}@192.0.2.11/1` }] });
  // Rejected writes must not echo the password back either.
  await record('POST', '/api/cameras', { name: 'Bad', sources: [{ url: 'rtsp://192.0.2.12/', password: PASSWORD.repeat(20) }] });
  await record('POST', '/api/cameras', { name: 'Bad', sources: [{ url: 'rtsp://192.0.2.12/', password: 42 }], extra: PASSWORD });
  await record('PUT', '/api/cameras/front', { name: 'Front', sources: [{ id: 'main', url: `rtsp://u:${PASSWORD}@192.0.2.10/1`, role: 'nope' }] });
  await record('PUT', '/api/cameras/front', { name: 'Front', sources: [{ id: 'main', url: 'rtsp://192.0.2.10/1', role: 'main' }] });
  await record('PUT', '/api/streams/publications/camera-sources/front/main', { label: 'x' });
  for (const path of [
    '/api/cameras',
    '/api/cameras/front',
    '/api/cameras/yard',
    '/api/streams/publications',
    '/api/streams/pipelines',
    '/api/streams/runtime/pipelines',
    '/api/streams/transmissions',
    '/api/streams/live-views',
    '/api/streams/settings',
  ]) {
    await record('GET', path);
  }
  await record('POST', '/api/streams/reconcile');
});
afterAll(() => h.close());

describe('camera passwords', () => {
  it('are stored (so the scan below is meaningful)', async () => {
    expect(await h.settingsBytes()).toContain(PASSWORD);
    expect(await h.settingsBytes()).toContain(URL_PASSWORD);
  });

  it('never appear in a response body', () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(URL_PASSWORD);
    }
  });

  it('never appear in a log line', () => {
    expect(h.logs.length).toBeGreaterThan(10);
    for (const line of h.logs) {
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain(URL_PASSWORD);
    }
  });
});
