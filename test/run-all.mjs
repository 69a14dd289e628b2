// `npm test`: unit and system tests (node:test), integration tests inside a real VS Code extension
// host, browser tests against the real workbench. Every stage runs; the totals close the output.
import { spawn } from 'node:child_process';

const stages = [
  { name: 'unit + system', cmd: ['test/run-unit.mjs'] },
  { name: 'integration (VS Code extension host)', cmd: ['test/integration/launch.mjs'] },
  { name: 'browser (Playwright + Chromium + code-server)', cmd: ['--test', '--test-concurrency=1', 'test/browser/'] },
];

function runStage(stage) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, stage.cmd, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => resolve({ code, text }));
  });
}

function counts(text) {
  const tap = (k) => [...text.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
  const integ = /integration: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(text);
  if (integ) return { passed: +integ[1], failed: +integ[2], skipped: +integ[3] };
  return { passed: tap('pass'), failed: tap('fail') + tap('cancelled'), skipped: tap('skipped') + tap('todo') };
}

const total = { passed: 0, failed: 0, skipped: 0 };
let failedStages = [];
const t0 = Date.now();
for (const stage of stages) {
  console.log(`\n=== ${stage.name} ===`);
  const s0 = Date.now();
  const { code, text } = await runStage(stage);
  const c = counts(text);
  console.log(
    `=== ${stage.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, exit ${code}, ${((Date.now() - s0) / 1000).toFixed(0)} s ===`,
  );
  for (const k of Object.keys(total)) total[k] += c[k];
  if (code !== 0) failedStages.push(stage.name);
}
console.log(
  `\nAll stages in ${((Date.now() - t0) / 1000).toFixed(0)} s${failedStages.length ? `; failed stages: ${failedStages.join(', ')}` : ''}`,
);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = failedStages.length || total.failed ? 1 : 0;
