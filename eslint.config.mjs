// Lint: type-aware typescript-eslint rules over the code, import cycles, and the workflow sandbox's import fence.
// Formatting is Prettier's job (npm run lint runs `prettier --check .` after eslint).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The sandbox may load values only from these modules and from files beside it (./); type-only imports are free.
const WORKFLOW_VALUE_IMPORTS = ['@temporalio/workflow', '@temporalio/common'];

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.data/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads .ts modules (to follow cycles through them) only when told their extensions and parser.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.eslint.json' })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Unused names are errors, except the `_`-prefixed ones kept for a signature's shape.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Off: an `async` function without `await` is how this code implements Promise-returning interfaces (stubs,
      // bench systems); dropping `async` would mean Promise.resolve wrappers. Missed awaits are no-floating-promises'.
      '@typescript-eslint/require-await': 'off',
      // A caught error is `unknown`; passing it on as a rejection is rethrowing, not rejecting with a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Off: the code writes `xs[0]!` and `xs[i] as number` where an element may be missing, which the compiler
      // (without noUncheckedIndexedAccess) does not know; removing those no-op assertions would be churn.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off: matching control characters is the point of the regexes that do it (storable text, hostile input).
      'no-control-regex': 'off',
    },
  },
  {
    // Off where values are untyped by nature: JavaScript files (no checkJs) and tests, whose response bodies are
    // `any` parsed JSON that the assertions check; typing each one would be churn without a caught bug.
    files: ['**/*.js', 'test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The portal's browser modules: plain ES modules with DOM types, checked without a build step.
    files: ['src/portal/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      parserOptions: { project: './tsconfig.portal.json', tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser },
    },
  },
  {
    // Node scripts and configs written in CommonJS.
    files: ['**/*.js'],
    ignores: ['src/portal/static/**'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The workflow sandbox: deterministic, no I/O. Everything it loads runs in Temporal's replay sandbox.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!(${WORKFLOW_VALUE_IMPORTS.join('|')})$)(?!\\./)`,
              allowTypeImports: true,
              message:
                'workflows/ loads values only from @temporalio/workflow, @temporalio/common and files in workflows/; use `import type` for anything else.',
            },
          ],
        },
      ],
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'No dynamic import() in the workflow sandbox.' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Workflows get configuration through their input, never process.env.' },
      ],
    },
  },
);
