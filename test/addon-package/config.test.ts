import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JsonObject, keysAtDefault, linterFindings, loadReferenceSchema, optionValueProblem, parseOptionType, pngSize, readYaml, ROOT, validatorFor } from './helpers.js';

const config = readYaml('config.yaml');
const configSchema = loadReferenceSchema('ha-addon-config.schema.json');
const buildSchema = loadReferenceSchema('ha-addon-build.schema.json');

// The option contract agreed with the server side (addon/options.ts reads /data/options.json).
const CONTRACT_OPTIONS = [
  'log_level',
  'rtsp_reader_username',
  'rtsp_reader_password',
  'mse_enabled',
  'jsmpeg_max_sessions',
  'jsmpeg_max_sessions_per_transmission',
  'demand_debounce_seconds',
  'webrtc_hosts',
];

describe('config.yaml', () => {
  it('is valid against the add-on linter schema', () => {
    expect(validatorFor(configSchema)(config)).toEqual([]);
  });

  it('sets no key to its default value (the linter rejects those)', () => {
    expect(keysAtDefault(configSchema, config)).toEqual([]);
  });

  it('draws none of the linter checks beyond the schema (watchdog, webui with ingress, ...)', () => {
    expect(linterFindings(config)).toEqual([]);
    expect(config).not.toHaveProperty('watchdog');
  });

  it('is the add-on the issue asks for: amd64 + aarch64, s6 as init, ingress on 8100, HA API, a prebuilt image', () => {
    expect(config).toMatchObject({
      slug: 'toposync_streaming',
      arch: expect.arrayContaining(['amd64', 'aarch64']),
      init: false,
      ingress: true,
      ingress_port: 8100,
      homeassistant_api: true,
      panel_icon: expect.stringMatching(/^mdi:/),
      panel_title: expect.any(String),
    });
    expect((config.arch as string[]).length).toBe(2);
    // Supervisor's slug and version rules (supervisor/apps/validate.py, RE_SLUG and version_tag).
    expect(config.slug).toMatch(/^[-_.A-Za-z0-9]+$/);
    expect(typeof config.version).toBe('string');
    // The store pulls the image the builder workflow publishes (test/addon-package/workflow.test.ts
    // checks the name against the workflow); without `image`, Supervisor would build the Dockerfile.
    expect(config.image).toMatch(/^ghcr\.io\/[a-z0-9-]+\/[a-z0-9._-]+$/);
    expect(config.map).toContain('addon_config:rw');
  });

  it('publishes RTSP and WebRTC, and keeps the direct port closed until the user maps it', () => {
    expect(config.ports).toEqual({ '8554/tcp': 8554, '8555/tcp': 8555, '8555/udp': 8555, '8101/tcp': null });
    // Supervisor's docker_port rule, and one description per port.
    for (const key of Object.keys(config.ports as JsonObject)) expect(key).toMatch(/^\d+(?:\/tcp|\/udp)?$/);
    expect(Object.keys(config.ports_description as JsonObject).sort()).toEqual(Object.keys(config.ports as JsonObject).sort());
    // The ingress port is reached through Home Assistant only, never published.
    expect(Object.keys(config.ports as JsonObject)).not.toContain('8100/tcp');
  });

  it('backup_exclude drops the regenerated runtime folder and keeps settings and secrets', () => {
    // Supervisor tests each path of the add-on's data folder, as Supervisor sees it, with Python's
    // PurePath.match (relative patterns match from the right) and skips an excluded folder whole.
    const match = (path: string, pattern: string) => {
      const p = path.split('/').filter(Boolean);
      const q = pattern.split('/').filter(Boolean);
      if (q.length > p.length) return false;
      const glob = (s: string) =>
        new RegExp(
          `^${s
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replaceAll('*', '[^/]*')
            .replaceAll('?', '[^/]')}$`,
        );
      return q.every((part, i) => glob(part).test(p[p.length - q.length + i]!));
    };
    const excluded = (path: string) => (config.backup_exclude as string[]).some((pattern) => match(path, pattern));
    const data = '/data/addons/data/0a1b2c3d_toposync_streaming';
    expect(excluded(`${data}/runtime`)).toBe(true);
    for (const kept of [data, `${data}/settings.json`, `${data}/settings.json.bak`, `${data}/secrets`, `${data}/secrets/media-token.key`]) {
      expect(excluded(kept), kept).toBe(false);
    }
  });

  it('has options and a schema for exactly the agreed options', () => {
    expect(Object.keys(config.options as JsonObject).sort()).toEqual([...CONTRACT_OPTIONS].sort());
    expect(Object.keys(config.schema as JsonObject).sort()).toEqual([...CONTRACT_OPTIONS].sort());
    expect(config.schema).toEqual({
      log_level: 'list(trace|debug|info|warn|error|fatal)',
      rtsp_reader_username: 'str',
      rtsp_reader_password: 'password',
      mse_enabled: 'bool',
      jsmpeg_max_sessions: 'int(1,64)',
      jsmpeg_max_sessions_per_transmission: 'int(1,16)',
      demand_debounce_seconds: 'int(0,600)',
      webrtc_hosts: 'str?',
    });
  });

  it('option defaults satisfy the option schema (every required option has a valid default)', () => {
    const schema = config.schema as Record<string, string>;
    const options = config.options as JsonObject;
    for (const [key, type] of Object.entries(schema)) {
      const t = parseOptionType(type);
      expect(t, `${key}: Supervisor would not accept the type ${type}`).not.toBeNull();
      if (!(key in options)) {
        expect(t?.optional, `${key} is required but has no default`).toBe(true);
        continue;
      }
      expect(optionValueProblem(t!, options[key]), `${key} = ${JSON.stringify(options[key])} against ${type}`).toBeNull();
    }
    for (const key of Object.keys(options)) expect(schema, `option ${key} has no schema entry`).toHaveProperty(key);
  });
});

describe('the option schema reader used above', () => {
  it('reads the types Supervisor knows and refuses the rest', () => {
    expect(parseOptionType('int(1,64)')).toMatchObject({ kind: 'int', min: 1, max: 64, optional: false });
    expect(parseOptionType('int(,5)?')).toMatchObject({ kind: 'int', max: 5, optional: true });
    expect(parseOptionType('list(trace|debug)')).toMatchObject({ kind: 'list', choices: ['trace', 'debug'] });
    expect(parseOptionType('password')).toMatchObject({ kind: 'password', optional: false });
    expect(parseOptionType('str?')).toMatchObject({ kind: 'str', optional: true });
    expect(parseOptionType('port')).toMatchObject({ kind: 'port' });
    expect(parseOptionType('float(0.5,2)')).toMatchObject({ kind: 'float', min: 0.5, max: 2 });
    for (const bad of ['integer', 'int(1..4)', 'list()', 'string', '', 'bool??']) expect(parseOptionType(bad), bad).toBeNull();
  });

  it('the schema validator refuses a bad config and reads the rewritten named groups', () => {
    const validate = validatorFor(configSchema);
    expect(validate({ ...config, arch: ['x86'] }).join('\n')).toMatch(/arch/);
    expect(validate({ ...config, ports: { '8554/tcp': 0 } }).join('\n')).toMatch(/ports/);
    expect(validate({ ...config, map: ['media:rx'] }).join('\n')).toMatch(/map/);
    // `services` uses `(?P<service>...)` in the reference schema.
    expect(validate({ ...config, services: ['mqtt:want'] })).toEqual([]);
    expect(validate({ ...config, services: ['mqtt:maybe'] })).not.toEqual([]);
  });

  it('catches defaults of the wrong type or out of range', () => {
    const p = (type: string, v: unknown) => optionValueProblem(parseOptionType(type)!, v);
    expect(p('int(1,64)', 0)).toMatch(/outside/);
    expect(p('int(1,64)', 65)).toMatch(/outside/);
    expect(p('int(1,64)', 2.5)).toMatch(/integer/);
    expect(p('int(1,64)', '8')).toMatch(/integer/);
    expect(p('list(info|debug)', 'loud')).toMatch(/not one of/);
    expect(p('bool', 'true')).toMatch(/boolean/);
    expect(p('str(3,)', 'ab')).toMatch(/length/);
    expect(p('port', 70000)).toMatch(/port/);
    expect(p('password', '')).toBeNull();
  });

  it('finds keys at their default the way the linter does (Python equality)', () => {
    expect(keysAtDefault(configSchema, { init: true, ingress_port: 8099, panel_icon: 'mdi:puzzle', stage: 'stable', boot: 'auto' }).sort()).toEqual([
      'boot',
      'ingress_port',
      'init',
      'panel_icon',
      'stage',
    ]);
    // `timeout: 10.0` equals the default 10 in Python; `homeassistant_api: 0` equals False.
    expect(keysAtDefault(configSchema, { timeout: 10.0, homeassistant_api: 0 }).sort()).toEqual(['homeassistant_api', 'timeout']);
    expect(keysAtDefault(configSchema, { init: false, ingress: true })).toEqual([]);
    expect(linterFindings({ ingress: true, webui: 'http://[HOST]:[PORT:80]', watchdog: 'tcp://[HOST]:[PORT:80]' })).toHaveLength(2);
  });
});

describe('build configuration', () => {
  const buildFiles = ['build.yaml', 'build.yml', 'build.json'].filter((f) => existsSync(join(ROOT, f)));

  it('uses the Dockerfile-only form: no build.yaml (Supervisor deprecates it since 2026.04)', () => {
    expect(buildFiles).toEqual([]);
  });

  it.skipIf(buildFiles.length === 0)('a build file, if one is ever added, is valid and sets no default', () => {
    for (const f of buildFiles) {
      const build = readYaml(f);
      expect(validatorFor(buildSchema)(build)).toEqual([]);
      expect(keysAtDefault(buildSchema, build)).toEqual([]);
    }
  });
});

describe('translations', () => {
  for (const lang of ['en', 'pt-BR']) {
    it(`${lang}.yaml names and describes every option and every port`, () => {
      const t = readYaml(`translations/${lang}.yaml`);
      // Supervisor's SCHEMA_APP_TRANSLATIONS: configuration.{option}.{name, description?}, network.{port}: str.
      const configuration = t.configuration as Record<string, { name?: unknown; description?: unknown }>;
      expect(Object.keys(configuration).sort()).toEqual(Object.keys(config.schema as JsonObject).sort());
      for (const [key, entry] of Object.entries(configuration)) {
        expect(typeof entry.name, `${lang} ${key}.name`).toBe('string');
        expect(typeof entry.description, `${lang} ${key}.description`).toBe('string');
      }
      const network = t.network as Record<string, unknown>;
      expect(Object.keys(network).sort()).toEqual(Object.keys(config.ports as JsonObject).sort());
      for (const v of Object.values(network)) expect(typeof v).toBe('string');
    });
  }
});

describe('repository layout', () => {
  it('repository.yaml names the repository and points at the same address as config.yaml', () => {
    const repo = readYaml('repository.yaml');
    expect(typeof repo.name).toBe('string');
    expect(repo.url).toBe(config.url);
  });

  it('Supervisor finds exactly one add-on in this repository: the root config.yaml', () => {
    // supervisor/store/data.py `_find_app_configs`: every `**/config.*` with a .json/.yaml/.yml
    // suffix is an add-on, except under folders starting with "." and under `rootfs`. Supervisor
    // clones the git repository, so the git file list (tracked and not ignored) is what it sees.
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '' && existsSync(join(ROOT, f)));
    const addons = files.filter((f) => {
      const parts = f.split('/');
      if (parts.some((p) => p.startsWith('.') || p === 'rootfs')) return false;
      // glob `config.*`, then Path.suffix (the last extension) in FILE_SUFFIX_CONFIGURATION.
      const name = basename(f);
      return name.startsWith('config.') && /\.(json|yaml|yml)$/.test(name);
    });
    expect(addons).toEqual(['config.yaml']);
  });

  it('has the store artwork at the sizes Home Assistant shows: icon 128x128, logo 250x100', () => {
    expect(pngSize(readFileSync(join(ROOT, 'icon.png')))).toEqual({ width: 128, height: 128 });
    expect(pngSize(readFileSync(join(ROOT, 'logo.png')))).toEqual({ width: 250, height: 100 });
  });

  it('has DOCS.md and CHANGELOG.md, and the changelog names the current version', () => {
    expect(readFileSync(join(ROOT, 'DOCS.md'), 'utf8')).toMatch(/docker buildx build/);
    expect(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')).toContain(`## ${config.version as string}`);
  });
});
