import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hasMainGuard, isHiddenScript, orderScripts, readMainGuards } from '../../../src/core/runs/orderScripts';
import { tempDir } from './runsTestSupport';

const MAIN = 'def main():\n    pass\n\n\nif __name__ == "__main__":\n    main()\n';

describe('script picker order', () => {
  it('lists train*.py first, then scripts with a __main__ block, then the rest; hides vendored and test files', async () => {
    const ws = tempDir();
    const files: Record<string, string> = {
      'utils.py': 'def helper():\n    return 1\n',
      'evaluate.py': MAIN,
      'src/train_cnn.py': 'print("no guard, but a training script")\n',
      'train.py': MAIN,
      'scripts/export.py': "if __name__=='__main__':\n    pass\n",
      'models/net.py': 'class Net: pass\n# if __name__ == "__main__": in a comment is not a guard\n',
      '.venv/lib/python3.11/site-packages/numpy/train.py': MAIN,
      'venv/bin/activate_this.py': MAIN,
      'node_modules/x/train.py': MAIN,
      'tests/test_model.py': MAIN,
      'test_data.py': MAIN,
      'model_test.py': MAIN,
      'conftest.py': '',
      'setup.py': MAIN,
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      writeFileSync(path.join(ws, rel), text);
    }
    const candidates = await readMainGuards(Object.keys(files).map((relative) => ({ relative, file: path.join(ws, relative) })));
    assert.deepEqual(
      orderScripts(candidates).map((c) => c.relative),
      ['train.py', 'src/train_cnn.py', 'evaluate.py', 'scripts/export.py', 'utils.py', 'models/net.py'],
    );
    // The script open in the editor comes first, even a test file.
    assert.deepEqual(
      orderScripts(candidates, 'tests/test_model.py')
        .map((c) => c.relative)
        .slice(0, 2),
      ['tests/test_model.py', 'train.py'],
    );
  });

  it('knows a __main__ guard in either quote style, and hidden paths with either separator', () => {
    assert.ok(hasMainGuard(MAIN));
    assert.ok(hasMainGuard("x = 1\nif __name__ == '__main__':\n  run()\n"));
    assert.ok(!hasMainGuard('    if __name__ == "__main__":\n'), "an indented guard is not the module's");
    assert.ok(!hasMainGuard('if __name__ == "__main__"\n'), 'no colon, no guard');
    for (const p of ['.venv\\Lib\\site-packages\\a.py', 'lib/site-packages/a.py', 'tests/unit/x.py', 'a/b/conftest.py', 'pkg/foo_test.py'])
      assert.ok(isHiddenScript(p), p);
    for (const p of ['train.py', 'testing.py', 'contest.py', 'src/latest_model.py']) assert.ok(!isHiddenScript(p), p);
  });

  it('lists notebooks: train*.ipynb with the training scripts, other notebooks with the plain scripts; hides .ipynb_checkpoints', async () => {
    const ws = tempDir();
    // A notebook whose JSON holds a __main__ guard in a cell's source: not read as one (a notebook has no __main__ block).
    const notebook = JSON.stringify({ cells: [{ cell_type: 'code', source: ['if __name__ == "__main__":\n', '    main()\n'] }] });
    const files: Record<string, string> = {
      'explore.ipynb': notebook,
      'evaluate.py': MAIN,
      'notebooks/train_baseline.ipynb': notebook,
      'notebooks/.ipynb_checkpoints/train_baseline-checkpoint.ipynb': notebook,
      'utils.py': 'x = 1\n',
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      writeFileSync(path.join(ws, rel), text);
    }
    const candidates = await readMainGuards(Object.keys(files).map((relative) => ({ relative, file: path.join(ws, relative) })));
    assert.equal(candidates.find((c) => c.relative === 'explore.ipynb')?.hasMain, false);
    assert.deepEqual(
      orderScripts(candidates).map((c) => c.relative),
      ['notebooks/train_baseline.ipynb', 'evaluate.py', 'explore.ipynb', 'utils.py'],
    );
    assert.ok(isHiddenScript('nb\\.ipynb_checkpoints\\a-checkpoint.ipynb'));
  });
});
