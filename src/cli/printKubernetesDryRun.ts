import * as path from 'node:path';
import { UsageError, type CliContext } from './cliCommand';
import type { RunStore } from '../core/runs/RunStore';
import { renderKubernetesDryRun } from '../core/targets/kubernetes/submitKubernetesRun';
import type { Target } from '../core/targets/targetTypes';
import type { KubernetesLaunchOptions } from '../core/targets/kubernetes/kubernetesRunTypes';

/** `mlw run SCRIPT --target K8S --dry-run`: the manifests for review on stdout (the bundle elided), the whole file written. */
export async function printKubernetesDryRun(
  target: Target,
  store: RunStore,
  input: Omit<KubernetesLaunchOptions, 'store' | 'target'>,
  ctx: CliContext,
): Promise<number> {
  if (target.kind !== 'kubernetes') throw new UsageError(`--dry-run is for kubernetes targets; ${target.name} is a ${target.kind} target`);
  const { manifests, file } = await renderKubernetesDryRun({
    store,
    target,
    script: input.script,
    args: input.args,
    params: input.params,
    paramsMode: input.paramsMode,
    experiment: input.experiment,
    name: input.name,
    cwd: input.cwd,
    tags: input.tags,
    logger: ctx.logger,
    signal: ctx.signal,
  });
  ctx.out(manifests.review.trimEnd());
  ctx.err(
    `mlw: not applied; the whole manifest (bundle included) is in ${path.relative(ctx.workspace, file)}: kubectl apply --server-side -f it to run it by hand`,
  );
  return 0;
}
