// ESLint (flat config) with typescript-eslint, as the JupyterLab extension template sets it up,
// plus the architecture's rule: the headless core never imports JupyterLab or Lumino.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'lib/',
      'dist/',
      'locolens/',
      'node_modules/',
      'ui-tests/',
      'assembly/',
      '.venv/',
      'src/core/kernels/wasm/cycle-stats.wasm.ts',
      'artifacts/',
      'test-data/'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        { selector: 'interface', format: ['PascalCase'], custom: { regex: '^I[A-Z]', match: true } }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@jupyterlab/*', '@lumino/*'], message: 'src/core is headless: no JupyterLab or Lumino imports' }] }
      ]
    }
  },
  {
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['@jupyterlab/*', '@lumino/widgets'], message: 'src/model is headless: no JupyterLab or widget imports' }]
        }
      ]
    }
  },
  {
    files: ['scripts/**/*.mjs', 'test/**/*.mjs', '*.mjs', '*.js'],
    // Node scripts; the benchmark's page functions run in Chromium.
    languageOptions: { globals: { ...globals.node, ...globals.browser, Plotly: 'readonly' } }
  }
);
