import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinePrefixer } from '../../../src/core/runs/LinePrefixer';

describe('LinePrefixer (parallel sweep output)', () => {
  it('prefixes every line of a run, however its output is cut into chunks', () => {
    const text = 'epoch=0 loss=0.9\nepoch=1 loss=0.5\ndone\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new LinePrefixer('[sweep-1] ');
      const out = p.push(text.slice(0, cut)) + p.push(text.slice(cut)) + p.flush();
      assert.equal(out, '[sweep-1] epoch=0 loss=0.9\n[sweep-1] epoch=1 loss=0.5\n[sweep-1] done\n', `cut at ${cut}`);
    }
  });

  it('keeps two interleaved runs apart line by line', () => {
    const a = new LinePrefixer('[a] ');
    const b = new LinePrefixer('[b] ');
    const channel = [a.push('loss=1'), b.push('loss=2\nacc'), a.push('.5\n'), b.push('=0.1\n'), a.flush(), b.flush()].join('');
    assert.equal(channel, '[b] loss=2\n[a] loss=1.5\n[b] acc=0.1\n');
  });

  it('shows the last state of a \\r progress bar, CRLF line ends, and a last line without a newline', () => {
    const p = new LinePrefixer('[r] ');
    assert.equal(p.push('  0%|\r 50%|#####\r100%|##########|\nwin\r\n'), '[r] 100%|##########|\n[r] win\n');
    assert.equal(p.push('no newline at the end'), '');
    assert.equal(p.flush(), '[r] no newline at the end\n');
    assert.equal(p.flush(), '', 'nothing left');
  });

  it('does not hold an endless line in memory', () => {
    const p = new LinePrefixer('[x] ');
    const out = p.push('y'.repeat(20_000));
    assert.ok(out.startsWith('[x] yyy') && out.endsWith('\n') && out.length === 20_005);
  });
});
