// The standard extension-test entry (what @vscode/test-electron's runTests loads): runs every
// *.test.js beside this file with mocha inside the real extension host, then reports the counts.
import * as path from 'node:path';
import { readdirSync } from 'node:fs';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    // MLW_INTEGRATION_ONLY=registry,models runs only those suites (a developer checking one feature).
    .filter((f) => !process.env.MLW_INTEGRATION_ONLY || process.env.MLW_INTEGRATION_ONLY.split(',').some((n) => f === `${n}.test.js`))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      console.log(`MLW_RESULT ${JSON.stringify({ passed: stats.passes, failed: stats.failures, skipped: stats.pending })}`);
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
