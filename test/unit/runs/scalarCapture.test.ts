import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ScalarCapture, type ScalarCaptureOptions } from '../../../src/core/runs/ScalarCapture';
import {
  compileScalarPattern,
  matchScalarPattern,
  ScalarPatternError,
  type ScalarPoint,
} from '../../../src/core/runs/compileScalarPattern';

/** Feeds chunks (stream, text) through a capture and returns the points and warnings it produced. */
function feed(chunks: Array<['stdout' | 'stderr', string]>, options?: ScalarCaptureOptions): { points: ScalarPoint[]; warnings: string[] } {
  const points: ScalarPoint[] = [];
  const warnings: string[] = [];
  const c = new ScalarCapture(
    options,
    (p) => void points.push(...p),
    (w) => void warnings.push(w),
  );
  for (const [stream, text] of chunks) c.push(text, stream);
  c.end();
  return { points, warnings };
}

describe('ScalarCapture', () => {
  it("ignores the notebook driver's progress and failure lines on either stream, with capture on", () => {
    const lines =
      'mlw: cell 3/12 done in 0.4 s\nmlw: cell 12/12 done in 1234.5 s\nmlw: Cell 2 of 3 (In [2]) failed: ValueError: lr=0.1 is too big\n';
    assert.deepEqual(
      feed([
        ['stdout', lines],
        ['stderr', lines],
      ]).points,
      [],
    );
    // Both parsers see the line this way: as an mlw: line, and with the mlw: prefix taken off, as printed scalars.
    const c = new ScalarCapture(undefined, () => undefined);
    assert.deepEqual(c.parseLine('cell 3/12 done in 0.4 s', 'stdout'), []);
    assert.deepEqual(c.parseLine('mlw: loss=0.5 step=3', 'stdout'), [{ k: 'loss', v: 0.5, s: 3 }], 'mlw: metric lines still count');
  });

  it('splits chunks into lines per stream and reads both streams', () => {
    const { points } = feed([
      ['stdout', 'epoch 1 lo'],
      ['stderr', 'INFO step=5 grad'],
      ['stdout', 'ss: 0.5\n'],
      ['stderr', '_norm=2.5\n'],
      ['stdout', 'acc=0.75'], // no newline before exit: read at end()
    ]);
    assert.deepEqual(points, [
      { k: 'loss', v: 0.5, s: 1 },
      { k: 'grad_norm', v: 2.5, s: 5 },
      { k: 'acc', v: 0.75 },
    ]);
  });

  it('reads only what follows the last \\r of a line: progress updates add nothing', () => {
    const bar = (i: number) =>
      `\rtrain ${i * 10}%|${'#'.repeat(i)}${' '.repeat(10 - i)}| ${i}/10 [00:0${i}<00:0${10 - i}, 9.87it/s, loss=${i}]`;
    const chunks: Array<['stdout' | 'stderr', string]> = [];
    for (let i = 0; i <= 10; i++) chunks.push(['stdout', bar(i)]);
    chunks.push(['stdout', '\n']);
    chunks.push(['stdout', 'step 3 progress 30%\rstep=3 loss=0.25\r\n']); // CRLF after a rewritten line
    const { points } = feed(chunks);
    assert.deepEqual(points, [{ k: 'loss', v: 0.25, s: 3 }]);
  });

  it('keeps mlw: lines exactly as before: all or nothing, stdout only, with capture on or off', () => {
    const lines: Array<['stdout' | 'stderr', string]> = [
      ['stdout', 'mlw: loss=0.5 step=2\n'],
      ['stdout', 'mlw: loss=0.4 and some words acc=0.9\n'], // ignored as a whole, not read as printed scalars
      ['stderr', 'mlw: loss=0.3\n'], // never was a metric
      ['stdout', 'loss=0.1\n'],
    ];
    assert.deepEqual(feed(lines).points, [
      { k: 'loss', v: 0.5, s: 2 },
      { k: 'loss', v: 0.1 },
    ]);
    assert.deepEqual(feed(lines, { capture: false }).points, [{ k: 'loss', v: 0.5, s: 2 }]);
  });

  it('drops colour escapes before reading', () => {
    assert.deepEqual(feed([['stdout', '\x1b[32mINFO\x1b[0m loss=\x1b[1m0.5\x1b[0m\n']]).points, [{ k: 'loss', v: 0.5 }]);
  });

  it('ignores lines longer than 4 KiB, but not the mlw: lines it always read', () => {
    const long = `loss=0.5 ${'x'.repeat(5000)}\nmlw: ${Array.from({ length: 600 }, (_, i) => `m${i}=${i}`).join(' ')}\n`;
    const { points } = feed([['stdout', long]]);
    assert.equal(points.length, 600);
    assert.equal(points[0].k, 'm0');
  });

  it('uses a custom pattern instead of the rules, with an optional step group', () => {
    const options = { pattern: String.raw`(?<name>[a-z_]+) -> (?<value>\S+)(?: @(?<step>\d+))?` };
    const { points, warnings } = feed([['stdout', 'loss -> 0.5 @3, acc -> 0.75\nloss=0.9\nmlw: lr=0.1\n']], options);
    assert.deepEqual(warnings, []);
    assert.deepEqual(points, [
      { k: 'loss', v: 0.5, s: 3 },
      { k: 'acc', v: 0.75 },
      { k: 'lr', v: 0.1 },
    ]);
  });

  it('an invalid pattern gives one warning and the default rules', () => {
    const { points, warnings } = feed([['stdout', 'loss=0.5\nacc: 0.75\n']], { pattern: '(?<name>\\w+=(?<value>' });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /not a valid regular expression .*using the default name=value \/ name: value rules instead/);
    assert.deepEqual(points, [
      { k: 'loss', v: 0.5 },
      { k: 'acc', v: 0.75 },
    ]);
  });

  it('capture off: no printed scalars on either stream', () => {
    assert.deepEqual(
      feed(
        [
          ['stdout', 'loss=0.5\n'],
          ['stderr', 'acc=0.5\n'],
        ],
        { capture: false, pattern: '(?<name>a)(?<value>1)' },
      ).points,
      [],
    );
  });
});

describe('compileScalarPattern', () => {
  it('rejects patterns that do not compile, lack a group or are empty, saying why', () => {
    assert.throws(
      () => compileScalarPattern('(unclosed'),
      (e: Error) => e instanceof ScalarPatternError && /not a valid regular expression/.test(e.message),
    );
    assert.throws(() => compileScalarPattern('(?<name>\\w+)=\\d+'), /needs the named groups .* lacks value/);
    assert.throws(() => compileScalarPattern('  '), /empty/);
  });

  it('skips matches whose value is not a number and never loops on empty matches', () => {
    const re = compileScalarPattern('(?<name>\\w*)=?(?<value>[^ ]*)');
    assert.deepEqual(matchScalarPattern('a=1 b=x c=2e-3', re), [
      { k: 'a', v: 1 },
      { k: 'c', v: 0.002 },
    ]);
  });
});
