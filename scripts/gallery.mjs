// `npm run gallery`: regenerates the README's pictures. Runs the browser tests that take them (real
// code-server, Chromium, Docker engine and models, so their prerequisites apply: see the README's
// "Test it"), then copies the chosen screenshots from .test-artifacts/screenshots/ to docs/gallery/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const shots = join(root, '.test-artifacts', 'screenshots');
const gallery = join(root, 'docs', 'gallery');

/** Gallery picture <- the screenshot a browser test takes, and the test that takes it. */
const PICTURES = [
  { name: 'inspector-graph.png', shot: '14-inspector-measured.png', test: 'inspector' },
  { name: 'compare-runs.png', shot: '34-compare-scatter.png', test: 'runs' },
  { name: 'monitor-drift.png', shot: '62-serve-monitor-drift.png', test: 'serve' },
  { name: 'containers.png', shot: '42-deployments-container-healthy.png', test: 'containerize' },
];

execFileSync('node', ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
const tests = [...new Set(PICTURES.map((p) => `test/browser/${p.test}.test.mjs`))];
execFileSync(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CI: 'true' },
});

mkdirSync(gallery, { recursive: true });
const missing = PICTURES.filter((p) => !existsSync(join(shots, p.shot)));
if (missing.length) throw new Error(`not taken: ${missing.map((p) => p.shot).join(', ')}`);
for (const p of PICTURES) copyFileSync(join(shots, p.shot), join(gallery, p.name));
console.log(`gallery: ${PICTURES.length} pictures in ${gallery}`);
