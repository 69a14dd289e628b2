/**
 * A registry alias served by a Deployment in a Kubernetes cluster (`mlw deploy k8s clf@champion --registry R`): the
 * alias's version is containerized (image NAME:vN), pushed as R/NAME:vN, and the manifests name that image; the
 * deployment is recorded under .mlw/deployments/ with its manifest, context, namespace and Deployment name. When the
 * alias moves, the roll builds and pushes the new version's image, bumps the image in the manifest file on disk (git
 * shows the change), applies it with kubectl in the recorded context and namespace, and follows `kubectl rollout
 * status` line by line. A rollout that fails keeps the alias move; the roll is reported failed with kubectl's reason
 * and the ways to undo it.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { DockerEngine, RegistryAuth } from '../docker/dockerEngine';
import type { ServerAssets } from '../docker/serverAssets';
import { listDeployments, writeDeployment, type KubernetesDeployment } from '../registry/aliasDeployments';
import { refText, type ResolvedRef } from '../registry/registryRef';
import { writeFileAtomic } from '../runs/atomicWrite';
import { bumpManifestImage } from './bumpManifestImage';
import { applyManifests, KubectlError, rolloutStatus, rolloutUndoCommand, type KubectlScope } from './kubectl';
import { kubernetesName, renderKubernetesManifests } from './kubernetesManifests';
import { appendLineage } from './lineage';
import { pushImage } from './pushImage';
import { registryVersionImage } from './registryImage';

export interface KubernetesEnv {
  engine: DockerEngine;
  workspace: string;
  assets: ServerAssets;
  baseImage: string;
  /** The kubectl program; needed only when the deployment is applied. */
  kubectl?: string;
  dockerHost?: string;
  /** Credentials for the image registry (what docker login left), if any. */
  auth?: RegistryAuth;
  /** How long `kubectl rollout status` may wait (default 300 s). */
  rolloutTimeoutSeconds?: number;
  signal?: AbortSignal;
  /** Build, push and kubectl lines as they come. */
  onLog?: (line: string) => void;
}

export interface KubernetesRoll {
  endpoint: string;
  manifest: string;
  from: { version: number; image: string } | null;
  to: { version: number; image: string; digest: string; imageReused: boolean };
  /** The manifest file changed (false when it named the image already). */
  bumped: boolean;
  /** Applied and rolled out (false when the deployment is manifest-only). */
  applied: boolean;
  /** From the apply to the end of the rollout. */
  rolloutMs: number;
}

/** A roll whose build, push or rollout failed: `reason` is kubectl's (or the engine's) own line. */
export class KubernetesRollError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export const kubernetesEndpoint = (deployment: string, scope: KubectlScope): string =>
  `kubernetes deployment/${deployment} (context ${scope.context}, namespace ${scope.namespace})`;

/** `HOST[:PORT][/PREFIX]`, lowercase, no scheme and no trailing slash; a one-line error otherwise. */
export function normalizeImageRegistry(text: string): string {
  const r = text
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/+$/, '');
  if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(r))
    throw new Error(`"${text}" is not a registry address: give HOST[:PORT][/PREFIX], e.g. 127.0.0.1:5000 or ghcr.io/team`);
  return r;
}

const rel = (workspace: string, file: string) => {
  const r = path.relative(workspace, file);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : file;
};

/** The version's image built (or reused) and pushed as REGISTRY/NAME:vN. */
async function pushVersion(env: KubernetesEnv, ref: ResolvedRef, registry: string) {
  const img = await registryVersionImage({ ...env, ref });
  const target = `${registry}/${img.image}`;
  env.onLog?.(`pushing ${target}`);
  // Layer status changes only: the byte-count ticks of each layer would flood the log.
  const onProgress = (line: string) => (/: (Pushing|Downloading|Extracting) /.test(line) ? undefined : env.onLog?.(line));
  const pushed = await pushImage({ engine: env.engine, image: img.image, target, auth: env.auth, signal: env.signal, onProgress });
  await appendLineage(env.workspace, {
    at: new Date().toISOString(),
    kind: 'push',
    modelPath: ref.file,
    modelHash: ref.version.sha256,
    runId: ref.version.source.runId ?? undefined,
    image: img.image,
    digest: pushed.digest,
    reference: pushed.reference,
    target,
  }).catch(() => undefined);
  return { img, target, digest: pushed.digest };
}

/** kubectl apply, then rollout status followed to the end; kubectl's reason in the error. */
async function applyAndFollow(env: KubernetesEnv, d: Pick<KubernetesDeployment, 'deployment' | 'context' | 'namespace'>, file: string) {
  if (!env.kubectl) throw new KubernetesRollError('kubectl was not found on PATH', 'kubectl was not found on PATH');
  const scope = { context: d.context, namespace: d.namespace };
  const onLog = (line: string) => env.onLog?.(`kubectl: ${line}`);
  const t0 = Date.now();
  try {
    await applyManifests({ kubectl: env.kubectl, file, scope, signal: env.signal, onLog });
  } catch (e) {
    if (!(e instanceof KubectlError)) throw e;
    throw new KubernetesRollError(`kubectl apply -f ${file} failed: ${e.reason}`, e.reason);
  }
  try {
    await rolloutStatus({
      kubectl: env.kubectl,
      name: d.deployment,
      timeoutSeconds: env.rolloutTimeoutSeconds ?? 300,
      scope,
      signal: env.signal,
      onLog,
    });
  } catch (e) {
    if (!(e instanceof KubectlError)) throw e;
    throw new KubernetesRollError(`the rollout of deployment/${d.deployment} failed: ${e.reason}`, e.reason);
  }
  return Date.now() - t0;
}

/** The Kubernetes deployments of NAME@ALIAS in this workspace. */
export async function findKubernetesDeployments(workspace: string, model: string, alias: string): Promise<KubernetesDeployment[]> {
  return (await listDeployments(workspace, model, alias)).filter((d): d is KubernetesDeployment => d.kind === 'kubernetes');
}

export interface KubernetesDeployOptions {
  /** Where the image is pushed: HOST[:PORT][/PREFIX]. */
  registry: string;
  scope: KubectlScope;
  /** The Deployment's name (default NAME-ALIAS as a DNS label). */
  name?: string;
  /** The folder the manifest is written to (absolute). */
  outDir: string;
  replicas?: number;
  cpu?: string;
  memory?: string;
  kserve?: boolean;
  apply: boolean;
}

/**
 * Deploys NAME@ALIAS to Kubernetes: the version's image pushed, the manifests written to OUT/NAME.yaml (and applied,
 * the rollout followed, when `apply`), the deployment recorded. When a deployment of that name, context and
 * namespace is recorded already, it is rolled to the alias's version instead (its manifest bumped).
 */
export async function deployAliasKubernetes(env: KubernetesEnv, ref: ResolvedRef, opts: KubernetesDeployOptions): Promise<KubernetesRoll> {
  const registry = normalizeImageRegistry(opts.registry);
  const name = kubernetesName(opts.name ?? `${ref.name}-${ref.ref}`);
  const existing = (await findKubernetesDeployments(env.workspace, ref.name, ref.ref)).find(
    (d) => d.deployment === name && d.context === opts.scope.context && d.namespace === opts.scope.namespace,
  );
  if (existing)
    return rollAliasKubernetes(env, { ...existing, registry, applied: existing.applied || opts.apply }, ref, { reapply: opts.apply });
  const { img, target, digest } = await pushVersion(env, ref, registry);
  const { yaml } = renderKubernetesManifests({
    name,
    image: target,
    modelName: img.served,
    containerPort: img.containerPort,
    replicas: opts.replicas,
    cpu: opts.cpu,
    memory: opts.memory,
    kserve: opts.kserve,
  });
  await fsp.mkdir(opts.outDir, { recursive: true });
  const file = path.join(opts.outDir, `${name}.yaml`);
  await writeFileAtomic(file, yaml);
  env.onLog?.(`wrote ${file}`);
  const record: KubernetesDeployment = {
    kind: 'kubernetes',
    model: ref.name,
    alias: ref.ref,
    version: ref.version.version,
    since: new Date().toISOString(),
    endpoint: kubernetesEndpoint(name, opts.scope),
    manifest: rel(env.workspace, file),
    context: opts.scope.context,
    namespace: opts.scope.namespace,
    deployment: name,
    image: target,
    digest,
    registry,
    applied: opts.apply,
    served: img.served,
    ...(env.dockerHost ? { dockerHost: env.dockerHost } : {}),
    baseImage: env.baseImage,
  };
  // Recorded before the apply: a rollout that fails leaves a deployment the next promotion or rollback rolls.
  await writeDeployment(env.workspace, record);
  const rolloutMs = opts.apply ? await applyAndFollow(env, record, file) : 0;
  await lineageOf(env, ref, record, file);
  return {
    endpoint: record.endpoint,
    manifest: record.manifest,
    from: null,
    to: { version: ref.version.version, image: target, digest, imageReused: img.reused },
    bumped: true,
    applied: opts.apply,
    rolloutMs,
  };
}

async function lineageOf(env: KubernetesEnv, ref: ResolvedRef, d: KubernetesDeployment, file: string) {
  await appendLineage(env.workspace, {
    at: new Date().toISOString(),
    kind: 'kubernetes',
    modelPath: ref.file,
    modelHash: ref.version.sha256,
    runId: ref.version.source.runId ?? undefined,
    image: d.image,
    digest: d.digest,
    reference: d.image,
    manifest: file,
    endpoint: d.endpoint,
    status: d.applied ? 'rolled out' : 'saved',
  }).catch(() => undefined);
}

/**
 * Rolls a Kubernetes deployment to `ref`'s version: image built (or reused) and pushed, the manifest's image bumped,
 * applied and followed until rolled out. Nothing to do when the record and the manifest name that version already.
 * On failure the error says what failed, kubectl's reason, and how to undo it; the manifest keeps what was applied
 * (the record names the version that last rolled out), so a rollback rolls it back.
 */
export async function rollAliasKubernetes(
  env: KubernetesEnv,
  d: KubernetesDeployment,
  ref: ResolvedRef,
  opts: { reapply?: boolean } = {},
): Promise<KubernetesRoll> {
  const file = path.resolve(env.workspace, d.manifest);
  // What the cluster was last asked to run: a failed roll's version when one is pending.
  const from = d.pending ? { version: d.pending.version, image: d.pending.image } : { version: d.version, image: d.image };
  const text = await fsp.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new KubernetesRollError(
      `the manifest ${d.manifest} cannot be read (${e.code ?? e.message}): deploy again with mlw deploy k8s ${refText(ref)}`,
      e.message,
    );
  });
  const scope = { context: d.context, namespace: d.namespace };
  const undo = () =>
    `undo: ${ref.ref === 'champion' ? `mlw registry rollback ${ref.name}` : `mlw registry alias ${ref.name} ${d.version} ${ref.ref}`} (moves the alias back and rolls again), or ${rolloutUndoCommand(d.deployment, scope)} (the cluster only)`;
  let pushed;
  try {
    pushed = await pushVersion(env, ref, d.registry);
  } catch (e) {
    const m = (e as Error).message.split('\n')[0];
    throw new KubernetesRollError(`building or pushing ${refText(ref)} version ${ref.version.version} failed: ${m}`, m);
  }
  const { img, target, digest } = pushed;
  // Which image the manifest names now: the record's, or the one a failed roll left there (then it is bumped from that).
  let bump;
  try {
    bump = bumpManifestImage(text, { deployment: d.deployment, from: d.image, to: target, file: d.manifest });
  } catch (e) {
    const left =
      d.pending && d.pending.image !== target
        ? bumpManifestImage(text, { deployment: d.deployment, from: d.pending.image, to: target, file: d.manifest })
        : undefined;
    if (!left) throw new KubernetesRollError((e as Error).message, (e as Error).message);
    bump = left;
  }
  if (d.version === ref.version.version && !bump.changed && d.image === target && !d.pending && !opts.reapply)
    return {
      endpoint: d.endpoint,
      manifest: d.manifest,
      from,
      to: { version: d.version, image: target, digest, imageReused: true },
      bumped: false,
      applied: d.applied,
      rolloutMs: 0,
    };
  if (bump.changed) {
    await writeFileAtomic(file, bump.text);
    env.onLog?.(`${d.manifest}: image ${d.pending?.image ?? d.image} -> ${target}`);
  }
  const next: KubernetesDeployment = {
    ...d,
    version: ref.version.version,
    since: new Date().toISOString(),
    image: target,
    digest,
    served: img.served,
  };
  delete next.pending;
  const rolled = async (applied: boolean, rolloutMs: number) => {
    await writeDeployment(env.workspace, next);
    await lineageOf(env, ref, next, file);
    return {
      endpoint: d.endpoint,
      manifest: d.manifest,
      from,
      to: { version: ref.version.version, image: target, digest, imageReused: img.reused },
      bumped: bump.changed > 0,
      applied,
      rolloutMs,
    };
  };
  if (!d.applied) return rolled(false, 0);
  let rolloutMs;
  try {
    rolloutMs = await applyAndFollow(env, d, file);
  } catch (e) {
    // What the manifest names now is what was applied; the record keeps the version that last rolled out.
    const reason = e instanceof KubernetesRollError ? e.reason : (e as Error).message;
    await writeDeployment(env.workspace, { ...d, pending: { version: ref.version.version, image: target, reason } });
    if (e instanceof KubernetesRollError) throw new KubernetesRollError(`${e.message}; ${undo()}`, e.reason);
    throw e;
  }
  return rolled(true, rolloutMs);
}
