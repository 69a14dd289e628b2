import tseslint from 'typescript-eslint';

const NO_VSCODE = { name: 'vscode', message: 'src/core, src/shared and src/cli must not import vscode.' };
const ORT_ONLY = {
  name: 'onnxruntime-node',
  message: 'Only src/core/ort/ imports onnxruntime-node: use its createSession, makeTensor and types.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.tools/**', '.test-artifacts/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      // Prettier wraps code at 140; a line may run longer only as one string, template or regex.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.name='eval']", message: 'No eval.' }],
    },
  },
  {
    // src/core/ort/ is the one ONNX Runtime layer: nothing else imports onnxruntime-node.
    files: ['src/**/*.ts'],
    ignores: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ORT_ONLY] }],
    },
  },
  {
    // core/ is plain Node: the CLI, the server and the container reuse it, so it must never reach for VS Code.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/core/ort/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_VSCODE, ORT_ONLY] }],
    },
  },
  {
    files: ['src/core/ort/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_VSCODE] }],
    },
  },
  {
    // The webview runs in a browser sandbox: no Node modules, no vscode API module.
    files: ['webview-ui/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'vscode', 'fs', 'child_process', 'path'], message: 'Webview code runs in the browser.' }] },
      ],
    },
  },
);
