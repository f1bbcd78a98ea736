// The linter CI runs (`npm run lint`, from `npm test`): typescript-eslint's recommended rules,
// and presentation kept in cli/ — library code never writes to the terminal.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const terminal = [
  { object: 'process', property: 'stdout', message: 'Library code does not write to the terminal: return data, emit an event, or log through the injected logger; presentation lives in cli/.' },
  { object: 'process', property: 'stderr', message: 'Library code does not write to the terminal: return data, emit an event, or log through the injected logger; presentation lives in cli/.' }
]

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'protocol/pb/*.ts', 'settlement/abi.ts', 'test/fuzz/corpus/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // a literal type on an error's code field documents the one value it holds
      '@typescript-eslint/prefer-as-const': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      'no-undef': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error'
    }
  },
  {
    // chai's property assertions (`expect(x).to.be.true`) are expressions
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' }
  },
  {
    files: ['protocol/**/*.ts', 'matching/**/*.ts', 'settlement/**/*.ts', 'node/**/*.ts', 'sim/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', ...terminal]
    }
  }
)
