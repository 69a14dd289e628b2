/**
 * Stops a Kubernetes deployment of NAME@ALIAS (`mlw deploy stop NAME@ALIAS`, Stop Registry Deployment in the
 * Deployments view): when the record says it was applied, `kubectl --context C --namespace NS delete -f MANIFEST`
 * in the recorded context and namespace (never the user's current one), then the record is removed so promotions no
 * longer roll it. `keepCluster` only forgets the record. The manifest file stays (it is the user's, in git).
 */
import { access } from 'node:fs/promises';
import * as path from 'node:path';
import { removeDeployment, type KubernetesDeployment } from '../registry/aliasDeployments';
import { KubectlError, runKubectl } from './kubectl';

export interface KubernetesStop {
  /** `kubectl delete` ran (false: the record was manifest-only, or keepCluster). */
  deleted: boolean;
  /** kubectl's lines, e.g. `deployment.apps "clf-champion" deleted`. */
  lines: string[];
  /** kubectl's NotFound lines: objects of the manifest that were gone from the cluster already. */
  notFound: string[];
}

/** The command line that deletes what the manifest created, for messages (the user may run it). */
export const deleteCommand = (d: Pick<KubernetesDeployment, 'context' | 'namespace' | 'manifest'>): string =>
  `kubectl --context ${d.context} --namespace ${d.namespace} delete -f ${d.manifest}`;

const NOT_FOUND = /^Error from server \(NotFound\)/;

export async function stopAliasKubernetes(
  env: { workspace: string; kubectl?: string; signal?: AbortSignal; onLog?: (line: string) => void },
  d: KubernetesDeployment,
  opts: { keepCluster?: boolean } = {},
): Promise<KubernetesStop> {
  const ref = `${d.model}@${d.alias}`;
  const forget = `or forget the record only with mlw deploy stop ${ref} --keep-cluster`;
  if (!d.applied || opts.keepCluster) {
    await removeDeployment(env.workspace, d);
    return { deleted: false, lines: [], notFound: [] };
  }
  if (!env.kubectl) throw new Error(`kubectl was not found on PATH to delete deployment/${d.deployment}: install it, ${forget}`);
  const file = path.resolve(env.workspace, d.manifest);
  await access(file).catch(() => {
    throw new Error(
      `the manifest ${d.manifest} of deployment/${d.deployment} is gone: restore it (git checkout -- ${d.manifest}) and stop again, ${forget}`,
    );
  });
  const lines: string[] = [];
  let notFound: string[] = [];
  try {
    await runKubectl(env.kubectl, ['--context', d.context, '--namespace', d.namespace, 'delete', '-f', file], {
      signal: env.signal,
      onLog: (line) => {
        lines.push(line);
        env.onLog?.(`kubectl: ${line}`);
      },
    });
  } catch (e) {
    if (!(e instanceof KubectlError)) throw e;
    // Objects deleted already (by hand, or with their namespace) are not a failure: nothing of them is left.
    const errors = e.lines.filter((l) => /^(error|Error)/.test(l));
    if (errors.length && errors.every((l) => NOT_FOUND.test(l))) notFound = errors;
    else
      throw new Error(
        `kubectl delete -f ${d.manifest} failed in context ${d.context}, namespace ${d.namespace}: ${e.reason}; fix that and stop again, ${forget}`,
      );
  }
  await removeDeployment(env.workspace, d);
  return { deleted: true, lines: lines.filter((l) => !NOT_FOUND.test(l)), notFound };
}
