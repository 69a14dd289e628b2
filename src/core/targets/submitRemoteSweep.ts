import type { Run } from '../runs/runTypes';
import type { RemoteRunHandle } from './attachRemoteRun';
import { submitKubernetesSweep } from './kubernetes/submitKubernetesSweep';
import { submitRemoteRun } from './submitRemoteRun';
import { submitSlurmArray, sweepNaming, type RemoteSweepHandle, type RemoteSweepOptions } from './submitSlurmArray';

/**
 * A grid or random sweep on a compute target, each trial a remote run of one experiment: on a SLURM target one job
 * array (submitSlurmArray: one upload, one sbatch, `%parallel` tasks at once); on a kubernetes target one Indexed Job
 * (submitKubernetesSweep: one ConfigMap, one `kubectl apply`); on an ssh host or a docker target (one container per
 * trial) up to `parallel` runs at a time through submitRemoteRun, the next one submitted as one ends. Resolves once
 * the array or the Indexed Job is submitted, at once on an ssh host; `done` settles when every trial has ended (on an
 * ssh host it rejects when a trial could not be submitted, after stopping the others).
 */
export async function submitRemoteSweep(o: RemoteSweepOptions): Promise<RemoteSweepHandle> {
  const { target } = o;
  if (target.kind === 'slurm') return submitSlurmArray({ ...o, target });
  if (target.kind === 'kubernetes') return submitKubernetesSweep({ ...o, target });
  const kind: string = target.kind;
  if (!['ssh', 'docker', 'kubernetes'].includes(kind))
    throw new Error(`Target ${target.name} is a ${kind} target: sweeps run on ssh, slurm, docker and kubernetes targets`);
  const naming = sweepNaming(o);
  const n = o.paramSets.length;
  const parallel = Math.max(1, Math.min(n, Math.floor(o.parallel ?? n)));
  const results: Run[] = new Array<Run>(n);
  const active = new Set<RemoteRunHandle>();
  let next = 0;
  let stopped = false;
  let failure: Error | undefined;
  const one = async (i: number): Promise<void> => {
    const { name, tags } = naming.trial(i);
    const handle = await submitRemoteRun({
      ...o,
      params: { ...(o.params ?? {}), ...o.paramSets[i] },
      experiment: naming.experiment,
      name,
      tags,
    });
    active.add(handle);
    o.onTrial?.(i, handle);
    if (stopped) void handle.stop();
    results[i] = await handle.done;
    active.delete(handle);
  };
  const worker = async (): Promise<void> => {
    while (!stopped && !failure && next < n) {
      try {
        await one(next++);
      } catch (e) {
        failure ??= e as Error;
        await Promise.all([...active].map((h) => h.stop()));
      }
    }
  };
  const done = Promise.all(Array.from({ length: parallel }, worker)).then(() => {
    if (failure) throw failure;
    return results.filter(Boolean);
  });
  return {
    experiment: naming.experiment,
    done,
    async stopAll() {
      stopped = true;
      await Promise.all([...active].map((h) => h.stop()));
      return done;
    },
  };
}
