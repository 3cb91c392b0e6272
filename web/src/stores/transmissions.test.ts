import { describe, expect, it } from 'vitest';
import type { GeneratedMeta, Transmission } from '../../../src/api/contract.js';
import {
  resolvedUrl,
  createTransmissionsStore,
  emptyTransmissionForm,
  feedersByTransmission,
  newOutputForm,
  numberField,
  ownerPointer,
  refreshTransmissions,
  resolveUrls,
  transmissionBody,
  transmissionErrorField,
  transmissionToForm,
  wizardBody,
  wizardForm,
} from './transmissions.js';

const manual: Transmission = {
  id: '0b7f6a52-1111-4222-8333-444455556666',
  name: 'Detections',
  description: '',
  enabled: true,
  host_server_id: 'local',
  input: 'writers',
  camera_id: null,
  camera_source_id: null,
  metadata: null,
  outputs: [
    {
      id: 'out',
      name: 'out',
      enabled: true,
      engine_path: 'tx/0b7f6a52/out',
      codec: 'h264',
      width: 1280,
      height: 720,
      fps: 15,
      bitrate_kbps: null,
      enable_rtsp: true,
      enable_hls: true,
      enable_webrtc: false,
    },
    {
      id: 'small',
      name: 'Small',
      enabled: false,
      engine_path: 'tx/0b7f6a52/small',
      codec: 'h264',
      width: null,
      height: null,
      fps: null,
      bitrate_kbps: 800,
      enable_rtsp: true,
      enable_hls: false,
      enable_webrtc: false,
    },
  ],
};

const meta = (over: Partial<GeneratedMeta>): GeneratedMeta => ({
  generated_by: 'stream_publication',
  publication_id: null,
  owner_kind: 'camera_source',
  camera_id: null,
  camera_source_id: null,
  role: null,
  pipeline_name: null,
  publish_node_id: null,
  ...over,
});

describe('transmission form model', () => {
  it('a PUT body carries every output with its id, so none is lost; empty numbers are null', () => {
    const body = transmissionBody(transmissionToForm(manual));
    expect(body).not.toHaveProperty('id');
    expect(body).toMatchObject({ name: 'Detections', input: 'writers', camera_id: null, camera_source_id: null, host_server_id: 'local' });
    expect(body.outputs).toEqual([
      {
        id: 'out',
        name: 'out',
        engine_path: 'tx/0b7f6a52/out',
        enabled: true,
        codec: 'h264',
        width: 1280,
        height: 720,
        fps: 15,
        bitrate_kbps: null,
        enable_rtsp: true,
        enable_hls: true,
        enable_webrtc: false,
      },
      {
        id: 'small',
        name: 'Small',
        engine_path: 'tx/0b7f6a52/small',
        enabled: false,
        codec: 'h264',
        width: null,
        height: null,
        fps: null,
        bitrate_kbps: 800,
        enable_rtsp: true,
        enable_hls: false,
        enable_webrtc: false,
      },
    ]);
  });

  it('a new transmission leaves out what the server picks (id, output id, name, engine path) and sends camera fields only for a camera input', () => {
    const form = emptyTransmissionForm();
    const body = transmissionBody({ ...form, name: 'Mosaic', camera_id: 'porch', camera_source_id: 'main' });
    expect(body).not.toHaveProperty('id');
    expect(body).toMatchObject({ camera_id: null, camera_source_id: null });
    expect(body.outputs).toEqual([{ enabled: true, codec: 'h264', width: 1280, height: 720, fps: 15, bitrate_kbps: null, enable_rtsp: true, enable_hls: true, enable_webrtc: false }]);

    const fromCamera = transmissionBody({ ...form, id: 'c0ffee00-0000-4000-8000-000000000000', name: 'Copy', input: 'camera_source', camera_id: 'porch', camera_source_id: 'main', outputs: [] });
    expect(fromCamera).toMatchObject({ id: 'c0ffee00-0000-4000-8000-000000000000', input: 'camera_source', camera_id: 'porch', camera_source_id: 'main', outputs: [] });
  });

  it('a new transmission runs on this server: its id once the settings are known, "local" before', () => {
    expect(transmissionBody(emptyTransmissionForm('nvr-1'))).toMatchObject({ host_server_id: 'nvr-1' });
    expect(transmissionBody(emptyTransmissionForm())).toMatchObject({ host_server_id: 'local' });
  });

  it('numbers: empty is null, a number is a number, anything else goes as typed so the server names the field', () => {
    expect(numberField('')).toBeNull();
    expect(numberField(' 25 ')).toBe(25);
    expect(numberField('12.5')).toBe(12.5);
    expect(numberField('abc')).toBe('abc');
    expect(newOutputForm().key).not.toBe(newOutputForm().key);
  });

  it('maps server fields to the form, output rows included', () => {
    expect(transmissionErrorField('name')).toBe('name');
    expect(transmissionErrorField('camera_source_id')).toBe('camera_source_id');
    expect(transmissionErrorField('outputs.1.engine_path')).toBe('outputs.1.engine_path');
    expect(transmissionErrorField('outputs.0.codec')).toBe('outputs.0.codec');
    expect(transmissionErrorField('outputs.3.id')).toBe('outputs.3');
    expect(transmissionErrorField('metadata')).toBeNull();
  });
});

describe('generated transmissions', () => {
  it('point at the camera source or pipeline node that owns them', () => {
    expect(ownerPointer(meta({ camera_id: 'porch', camera_source_id: 'sub', publication_id: 'camera:porch:sub' }))).toEqual({ kind: 'camera', camera: 'porch', source: 'sub' });
    expect(ownerPointer(meta({ owner_kind: 'pipeline_output', pipeline_name: 'detect', publish_node_id: 'publish' }))).toEqual({ kind: 'pipeline', pipeline: 'detect', node: 'publish' });
    expect(ownerPointer(meta({ owner_kind: 'live_view' }))).toEqual({ kind: 'publications' });
  });

  it('pipelines are listed under the transmissions they write into, with the continuity warning of their node', () => {
    const link = (node_id: string, transmission_id: string) => ({ node_id, transmission_id, publication_id: null, transmission_exists: true, transmission_enabled: true });
    const feeders = feedersByTransmission([
      {
        pipeline_name: 'detect',
        implicit: false,
        enabled: true,
        transmissions: [link('a', 't1'), link('b', 't2')],
        warnings: [{ code: 'not_continuous', node_id: 'b', message: 'behind a motion gate' }],
      },
      { pipeline_name: 'transmission:t1', implicit: true, enabled: false, transmissions: [link('publish', 't1')], warnings: [] },
    ]);
    expect(feeders).toEqual({
      t1: [
        { pipeline: 'detect', node: 'a', enabled: true, implicit: false, notContinuous: false },
        { pipeline: 'transmission:t1', node: 'publish', enabled: false, implicit: true, notContinuous: false },
      ],
      t2: [{ pipeline: 'detect', node: 'b', enabled: true, implicit: false, notContinuous: true }],
    });
  });
});

describe('transmissions store', () => {
  it('a part that fails keeps its last good value and its error is shown', async () => {
    const store = createTransmissionsStore();
    const signal = new AbortController().signal;
    const health = { transmission_id: manual.id, fallback_reason: 'no_writer' };
    let fail = false;
    const fetcher = async <T>(path: string): Promise<T> => {
      if (path === 'api/streams/transmissions') return [manual] as T;
      if (path === 'api/streams/runtime/health') {
        if (fail) throw new Error('HTTP 503');
        return [health] as T;
      }
      return [] as T;
    };
    await refreshTransmissions(store, signal, fetcher);
    expect(store.get()).toMatchObject({ transmissions: [manual], health: { [manual.id]: health }, feeders: {}, error: null });
    fail = true;
    await refreshTransmissions(store, signal, fetcher);
    expect(store.get()).toMatchObject({ transmissions: [manual], health: { [manual.id]: health }, error: 'HTTP 503' });
  });
});

describe('URL resolution', () => {
  const origin = 'https://ha.local:8123';

  it('root-relative browser URLs get the page origin (ws for WebSockets); RTSP stays as the server wrote it', () => {
    expect(resolvedUrl({ protocol: 'hls', url: '/api/hassio_ingress/abc/api/streams/media/hls/cam/a/index.m3u8?media_token=x' }, origin)).toBe(
      'https://ha.local:8123/api/hassio_ingress/abc/api/streams/media/hls/cam/a/index.m3u8?media_token=x',
    );
    expect(resolvedUrl({ protocol: 'mse', url: '/api/streams/media/mse/cam/a/ws?media_token=x' }, origin)).toBe('wss://ha.local:8123/api/streams/media/mse/cam/a/ws?media_token=x');
    expect(resolvedUrl({ protocol: 'jsmpeg', url: '/p/ws' }, 'http://h:1')).toBe('ws://h:1/p/ws');
    expect(resolvedUrl({ protocol: 'rtsp', url: 'rtsp://h:8554/cam/a' }, origin)).toBe('rtsp://h:8554/cam/a');
  });

  it('primes demand alongside, and a refused prime does not stop the answer', async () => {
    const calls: string[] = [];
    const call = async <T>(path: string, init: { method?: string } = {}): Promise<T> => {
      calls.push(`${init.method ?? 'GET'} ${path}`);
      if (path.endsWith('/prime')) throw new Error('HTTP 404');
      return { transmission_id: 't1', urls: [{ output_id: 'o', protocol: 'hls', resolved_engine_path: 'p', url: '/x.m3u8', requires_auth: false, auth_username: null }], warnings: [] } as T;
    };
    const answer = await resolveUrls('t1', call, origin);
    expect(calls.sort()).toEqual(['GET api/streams/transmissions/t1/urls', 'POST api/streams/transmissions/t1/demand/prime']);
    expect(answer.urls[0]!.url).toBe('https://ha.local:8123/x.m3u8');
  });
});

describe('create-pipeline wizard', () => {
  it('starts on the transmission host and camera, and leaves the camera out when none is chosen', () => {
    const fromCamera = { ...manual, input: 'camera_source' as const, camera_id: 'porch', camera_source_id: 'sub' };
    const form = wizardForm(fromCamera);
    expect(form).toMatchObject({ processing_server_id: 'local', camera_id: 'porch', camera_source_id: 'sub', writer_priority: '0', enabled: true });
    expect(wizardBody(fromCamera.id, { ...form, pipeline_name: ' overlay ', writer_priority: '5' })).toEqual({
      transmission_id: fromCamera.id,
      pipeline_name: 'overlay',
      processing_server_id: 'local',
      camera_id: 'porch',
      camera_source_id: 'sub',
      writer_priority: 5,
      enabled: true,
    });
    expect(wizardBody(manual.id, { ...wizardForm(manual), writer_priority: '' })).toEqual({
      transmission_id: manual.id,
      pipeline_name: `wizard-${manual.id.slice(0, 8)}`,
      processing_server_id: 'local',
      writer_priority: 0,
      enabled: true,
    });
  });
});
