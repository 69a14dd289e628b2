import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explainInterpreter } from '../../../src/core/env/explainInterpreter';

describe('explainInterpreter (Check Environment: which interpreter runs use, and why)', () => {
  it('names the setting and the level it was set at', () => {
    const user = explainInterpreter({ setting: { globalValue: '/usr/bin/python3', effective: '/usr/bin/python3' } });
    assert.equal(user.origin, 'setting');
    assert.equal(user.command, '/usr/bin/python3');
    assert.equal(user.check.status, 'ok');
    assert.match(user.check.detail, /^\/usr\/bin\/python3, from mlWorkbench\.pythonPath \(User settings\)$/);
    const ws = explainInterpreter({
      setting: { globalValue: '/usr/bin/python3', workspaceValue: '.venv/bin/python', effective: '.venv/bin/python' },
      resolved: '/w/.venv/bin/python',
    });
    assert.match(ws.check.detail, /^\.venv\/bin\/python → \/w\/\.venv\/bin\/python, from mlWorkbench\.pythonPath \(workspace settings\)$/);
    assert.equal(ws.ignoredUserValue, undefined);
  });

  it('falls back to the Python extension, then $MLW_PYTHON, then python3 on PATH, and says why', () => {
    const ext = explainInterpreter({ setting: { effective: '' }, pythonExtension: '/opt/conda/bin/python', mlwPython: '/x' });
    assert.equal(ext.origin, 'python-extension');
    assert.match(ext.check.detail, /selected in the Python extension/);
    const env = explainInterpreter({ setting: {}, mlwPython: '/opt/py/bin/python3' });
    assert.equal(env.origin, 'MLW_PYTHON');
    assert.equal(env.command, '/opt/py/bin/python3');
    assert.match(env.check.detail, /from \$MLW_PYTHON/);
    const path = explainInterpreter({ setting: { effective: '  ' }, mlwPython: '', resolved: '/usr/local/bin/python3' });
    assert.equal(path.origin, 'PATH');
    assert.equal(path.command, 'python3');
    assert.match(path.check.detail, /^python3 → \/usr\/local\/bin\/python3, python3 on PATH/);
    assert.equal(path.check.action, undefined, 'a local window with nothing set offers nothing');
  });

  it('flags a User-level value the window does not apply (remote window), and offers to set it for the workspace', () => {
    const x = explainInterpreter({
      setting: { globalValue: '/Users/me/miniconda3/bin/python', effective: '' },
      remoteName: 'ssh-remote',
      resolved: '/usr/bin/python3',
    });
    assert.equal(x.origin, 'PATH', 'runs really use python3 on PATH');
    assert.equal(x.ignoredUserValue, '/Users/me/miniconda3/bin/python');
    assert.equal(x.check.status, 'warning');
    assert.match(
      x.check.detail,
      /set in your User settings \(\/Users\/me\/miniconda3\/bin\/python\) but this remote window \(ssh-remote\) ignores it/,
    );
    assert.match(x.check.fix ?? '', /for this workspace/);
    assert.deepEqual(x.check.action, { id: 'setWorkspacePythonPath', label: 'Set for Workspace…' });
  });

  it('in a remote window with nothing set, says a local User value would not apply', () => {
    const x = explainInterpreter({ setting: {}, remoteName: 'wsl' });
    assert.equal(x.check.status, 'ok');
    assert.match(x.check.detail, /remote window \(wsl\).*not applied \(machine-scoped\)/);
    assert.equal(x.check.action?.id, 'setWorkspacePythonPath');
  });
});
