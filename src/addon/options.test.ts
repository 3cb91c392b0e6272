import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../config/env.js';
import { ConfigError } from '../shared/env.js';
import { addonEnv } from './env.js';
import { emptyDoc } from '../domain/settings.js';
import { resolveMode } from './mode.js';
import { applyAddonOptions, overriddenSettings, parseAddonOptions, readAddonOptions } from './options.js';
import { makeDataDir, removeDataDir } from '../../test/support/data-dir.js';

/** config.yaml's defaults, as Supervisor writes them to /data/options.json. */
const DEFAULTS = {
  log_level: 'info',
  rtsp_reader_username: 'viewer',
  rtsp_reader_password: '',
  mse_enabled: true,
  jsmpeg_max_sessions: 8,
  jsmpeg_max_sessions_per_transmission: 2,
  demand_debounce_seconds: 15,
};
const SECRET = 'a-Secret-pw-42';
/** The environment as main.ts reads it: the core's variables, then the add-on's. */
const fromEnv = (env: NodeJS.ProcessEnv) => {
  const core = configFromEnv(env);
  return { ...core, ...addonEnv(env, core.port) };
};
const parse = (over: Record<string, unknown>) => parseAddonOptions(JSON.stringify({ ...DEFAULTS, ...over }), '/data/options.json');
const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('options.json parsing', () => {
  it('accepts the defaults and a full valid set', () => {
    expect(parse({})).toEqual(DEFAULTS);
    expect(
      parse({ log_level: 'trace', rtsp_reader_password: SECRET, mse_enabled: false, jsmpeg_max_sessions: 64, jsmpeg_max_sessions_per_transmission: 16, demand_debounce_seconds: 0 }),
    ).toMatchObject({
      log_level: 'trace',
      rtsp_reader_password: SECRET,
      demand_debounce_seconds: 0,
    });
  });

  it.each([
    ['log_level', 'verbose', /^add-on option log_level must be one of trace, debug, info, warn, error, fatal \(got "verbose"\)/],
    ['rtsp_reader_username', 'a b', /^add-on option rtsp_reader_username must be 1-64 letters/],
    ['rtsp_reader_username', 'any', /^add-on option rtsp_reader_username must not be "any"/],
    ['rtsp_reader_username', 7, /^add-on option rtsp_reader_username must be a string \(got 7\)/],
    ['rtsp_reader_password', 'short', /^add-on option rtsp_reader_password must be empty or 8 to 256 characters \(in /],
    ['mse_enabled', 'yes', /^add-on option mse_enabled must be true or false \(got "yes"\)/],
    ['jsmpeg_max_sessions', 0, /^add-on option jsmpeg_max_sessions must be an integer from 1 to 64 \(got 0\)/],
    ['jsmpeg_max_sessions', 65, /^add-on option jsmpeg_max_sessions must be an integer from 1 to 64 \(got 65\)/],
    ['jsmpeg_max_sessions', 2.5, /^add-on option jsmpeg_max_sessions must be an integer from 1 to 64/],
    ['jsmpeg_max_sessions_per_transmission', 17, /^add-on option jsmpeg_max_sessions_per_transmission must be an integer from 1 to 16 \(got 17\)/],
    ['demand_debounce_seconds', -1, /^add-on option demand_debounce_seconds must be an integer from 0 to 600 \(got -1\)/],
    ['demand_debounce_seconds', '15', /^add-on option demand_debounce_seconds must be an integer from 0 to 600 \(got "15"\)/],
    ['unknown_option', true, /^add-on option unknown_option is not an option of this add-on/],
  ])('%s = %j is refused with a line naming the option', (key, value, message) => {
    const line = failure(() => parse({ [key]: value }));
    expect(line).toMatch(message);
    expect(line).toContain('/data/options.json');
    expect(line).not.toContain('\n');
  });

  it('never echoes the reader password', () => {
    const line = failure(() => parse({ rtsp_reader_password: 'Sh0rt!' }));
    expect(line).not.toContain('Sh0rt!');
  });

  it('refuses text that is not a JSON object', () => {
    expect(failure(() => parseAddonOptions('{', 'o.json'))).toBe('o.json is not valid JSON');
    expect(failure(() => parseAddonOptions('[]', 'o.json'))).toBe('o.json must hold a JSON object');
  });

  it('reads the file; a missing one is null (a manual run in add-on mode)', async () => {
    const dir = await makeDataDir('toposync-options');
    try {
      expect(await readAddonOptions(join(dir, 'options.json'))).toBeNull();
      await writeFile(join(dir, 'options.json'), JSON.stringify({ ...DEFAULTS, demand_debounce_seconds: 30 }));
      expect(await readAddonOptions(join(dir, 'options.json'))).toMatchObject({ demand_debounce_seconds: 30 });
      await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...DEFAULTS, jsmpeg_max_sessions: 99 }));
      await expect(readAddonOptions(join(dir, 'bad.json'))).rejects.toThrow(/jsmpeg_max_sessions must be an integer from 1 to 64 \(got 99\)/);
    } finally {
      await removeDataDir(dir);
    }
  });
});

describe('options over the streaming settings', () => {
  const doc = emptyDoc();
  doc.streaming.lan_reader.password = 'generated-password';

  it('maps every option onto its setting', () => {
    const s = applyAddonOptions(
      doc,
      parse({ rtsp_reader_username: 'ha', rtsp_reader_password: SECRET, mse_enabled: false, jsmpeg_max_sessions: 3, jsmpeg_max_sessions_per_transmission: 1, demand_debounce_seconds: 90 }),
      'generated-reader',
    ).streaming;
    expect(s.lan_reader).toEqual({ username: 'ha', password: SECRET });
    expect(s.mse).toMatchObject({ enabled: false, allow_download: false });
    expect(s.jsmpeg).toMatchObject({ max_sessions: 3, max_sessions_per_transmission: 1, fps: 10 });
    expect(s.demand.debounce_s).toBe(90);
    // Settings that are not options are left alone.
    expect(s.engine).toEqual(doc.streaming.engine);
  });

  it("an empty reader password means the server's generated one", () => {
    expect(applyAddonOptions(doc, parse({}), 'generated-reader').streaming.lan_reader.password).toBe('generated-reader');
  });

  it('without options nothing changes', () => {
    expect(applyAddonOptions(doc, null, 'generated-reader')).toBe(doc);
    expect(overriddenSettings(null)).toEqual([]);
  });

  it('names the settings it overrides', () => {
    expect(overriddenSettings(parse({}))).toEqual(['lan_reader.username', 'lan_reader.password', 'mse.enabled', 'jsmpeg.max_sessions', 'jsmpeg.max_sessions_per_transmission', 'demand.debounce_s']);
    expect(overriddenSettings({ mse_enabled: true })).toEqual(['mse.enabled']);
  });
});

describe('mode and the add-on environment', () => {
  it.each([
    [undefined, null, 'dev'],
    [undefined, 'tok', 'addon'],
    ['addon', null, 'addon'],
    ['dev', 'tok', 'dev'],
  ] as const)('explicit %s with token %s -> %s', (explicit, token, mode) => {
    expect(resolveMode(explicit, token)).toBe(mode);
  });

  it('reads SUPERVISOR_TOKEN, the mode, the direct port and the options path', () => {
    expect(fromEnv({})).toMatchObject({ mode: 'dev', supervisorToken: null, directPort: null, optionsPath: join('./data', 'options.json') });
    expect(fromEnv({ SUPERVISOR_TOKEN: 'tok', TOPOSYNC_STREAMING_DATA_DIR: '/data', TOPOSYNC_STREAMING_DIRECT_PORT: '8101' })).toMatchObject({
      mode: 'addon',
      supervisorToken: 'tok',
      directPort: 8101,
      optionsPath: '/data/options.json',
    });
    expect(fromEnv({ TOPOSYNC_STREAMING_MODE: 'addon', TOPOSYNC_STREAMING_OPTIONS_PATH: '/tmp/o.json' })).toMatchObject({ mode: 'addon', optionsPath: '/tmp/o.json' });
  });

  it.each([
    [{ TOPOSYNC_STREAMING_MODE: 'prod' }, /^TOPOSYNC_STREAMING_MODE must be one of dev, addon \(got "prod"\)$/],
    [{ TOPOSYNC_STREAMING_DIRECT_PORT: '70000' }, /^TOPOSYNC_STREAMING_DIRECT_PORT must be a port number/],
    [{ TOPOSYNC_STREAMING_DIRECT_PORT: '8100' }, /^TOPOSYNC_STREAMING_DIRECT_PORT must differ from TOPOSYNC_STREAMING_PORT/],
    [{ TOPOSYNC_STREAMING_OPTIONS_PATH: '' }, /^TOPOSYNC_STREAMING_OPTIONS_PATH must not be empty/],
  ])('%j is refused naming the variable', (env, message) => {
    expect(() => fromEnv(env)).toThrow(message);
  });
});
