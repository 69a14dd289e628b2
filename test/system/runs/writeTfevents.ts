/** Runs test/fixtures/python/write_tfevents.py (python3-protobuf) to write a TensorBoard event file. Not a test file itself. */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SYSTEM_PYTHON } from '../../support/requires';
import { REPO_ROOT } from '../../unit/runs/runsTestSupport';

export const WRITE_TFEVENTS = path.join(REPO_ROOT, 'test', 'fixtures', 'python', 'write_tfevents.py');
export const HOW_TO_GET_PROTOBUF = 'apt-get install python3-protobuf';

/** Whether Debian's python3 with python3-protobuf is there. */
export function hasPythonProtobuf(): boolean {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import google.protobuf.descriptor_pb2'], { timeout: 60_000 }).status === 0;
}

export interface TfScalar {
  tag: string;
  value: number;
  /** A TF2 scalar tensor of this dtype instead of a simple_value. */
  tensor?: 'float' | 'double' | 'half' | 'int32' | 'int64';
  /** Attach SummaryMetadata (plugin "scalars" unless `plugin` says otherwise). */
  metadata?: boolean;
  plugin?: string;
  /** Put the value in tensor_content bytes instead of the typed field. */
  content?: boolean;
}

export type TfEvent = { wall_time: number; step?: number; file_version: string } | { wall_time: number; step: number; scalars: TfScalar[] };

/** Writes the events to `file`; returns each record's offset and the file size. */
export function writeTfevents(file: string, events: TfEvent[], corrupt: number[] = []): { offsets: number[]; size: number } {
  const r = spawnSync(SYSTEM_PYTHON, [WRITE_TFEVENTS, file], {
    input: JSON.stringify({ events, corrupt }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`write_tfevents.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { offsets: number[]; size: number };
}
