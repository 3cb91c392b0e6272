import { afterEach, describe, expect, it } from 'vitest';
import { startOnvifResponder, type Responder } from '../../test/doubles/onvif/responder.js';
import { waitFor } from '../../test/support/wait.js';
import type { CameraService } from '../control/cameras.js';
import { createOnvifService } from './service.js';

// Scans only: imports are tested through the API (test/api/onvif.test.ts). No camera exists here.
const cameras = { list: () => [] } as unknown as CameraService;
let responder: Responder | null = null;
afterEach(async () => {
  await responder?.close();
  responder = null;
});

describe('ONVIF service options', () => {
  it.each([
    [{ discoveryTarget: { address: 'camera.local', port: 3702 } }, /discoveryTarget.address/],
    [{ discoveryTarget: { address: '127.0.0.1', port: 0 } }, /discoveryTarget.port/],
    [{ requestTimeoutMs: 10 }, /requestTimeoutMs/],
    [{ requestTimeoutMs: 1500.5 }, /requestTimeoutMs/],
  ])('refuses %j at start-up', (opts, message) => {
    expect(() => createOnvifService(cameras, opts)).toThrow(message);
  });
});

describe('ONVIF discovery scans', () => {
  it('keeps the last five scans; an older one is gone (404)', async () => {
    responder = await startOnvifResponder({ mode: 'silent' });
    const onvif = createOnvifService(cameras, { discoveryTarget: { address: '127.0.0.1', port: responder.discoveryPort } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const scan = onvif.discover(20);
      ids.push(scan.id);
      await waitFor('the scan ends', () => onvif.scan(scan.id).state === 'done');
    }
    expect(new Set(ids).size).toBe(6);
    expect(() => onvif.scan(ids[0]!)).toThrow(expect.objectContaining({ status: 404 }));
    for (const id of ids.slice(1)) expect(onvif.scan(id)).toMatchObject({ id, state: 'done', devices: [], error: null });
  });
});
