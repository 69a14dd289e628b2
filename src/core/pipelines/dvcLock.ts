import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { writeFileAtomic } from '../runs/atomicWrite';
import { isObject } from './interpolate';
import type { Lock, LockedStage } from './pipelineTypes';

export const DVC_LOCK = 'dvc.lock';
/**
 * ML Workbench's own record of the stages it ran without DVC, in dvc.lock's shape but JSON and out of DVC's way, so
 * that dvc.lock changes only when asked (`--update-lock`).
 */
export const MLW_LOCK = path.join('.mlw', 'pipelines', 'lock.json');

function stagesOf(doc: unknown): Lock {
  if (!isObject(doc) || !isObject(doc.stages)) return {};
  const out: Lock = {};
  for (const [name, v] of Object.entries(doc.stages)) if (isObject(v)) out[name] = v as unknown as LockedStage;
  return out;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The stages dvc.lock records (an empty lock when there is none). */
export async function readDvcLock(root: string): Promise<Lock> {
  const text = await readText(path.join(root, DVC_LOCK));
  return text === undefined ? {} : stagesOf(parseDocument(text).toJS());
}

export async function readMlwLock(root: string): Promise<Lock> {
  const text = await readText(path.join(root, MLW_LOCK));
  if (text === undefined) return {};
  try {
    return stagesOf(JSON.parse(text));
  } catch {
    return {};
  }
}

export async function writeMlwLockEntry(root: string, name: string, entry: LockedStage): Promise<void> {
  const lock = await readMlwLock(root);
  lock[name] = entry;
  const file = path.join(root, MLW_LOCK);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify({ schema: '2.0', stages: lock }, null, 2)}\n`);
}

/** Sets one stage of dvc.lock (schema 2.0), keeping the others as they are. */
export async function writeDvcLockEntry(root: string, name: string, entry: LockedStage): Promise<void> {
  const file = path.join(root, DVC_LOCK);
  const text = await readText(file);
  const doc = text === undefined ? {} : (parseDocument(text).toJS() as unknown);
  const stages = isObject(doc) && isObject(doc.stages) ? doc.stages : {};
  stages[name] = entry;
  await writeFileAtomic(file, stringify({ schema: '2.0', stages }, { lineWidth: 0 }));
}
