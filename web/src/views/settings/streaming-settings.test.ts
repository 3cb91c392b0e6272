import { describe, expect, it } from 'vitest';
import type { SettingsView as SettingsAnswer } from '../../../../src/api/contract.js';
import { createStreamingSettingsStore, refreshStreamingSettings, saveStreamingSettings, settingsErrorField, settingsFormValues, settingsPatch } from './streaming-settings.js';

const answer: SettingsAnswer = {
  schema_version: 1,
  revision: 3,
  updated_at: '2024-01-01T00:00:00.000Z',
  streaming: {
    server_id: 'local',
    engine: { auto_start: true, allow_download: false, rtsp_port: 8554, hls_port: 8888, webrtc_port: 8889, webrtc_udp_port: 8555, api_port: 9997 },
    lan_reader: { username: 'viewer', has_password: true },
    demand: { debounce_s: 15 },
    writers: { sticky_window_ms: 2000, stale_after_ms: 3000 },
    jsmpeg: { enabled: true, max_sessions: 8, max_sessions_per_transmission: 2, width: 640, fps: 10 },
    mse: { enabled: true, allow_download: false },
    still: { cache_ms: 2000 },
    has_api_token: false,
    peers: [],
  },
  store: { path: '/data/settings.json', loaded_from: 'primary', recovered: false, problems: [], revision: 3 },
};

describe('streaming settings form', () => {
  it('loads numbers as text, booleans as booleans, secrets empty', () => {
    const values = settingsFormValues(answer);
    expect(values['jsmpeg.width']).toBe('640');
    expect(values['jsmpeg.enabled']).toBe(true);
    expect(values['lan_reader.username']).toBe('viewer');
    expect(values['lan_reader.password']).toBe('');
    expect(values.api_token).toBe('');
  });

  it('the PATCH names only what changed, nested like the schema, numbers as numbers', () => {
    const loaded = settingsFormValues(answer);
    expect(settingsPatch(loaded, loaded)).toEqual({});
    const changed = { ...loaded, 'jsmpeg.fps': '5', 'jsmpeg.width': '480', 'mse.enabled': false, 'lan_reader.username': ' watcher ' };
    expect(settingsPatch(loaded, changed)).toEqual({ jsmpeg: { fps: 5, width: 480 }, mse: { enabled: false }, lan_reader: { username: 'watcher' } });
  });

  it('a secret is sent only when typed: empty keeps the saved one', () => {
    const loaded = settingsFormValues(answer);
    expect(settingsPatch(loaded, { ...loaded, 'lan_reader.password': '' })).toEqual({});
    expect(settingsPatch(loaded, { ...loaded, 'lan_reader.password': 'longenough', api_token: 'tok-tok-tok' })).toEqual({
      lan_reader: { password: 'longenough' },
      api_token: 'tok-tok-tok',
    });
  });

  it('a server error shows next to the setting it names', () => {
    expect(settingsErrorField('jsmpeg.width')).toBe('jsmpeg.width');
    expect(settingsErrorField('engine.allow_download')).toBe('engine.allow_download');
    expect(settingsErrorField('jsmpeg')).toBeNull();
    expect(settingsErrorField('body')).toBeNull();
  });
});

describe('streaming settings store', () => {
  it('loads the settings, keeps them when a refresh fails, and takes what a save answers', async () => {
    const store = createStreamingSettingsStore();
    const signal = new AbortController().signal;
    await refreshStreamingSettings(store, signal, async <T>() => answer as T);
    expect(store.get()).toEqual({ settings: answer, error: null });
    await refreshStreamingSettings(store, signal, async () => {
      throw new Error('HTTP 500');
    });
    expect(store.get()).toEqual({ settings: answer, error: 'HTTP 500' });

    const saved = { ...answer, revision: 4 };
    const calls: unknown[] = [];
    await saveStreamingSettings(store, { jsmpeg: { fps: 5 } }, async <T>(path: string, init?: { method?: string; body?: unknown }) => {
      calls.push([init?.method, path, init?.body]);
      return saved as T;
    });
    expect(calls).toEqual([['PATCH', 'api/streams/settings', { jsmpeg: { fps: 5 } }]]);
    expect(store.get()).toEqual({ settings: saved, error: null });
  });
});
