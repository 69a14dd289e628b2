/**
 * What the optimize benches share: the torch exports of test/fixtures/python/optimize_models.py (with --large),
 * cached in the temp folder under a hash of the export scripts, and the `--name value` argument reader.
 * Needs Debian's python3-torch, python3-onnx and python3-sklearn (/usr/bin/python3, or MLW_TEST_PYTHON).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PYTHON = process.env.MLW_TEST_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(ROOT, 'test/fixtures/python/optimize_models.py');

/** The value after `name` on the command line, or `fallback`. */
export const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);

/** The folder of the torch exports (manifest.json, transformer_large.onnx, …), exporting them on first use. */
export function torchFixtures() {
  // optimize_models.py imports torch_export_common.py: a change to either makes new fixtures.
  const hash = createHash('sha256')
    .update(readFileSync(SCRIPT))
    .update(readFileSync(join(ROOT, 'test/fixtures/python/torch_export_common.py')))
    .digest('hex')
    .slice(0, 16);
  const fixtures = join(tmpdir(), `mlw-optimize-bench-${hash}`);
  if (!existsSync(join(fixtures, 'manifest.json'))) {
    const tmp = `${fixtures}.${process.pid}.tmp`;
    console.log('exporting the torch models…');
    execFileSync(PYTHON, [SCRIPT, tmp, '--large'], { stdio: 'inherit' });
    rmSync(fixtures, { recursive: true, force: true });
    renameSync(tmp, fixtures);
  }
  return fixtures;
}
