/**
 * The layers of ARCHITECTURE.md, enforced (`npm run lint:deps`, run by .ci/run).
 *
 * LAYERS lists, lowest first, each part of the server and the parts it may import. Anything not
 * listed is a violation. The table itself must be a strict order: this file refuses to load when a
 * part may import a part of a later row, so no cycle between folders can be allowed by mistake.
 */
const LAYERS = [
  ['shared', []],
  ['domain', ['shared']],
  ['process', ['shared']],
  ['store', ['domain', 'shared']],
  ['reconcile', ['domain', 'shared']],
  ['managed', ['process', 'store', 'domain', 'shared']],
  ['engine', ['managed', 'process', 'store', 'domain', 'shared']],
  ['sidecar', ['managed', 'process', 'store', 'domain', 'shared']],
  ['runtime', ['engine', 'process', 'store', 'domain', 'shared']],
  ['control', ['reconcile', 'store', 'domain', 'shared']],
  ['onvif', ['control', 'domain', 'shared']],
  ['playback', ['runtime', 'engine', 'sidecar', 'process', 'store', 'domain', 'shared']],
  ['demo', ['control', 'runtime', 'process', 'store', 'domain', 'shared']],
  ['api', ['onvif', 'playback', 'control', 'runtime', 'engine', 'sidecar', 'store', 'reconcile', 'domain', 'shared']],
  ['web', ['playback', 'domain', 'shared']],
  ['server', ['api', 'web', 'demo', 'onvif', 'playback', 'control', 'runtime', 'engine', 'sidecar', 'managed', 'process', 'store', 'reconcile', 'domain', 'shared']],
  ['addon', ['server', 'api', 'playback', 'control', 'runtime', 'engine', 'store', 'domain', 'shared']],
  ['config', ['api', 'shared']],
  ['main', ['addon', 'config', 'server', 'shared']],
];

/** Where each part lives: a folder under src/, or one of the two files at its root. */
const PATHS = { server: '^src/server\\.ts$', main: '^src/main\\.ts$' };
const pathOf = (part) => PATHS[part] ?? `^src/${part}/`;

const rank = new Map(LAYERS.map(([part], i) => [part, i]));
for (const [part, allowed] of LAYERS) {
  for (const other of allowed) {
    if (!rank.has(other)) throw new Error(`.dependency-cruiser.cjs: ${part} may import "${other}", which is no layer`);
    if (rank.get(other) >= rank.get(part)) throw new Error(`.dependency-cruiser.cjs: ${part} may import ${other}, a part of its own or a later row (a cycle waiting to happen)`);
  }
}

const layerRules = LAYERS.map(([part, allowed]) => ({
  name: `layer-${part}`,
  comment: `${part} imports only ${allowed.length ? allowed.join(', ') : 'node and npm modules'} (ARCHITECTURE.md)`,
  severity: 'error',
  from: { path: pathOf(part) },
  to: { path: '^src/', pathNot: [pathOf(part), ...allowed.map(pathOf)] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'no import cycle between modules',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'web-takes-types-only',
      comment: 'the UI reaches the server only through the type-only contract module (import type)',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: '^src/api/contract\\.ts$' },
    },
    {
      name: 'web-contract-is-type-only',
      comment: 'the contract module is imported with `import type` (nothing of the server ends up in the bundle)',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/api/contract\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'contract-is-types',
      comment: 'the contract module holds types only: it may take types from anywhere, values from nowhere',
      severity: 'error',
      from: { path: '^src/api/contract\\.ts$' },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-production-import-of-tests',
      comment: 'production code never imports test code',
      severity: 'error',
      from: { path: '^(src|web/src)/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '(^test/|\\.test\\.tsx?$)' },
    },
  ],
  options: {
    // Tests may reach across layers (a test of the edge starts the whole server); they are not cruised.
    exclude: { path: '(\\.test\\.tsx?$|^test/|^bench/|node_modules|^web/dist/)' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
