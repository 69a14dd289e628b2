/**
 * The files test/fixtures/python/try_inputs.py writes with Debian's python3 (numpy, PIL, torch), made once per
 * script version in the temp folder (filled atomically, safe across processes), and a reader of its truth .npy files.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { parseNpy, type NpyArray } from '../../../src/core/ort/parseNpy';
import { needs, pythonHas, SYSTEM_PYTHON } from '../../support/requires';
import { pythonFixtureDir } from '../../support/pythonFixtureDir';

const SCRIPT = path.resolve(__dirname, '../../../../test/fixtures/python/try_inputs.py');

let stack: boolean | undefined;

/** The fixture folder, or undefined (the test skipped) when python3 with numpy, PIL and torch is missing. */
export function mediaFixtures(t: TestContext): string | undefined {
  stack ??= existsSync(SYSTEM_PYTHON) && pythonHas('numpy') && pythonHas('PIL') && pythonHas('torch');
  if (!needs(t, 'python3 with numpy, PIL and torch', stack, 'apt-get install python3-numpy python3-pil python3-torch')) return undefined;
  return pythonFixtureDir(SCRIPT, 'mlw-try-inputs');
}

export function npy(folder: string, name: string): NpyArray {
  return parseNpy(readFileSync(path.join(folder, name)), name);
}

export interface Manifest {
  png: string[];
  jpeg: string[];
  resize: { name: string; height: number; width: number; antialias: boolean }[];
  norm: string[];
  wav: string[];
  resample: { in: number; out: number }[];
}

export function manifest(folder: string): Manifest {
  return JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Manifest;
}

/** Largest absolute difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
