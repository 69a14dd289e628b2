/**
 * `mlw deploy k8s NAME@ALIAS --registry R` (also spelt `mlw deploy kubernetes`): the alias's version containerized
 * (NAME:vN), pushed as R/NAME:vN, its manifests written (and with --apply applied in an explicit context and
 * namespace, the rollout followed), and the deployment recorded so that mlw registry promote|rollback|alias rolls it.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { deployAliasKubernetes, findKubernetesDeployments, normalizeImageRegistry } from '../../core/deploy/aliasKubernetes';
import { dockerLoginAuth } from '../../core/deploy/dockerConfigAuth';
import { currentScope, findKubectl } from '../../core/deploy/kubectl';
import { registryOf } from '../../core/docker/engineErrors';
import { parseRegistryRef, refText, resolveRegistryRef } from '../../core/registry/registryRef';
import { UsageError, type CliContext } from '../cliCommand';
import { containerEnvFor } from './deployAlias';

export const K8S_ALIAS_USAGE = `mlw deploy k8s NAME@ALIAS --registry HOST[:PORT][/PREFIX] [--context C] [--namespace NS] [--name N]
    [--replicas N] [--cpu C] [--memory M] [--kserve] [--out DIR] [--apply] [--base-image IMG] [--docker-host URL] [--json]

k8s NAME@ALIAS (or: mlw deploy kubernetes) containerizes the version the alias points to (image NAME:vN, built once
       and reused), pushes it as REGISTRY/NAME:vN (credentials: what docker login left), writes the manifests with
       that image to --out (default deploy/k8s/NAME-ALIAS.yaml) and records the deployment with its manifest,
       kubectl context and namespace (default: the current context and its namespace, recorded and passed
       explicitly on every later call). --apply applies them and follows the rollout. When mlw registry
       promote|rollback|alias moves the alias, the new version's image is pushed, the manifest's image bumped on
       disk (git shows it), applied and its rollout followed; a failed rollout keeps the alias move and exits 1.
       mlw deploy stop NAME@ALIAS deletes it (kubectl delete -f MANIFEST in the recorded context and namespace).`;

function count(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}

export async function deployAliasK8s(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      registry: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      name: { type: 'string' },
      replicas: { type: 'string' },
      cpu: { type: 'string' },
      memory: { type: 'string' },
      kserve: { type: 'boolean' },
      out: { type: 'string' },
      apply: { type: 'boolean' },
      'base-image': { type: 'string' },
      'docker-host': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('deploy k8s: expected one NAME@ALIAS');
  const parsed = parseRegistryRef(positionals[0]);
  if (!parsed) throw new UsageError(`"${positionals[0]}" is not NAME@ALIAS or NAME@vN`);
  const ref = await resolveRegistryRef(ctx.workspace, parsed);
  const recorded = (await findKubernetesDeployments(ctx.workspace, ref.name, ref.ref))[0];
  const registryText = values.registry ?? recorded?.registry;
  if (!registryText)
    throw new UsageError(
      `deploy k8s ${refText(ref)}: give --registry HOST[:PORT][/PREFIX], the registry the cluster pulls from (e.g. ghcr.io/team)`,
    );
  let registry: string;
  try {
    registry = normalizeImageRegistry(registryText);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const kubectl = await findKubectl();
  if (values.apply && !kubectl)
    throw new Error('kubectl was not found on PATH: install it, or deploy without --apply and apply the manifest where kubectl is set up');
  let scope;
  if (values.context && values.namespace) scope = { context: values.context, namespace: values.namespace };
  else if (kubectl) scope = await currentScope(kubectl, { context: values.context, namespace: values.namespace, signal: ctx.signal });
  else throw new UsageError('kubectl was not found on PATH to read the current context: give --context C and --namespace NS');
  const base = await containerEnvFor(ctx, { dockerHost: values['docker-host'], baseImage: values['base-image'] });
  const login = await dockerLoginAuth(registryOf(`${registry}/x`));
  if (login.problem)
    ctx.err(`${login.problem}. ${login.auth ? 'Using the credentials in the Docker config file.' : 'Pushing without credentials.'}`);
  const r = await deployAliasKubernetes({ ...base, kubectl, auth: login.auth }, ref, {
    registry,
    scope,
    name: values.name,
    outDir: path.resolve(ctx.workspace, values.out ?? path.join('deploy', 'k8s')),
    replicas: count(values.replicas, 'replicas'),
    cpu: values.cpu,
    memory: values.memory,
    kserve: values.kserve,
    apply: Boolean(values.apply),
  });
  if (ctx.json) ctx.out(JSON.stringify({ ref: refText(ref), context: scope.context, namespace: scope.namespace, ...r }, null, 2));
  else {
    const what = `${refText(ref)} (version ${r.to.version}, image ${r.to.image}${r.to.imageReused ? ', reused' : ''}, pushed ${r.to.digest.slice(0, 19)})`;
    ctx.out(
      r.applied
        ? `${what} rolled out as ${r.endpoint} in ${r.rolloutMs} ms; manifest ${r.manifest}`
        : `${what}: manifest ${r.manifest} written for ${r.endpoint} (not applied: add --apply, or kubectl --context ${scope.context} --namespace ${scope.namespace} apply -f ${r.manifest})`,
    );
    ctx.out(`Follows ${refText(ref)}: mlw registry promote|rollback bumps the image in ${r.manifest}${r.applied ? ' and rolls it' : ''}.`);
  }
  return 0;
}
