// ESLint flat config (ESLint 10). Formatting is Prettier's job (.prettierrc.json):
// eslint-config-prettier, last, turns off every rule that would fight it.
// Unused exports are found by knip (knip.json), not here: eslint-plugin-import(-x)'s
// no-unused-modules needs the legacy eslintrc file enumerator, which ESLint 10 no longer has.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

/** Type information from the project's own tsconfig.json (src and test are both in it). */
const typed = {
  parserOptions: {
    projectService: true,
    tsconfigRootDir: import.meta.dirname,
  },
};

const unusedVars = [
  'error',
  {
    args: 'after-used',
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
    ignoreRestSiblings: true,
  },
];

/** Promise mistakes matter in library code and tests alike. */
const promiseRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'vectors/', 'coverage/', '.tmp/']),

  {
    name: 'smimekit/src',
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: typed,
    rules: {
      // Binary formats (LDIF SAFE-STRING, MIME, DER text) name control characters in regular expressions on purpose.
      'no-control-regex': 'off',
      ...promiseRules,
      '@typescript-eslint/no-unused-vars': unusedVars,
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // An async function without await is how a method honours a Promise-returning interface
      // (a throw becomes a rejection); flagging it is churn.
      '@typescript-eslint/require-await': 'off',
      // Forwarding a caught `unknown` (abort wrappers) is not a "non-Error rejection".
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Rethrowing what a catch or an allSettled produced (typed unknown) is fine; throwing a literal is not.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true, allowRethrowing: true }],
    },
  },

  {
    name: 'smimekit/test',
    files: ['test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: typed,
    rules: {
      ...promiseRules,
      '@typescript-eslint/no-unused-vars': unusedVars,
      '@typescript-eslint/no-explicit-any': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },

  prettier,
);
