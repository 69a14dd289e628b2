// Unit and system tests in plain Node (node:test) over the compiled tests in out/.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const groups = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'system'];
const files = groups.flatMap((g) => findTests(join('out', 'test', g))).sort();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
