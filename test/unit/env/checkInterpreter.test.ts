/** The interpreter check against real interpreters: Debian's python3, and one that does not exist. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { checkInterpreter, describeInterpreterCheck } from '../../../src/core/env/checkInterpreter';
import { needs, SYSTEM_PYTHON } from '../../support/requires';

describe('checkInterpreter', () => {
  it('lists the modules found with versions and says how to install the missing ones', async (t) => {
    if (!needs(t, 'python3', existsSync(SYSTEM_PYTHON), 'apt-get install python3')) return;
    const check = await checkInterpreter(SYSTEM_PYTHON, ['json', 'mlw_no_such_module']);
    assert.equal(check.ok, false);
    assert.match(check.pythonVersion ?? '', /^3\.\d+\.\d+$/);
    assert.deepEqual(Object.keys(check.found), ['json']);
    assert.equal(check.missing[0].module, 'mlw_no_such_module');
    assert.match(check.missing[0].error, /ModuleNotFoundError/);
    assert.match(describeInterpreterCheck(check), /is missing mlw_no_such_module\. Install with: .* -m pip install -r requirements\.txt/);
    assert.match(check.advice[1], /apt install python3-mlw_no_such_module/);
  });

  it('a missing interpreter is reported, not thrown', async () => {
    const check = await checkInterpreter('/nonexistent/python3', ['torch']);
    assert.equal(check.ok, false);
    assert.match(check.error ?? '', /\/nonexistent\/python3 was not found/);
    assert.match(describeInterpreterCheck(check), /Install Python 3/);
  });
});
