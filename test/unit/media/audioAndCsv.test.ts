/**
 * WAV decoding sample-exact against what Python's wave module (and a hand-written float/extensible writer) wrote,
 * mono mixing, the windowed-sinc resampler against numpy's computation of the same formula and against the ideal
 * sine, and CSV rows. Unsupported encodings and text in a CSV row are refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AudioDecodeError, CsvError, decodeWav, mixToMono, readCsvRow, resampleAudio } from '../../../src/core/media';
import { manifest, maxAbsDiff, mediaFixtures, npy } from './mediaFixtures';

test('WAV files (8/16/24/32-bit PCM, 32-bit float, extensible, stereo) decode sample-exact', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  for (const name of manifest(dir).wav) {
    const audio = decodeWav(readFileSync(path.join(dir, name)), name);
    const want = npy(dir, `${name}.npy`);
    const [frames, channels] = want.shape;
    assert.equal(audio.channels.length, channels, name);
    assert.equal(audio.sampleRate, Number(/_(\d+)\.wav$/.exec(name)![1]), name);
    const w = want.values as Float32Array;
    for (let c = 0; c < channels; c++) {
      assert.equal(audio.channels[c].length, frames, name);
      for (let i = 0; i < frames; i++) assert.equal(audio.channels[c][i], w[i * channels + c], `${name} frame ${i} channel ${c}`);
    }
  }
});

test('an A-law WAV is refused in one line naming the encoding', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  assert.throws(
    () => decodeWav(readFileSync(path.join(dir, 'alaw.wav')), 'alaw.wav'),
    (e: Error) =>
      e instanceof AudioDecodeError && /^alaw\.wav: WAV encoding A-law \(format 0x0006, 8 bits\) is not supported/.test(e.message),
  );
  assert.throws(() => decodeWav(new TextEncoder().encode('not a wav at all'), 'x.wav'), /x\.wav: not a WAV file/);
});

test('the resampler matches numpy on the same formula, downsampling and upsampling', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  const audio = decodeWav(readFileSync(path.join(dir, 'pcm16_stereo_44100.wav')));
  const mono = mixToMono(audio.channels);
  for (const r of manifest(dir).resample) {
    const got = resampleAudio(mono, r.in, r.out);
    const want = npy(dir, `resample_${r.in}_${r.out}.npy`).values as Float32Array;
    assert.equal(got.length, want.length);
    assert.ok(maxAbsDiff(got, want) < 1e-6, `${r.in}->${r.out}: ${maxAbsDiff(got, want)}`);
  }
});

test('a resampled sine is the sine at the new rate; a tone above the new Nyquist is filtered out', () => {
  const rate = 44100;
  const sine = (f: number, r: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * f * i) / r));
  const down = resampleAudio(sine(440, rate, 44100), rate, 16000);
  assert.equal(down.length, 16000);
  const ideal = sine(440, 16000, 16000);
  // Away from the edges (where the signal stops), within 1e-3 of the ideal.
  assert.ok(maxAbsDiff(down.subarray(200, 15800), ideal.subarray(200, 15800)) < 1e-3);
  const alias = resampleAudio(sine(12000, rate, 44100), rate, 16000);
  const rms = Math.sqrt(alias.subarray(200, 15800).reduce((s, v) => s + v * v, 0) / 15600);
  assert.ok(rms < 0.01, `12 kHz tone after resampling to 16 kHz: rms ${rms}`);
});

test('CSV rows: header skipped, quoted fields, text-only columns left out, other delimiters, bad rows in one line', (t) => {
  const dir = mediaFixtures(t);
  if (!dir) return;
  const iris = readFileSync(path.join(dir, 'iris.csv'), 'utf8');
  const r2 = readCsvRow(iris, 2, 'iris.csv');
  assert.deepEqual(r2.values, [6.2, 2.9, 4.3, 1.3]);
  assert.deepEqual(r2.columns, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  assert.deepEqual(r2.dropped, ['species']);
  assert.equal(r2.line, 3);
  assert.deepEqual(readCsvRow(iris, 3).values, [7.7, 3.0, 6.1, 2.3]);
  assert.deepEqual(readCsvRow(readFileSync(path.join(dir, 'no_header.csv'), 'utf8'), 1).values, [1.5, 2.5, -300]);
  assert.throws(
    () => readCsvRow(readFileSync(path.join(dir, 'text_in_row.csv'), 'utf8'), 2, 'text_in_row.csv'),
    (e: Error) => e instanceof CsvError && e.message === 'text_in_row.csv line 3, column "b": "oops" is not a number',
  );
  assert.throws(() => readCsvRow(iris, 9, 'iris.csv'), /iris\.csv: there is no data row 9 \(the file has 3 data rows\)/);
});
