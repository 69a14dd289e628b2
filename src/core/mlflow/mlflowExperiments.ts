import { createHash } from 'node:crypto';
import type { RunStore } from '../runs/RunStore';
import { doesNotExist, MlflowError } from './mlflowErrors';

/** An experiment as MLflow's REST API returns it. */
export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active';
  creation_time: number;
  last_update_time: number;
  tags: Array<{ key: string; value: string }>;
}

export const DEFAULT_EXPERIMENT = 'Default';

/**
 * The id of an experiment name: `0` for Default (as in MLflow), else a number made from the name's
 * sha256, so an experiment has the same id in every launch and in MLFLOW_EXPERIMENT_ID.
 */
export function experimentIdOf(name: string): string {
  if (name === DEFAULT_EXPERIMENT) return '0';
  return BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 13)).toString();
}

/**
 * Experiments as the endpoint shows them. ML Workbench's run store names a run's experiment on
 * the run, so the experiments that exist are Default, those of the runs in the store, and those a
 * script created through this endpoint (they become runs' experiments when runs log into them).
 */
export class ExperimentRegistry {
  private readonly byName = new Map<string, MlflowExperiment>();
  private readonly byId = new Map<string, MlflowExperiment>();
  private loaded: Promise<void> | undefined;

  constructor(private readonly store: RunStore) {
    this.ensure(DEFAULT_EXPERIMENT);
  }

  /** Registers `name` if it is new; returns its experiment. */
  ensure(name: string): MlflowExperiment {
    const known = this.byName.get(name);
    if (known) return known;
    const id = experimentIdOf(name);
    const now = Date.now();
    const exp: MlflowExperiment = {
      experiment_id: id,
      name,
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags: [],
    };
    this.byName.set(name, exp);
    this.byId.set(id, exp);
    return exp;
  }

  private load(): Promise<void> {
    this.loaded ??= this.store.listRuns().then(
      (runs) => {
        for (const r of runs) if (r.experiment) this.ensure(r.experiment);
      },
      () => undefined,
    );
    return this.loaded;
  }

  async getByName(name: string): Promise<MlflowExperiment> {
    await this.load();
    const exp = this.byName.get(name);
    if (!exp) throw doesNotExist(`Could not find experiment with name '${name}'`);
    return exp;
  }

  async get(id: string): Promise<MlflowExperiment> {
    await this.load();
    const exp = this.byId.get(id);
    if (!exp) throw doesNotExist(`No Experiment with id=${id} exists`);
    return exp;
  }

  async create(name: string): Promise<MlflowExperiment> {
    await this.load();
    if (this.byName.has(name)) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
    return this.ensure(name);
  }

  async all(): Promise<MlflowExperiment[]> {
    await this.load();
    return [...this.byId.values()];
  }
}
