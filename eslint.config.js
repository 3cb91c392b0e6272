// ESLint: typescript-eslint's strict type-checked and stylistic rules, tuned where they fight the
// project's deliberate patterns (each exception says why). Formatting is Prettier's job
// (eslint-config-prettier, last, turns off every rule that would disagree with it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TESTS = ['**/*.test.ts', '**/*.test.tsx', 'test/**/*.ts', 'bench/**/*.ts'];

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      // web/src/** resolves to web/tsconfig.json (DOM, JSX); everything else to tsconfig.json.
      parserOptions: { projectService: { allowDefaultProject: ['vitest.engines.config.ts'] }, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // Numbers and booleans in messages are what the logs and errors want; objects and unknowns stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => resolve()` callbacks and `return send(res, …)` early returns in void handlers are the project's idiom.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // With noUncheckedIndexedAccess, `xs[0]!` after a length check or on split() is the deliberate idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Services are factories returning objects of closures, not classes: destructured "methods" are bound.
      '@typescript-eslint/unbound-method': 'off',
      // Hono's chained route builders (`new Hono().get(...)`) are typed subclasses of the Hono they return.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // `socket.on('error', () => {})` deliberately swallows errors the close handler reports.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
    },
  },
  {
    files: TESTS,
    rules: {
      // Tests and benches read JSON bodies and poke at doubles' internals; typing each one adds nothing.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Stubs implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // Doubles' request handlers end in `return send(res, …)`; the value is never read.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // `res?.body` in an assertion reads better than a guard, and a wrong type still fails the test.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    // The panel runs in a browser. Its type-check sees Node's types (the contract module takes its types from the
    // server's modules), so Node's globals are refused here instead.
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    rules: { 'no-restricted-globals': ['error', 'Buffer', 'process', 'global', '__dirname', '__filename', 'require', 'setImmediate'] },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // page.evaluate() callbacks in this script run in Chromium.
    files: ['scripts/check_stream_transport_frames.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  prettier,
);
