import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import boundaries from './eslint/module-boundaries.mjs';

/** The layering (docs/architecture.md); eslint/module-boundaries.spec.ts shows each part firing. */
export const boundaryOptions = {
  forbidden: [
    { from: 'libs', to: 'apps', because: 'libs never import apps: pass what a lib needs in from the app (options, providers)' },
    {
      from: 'apps/api',
      to: 'apps/wechat-emulator',
      because: 'the API never ships the WeChat emulator; the embedded profile loads it at run time (embedded-wechat.ts)',
    },
  ],
  features: 'apps/api/src',
};

// behind the global pipe it takes ` 1`, `+1` and `01` as 1 (libs/http validation.ts)
const NO_PARSE_INT_PIPE = { name: '@nestjs/common', importNames: ['ParseIntPipe'], message: 'Use ParseIdPipe from @app/http for path ids.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node, ...globals.jest },
    },
    rules: {
      // an unawaited promise is a lost error
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nest modules are classes with only decorators and static factories
      '@typescript-eslint/no-extraneous-class': 'off',
      'boundaries/module-boundaries': ['error', { root: import.meta.dirname, ...boundaryOptions }],
    },
    plugins: { boundaries },
  },
  {
    // libs/testing fakes real parts with jest: production code that imported it would ship test doubles
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [NO_PARSE_INT_PIPE],
          patterns: [{ group: ['@app/testing', '@app/testing/*'], message: '@app/testing is for specs only.' }],
        },
      ],
    },
  },
  {
    // request DTOs: class-validator's IsOptional lets null skip every check (libs/http omittable.ts)
    files: ['apps/**/dto/**/*.ts', '**/*.dto.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            NO_PARSE_INT_PIPE,
            { name: 'class-validator', importNames: ['IsOptional'], message: 'Use Omittable() from @app/http: IsOptional lets null through.' },
          ],
          patterns: [{ group: ['@app/testing', '@app/testing/*'], message: '@app/testing is for specs only.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
