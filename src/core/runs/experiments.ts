import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { writeFileAtomic } from './atomicWrite';
import { cleanName } from './runMeta';
import type { RunStore } from './RunStore';

/**
 * Experiments of a run store. An experiment is the `experiment` name its runs carry; one made with
 * New Experiment before it has runs is listed in `<store>/experiments.json`:
 *
 *   {"schema":1, "experiments":[{"name":"baseline","createdTime":1700000000000}]}
 *
 * Renaming an experiment writes the new name into the meta.json of each of its runs (run.json stays
 * as it is) and into experiments.json.
 */
export interface ExperimentRecord {
  name: string;
  createdTime: number;
}

export const EXPERIMENTS_FILE = 'experiments.json';

export class ExperimentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExperimentError';
  }
}

const file = (store: RunStore): string => path.join(store.dir, EXPERIMENTS_FILE);

/** The experiments made with New Experiment, in the order they were made. A missing or unreadable file is no experiments. */
export async function readExperiments(store: RunStore): Promise<ExperimentRecord[]> {
  let text: string;
  try {
    text = await fsp.readFile(file(store), 'utf8');
  } catch {
    return [];
  }
  try {
    const raw = JSON.parse(text) as { experiments?: unknown };
    if (!Array.isArray(raw.experiments)) return [];
    return raw.experiments.flatMap((e: unknown) => {
      const o = e as Partial<ExperimentRecord> | null;
      return o && typeof o.name === 'string' && o.name.trim() ? [{ name: o.name, createdTime: Number(o.createdTime) || 0 }] : [];
    });
  } catch {
    return [];
  }
}

async function writeExperiments(store: RunStore, experiments: ExperimentRecord[]): Promise<void> {
  await store.ensure();
  await writeFileAtomic(file(store), JSON.stringify({ schema: 1, experiments }, null, 1) + '\n');
}

/** Every experiment name of the store: those made with New Experiment and those its runs name. */
export async function experimentNames(store: RunStore): Promise<string[]> {
  const names = new Set((await readExperiments(store)).map((e) => e.name));
  for (const run of await store.listRuns()) names.add(run.experiment);
  return [...names].sort((a, b) => a.localeCompare(b));
}

/** Makes an experiment with no runs yet. Throws an ExperimentError when the name is taken. */
export async function createExperiment(store: RunStore, name: string): Promise<ExperimentRecord> {
  const clean = cleanName(name, 'experiment name');
  if ((await experimentNames(store)).includes(clean)) throw new ExperimentError(`An experiment named "${clean}" already exists.`);
  const record = { name: clean, createdTime: Date.now() };
  await writeExperiments(store, [...(await readExperiments(store)), record]);
  return record;
}

/**
 * Renames experiment `from` to `to` (merging into `to` when it exists): every run of `from` gets
 * the new name in its meta.json. Returns the ids of the runs moved.
 */
export async function renameExperiment(store: RunStore, from: string, to: string): Promise<string[]> {
  const clean = cleanName(to, 'experiment name');
  const declared = await readExperiments(store);
  const runs = (await store.listRuns()).filter((r) => r.experiment === from);
  if (!runs.length && !declared.some((e) => e.name === from)) throw new ExperimentError(`No experiment named "${from}".`);
  if (clean === from) return [];
  for (const run of runs) await store.updateMeta(run.id, (m) => (m.experiment = clean));
  if (declared.some((e) => e.name === from)) {
    const renamed = declared.map((e) => (e.name === from ? { ...e, name: clean } : e));
    await writeExperiments(
      store,
      renamed.filter((e, i) => renamed.findIndex((o) => o.name === e.name) === i),
    );
  }
  return runs.map((r) => r.id);
}
