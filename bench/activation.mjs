// Activation time of the extension inside a real VS Code extension host (code-server), measured by
// the integration suite's first test: `await ext.activate()` when nothing activated it yet, else (the
// suite's workspace holds .onnx files, so workspaceContains may activate it at startup) the extension's
// own module-load + activate timings returned from activate().
// Run by hand: npm run build && npx tsc -p tsconfig.test.json && node bench/activation.mjs [rounds]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const rounds = Number(process.argv[2] ?? 5);
const figures = [];
for (let i = 0; i < rounds; i++) {
  execFileSync(process.execPath, ['test/integration/launch.mjs'], {
    stdio: 'ignore',
    env: { ...process.env, MLW_TEST_VSCODE: 'code-server' },
  });
  const { activationMs, how } = JSON.parse(readFileSync('.test-artifacts/activation.json', 'utf8'));
  figures.push(activationMs);
  console.log(`round ${i + 1}: ${activationMs.toFixed(1)} ms, ${how}`);
}
figures.sort((a, b) => a - b);
console.log(
  `activation over ${rounds} launches: min ${figures[0].toFixed(1)} ms, median ${figures[Math.floor(rounds / 2)].toFixed(1)} ms, max ${figures.at(-1).toFixed(1)} ms (goal <= 100 ms)`,
);
