// Flat config: recommended JS and TypeScript rules; tests may use non-null assertions freely.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware: a promise nobody awaits, or one handed where a void callback is expected (an
    // Express handler, an event listener), loses its rejection.
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // Express 4 (a supported peer) drops a route handler's rejected promise: async handlers go
    // through handler() from src/http/handler.ts, which passes the failure to next().
    files: ['src/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(get|post|put|patch|delete|all|use)$/] > :matches(ArrowFunctionExpression, FunctionExpression)[async=true]',
          message:
            'Wrap an async route handler in handler() (src/http/handler.ts): Express 4 does not forward a rejected promise.',
        },
      ],
    },
  },
  {
    // The example app is a host like any other: it uses authdock's public entry only.
    files: ['example-app/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./src/(?!index\\.js$)',
              message:
                "The example app imports authdock's public entry only ('../src/index.js'), as a host imports 'authdock'.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
)
