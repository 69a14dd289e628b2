/**
 * What serves a registry alias in this workspace, so that `mlw registry promote|rollback` (and the extension) can
 * roll it: one JSON file per server or container deployment under `.mlw/deployments/`, written by whoever runs it
 * (the model server while it follows `NAME@ALIAS`, `mlw deploy local NAME@ALIAS` for a container behind its
 * front proxy, `mlw deploy k8s NAME@ALIAS` for a Deployment in a cluster) and removed when it stops. A record whose
 * process is gone is stale and dropped on reading; a Kubernetes record has no local process and stays until removed.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../runs/atomicWrite';
import { processLiveness } from '../runs/processLiveness';
import type { ProcessIdentity } from '../runs/runTypes';

export const DEPLOYMENTS_DIR = path.join('.mlw', 'deployments');

interface RecordBase {
  /** The registered model and the alias it follows. */
  model: string;
  alias: string;
  /** The registry version served now. */
  version: number;
  /** ISO time of the last roll (or the start). */
  since: string;
}

/** A local model server (`mlw serve NAME@ALIAS`, or one the extension started) that swaps versions itself. */
export interface ServerDeployment extends RecordBase {
  kind: 'server';
  url: string;
  /** The model name the server serves it under. */
  served: string;
  process: ProcessIdentity;
}

/** A container on the local engine behind a front proxy that keeps the endpoint's port across blue/green rolls. */
export interface ContainerDeployment extends RecordBase {
  kind: 'container';
  /** http://127.0.0.1:PORT: the front proxy, stable across rolls. */
  endpoint: string;
  served: string;
  /** The proxy process, and the token its control route wants. */
  proxy: ProcessIdentity;
  token: string;
  container: { id: string; name: string; image: string; endpoint: string };
  /** The engine the container runs on (DOCKER_HOST form), when not the default one. */
  dockerHost?: string;
  /** The base image the version images are built on (a roll builds the next one on it too). */
  baseImage: string;
  /** The fraction of requests each container captures into .mlw/captures/ (absent: capture off). */
  capture?: number;
}

/**
 * A Deployment in a Kubernetes cluster whose manifest (in the workspace, reviewable in git) names the version's image
 * as pushed to `registry`: a roll builds and pushes the next version's image, bumps the image in the manifest file,
 * applies it with kubectl (when the deployment was applied) and follows the rollout.
 */
export interface KubernetesDeployment extends RecordBase {
  kind: 'kubernetes';
  /** `kubernetes deployment/NAME (context C, namespace NS)`, for output lines. */
  endpoint: string;
  /** The manifest file, relative to the workspace when inside it. */
  manifest: string;
  /** The kubectl context and namespace, passed explicitly on every call (the user's current context may change). */
  context: string;
  namespace: string;
  /** The Deployment's name. */
  deployment: string;
  /** The image the manifest names now (REGISTRY/NAME:vN) and its pushed digest. */
  image: string;
  digest?: string;
  /** Where version images are pushed: HOST[:PORT][/PREFIX]. */
  registry: string;
  /** A roll applied that did not roll out (the manifest names its image); the next roll starts from it. */
  pending?: { version: number; image: string; reason: string };
  /** False when the manifest was only written (a roll then bumps the file and applies nothing). */
  applied: boolean;
  served: string;
  dockerHost?: string;
  baseImage: string;
}

export type AliasDeployment = ServerDeployment | ContainerDeployment | KubernetesDeployment;

export const deploymentsDir = (workspace: string): string => path.join(path.resolve(workspace), DEPLOYMENTS_DIR);

export function deploymentFile(
  workspace: string,
  d: Pick<AliasDeployment, 'kind' | 'model' | 'alias'> & {
    process?: ProcessIdentity;
    context?: string;
    namespace?: string;
    deployment?: string;
  },
): string {
  const safe = (x: string | undefined) => (x ?? '').replace(/[^A-Za-z0-9._-]+/g, '_');
  const who =
    d.kind === 'server'
      ? `server-${d.process?.pid ?? 0}`
      : d.kind === 'kubernetes'
        ? `kubernetes-${safe(d.context)}-${safe(d.namespace)}-${safe(d.deployment)}`
        : 'container';
  return path.join(deploymentsDir(workspace), `${d.model}@${d.alias}.${who}.json`);
}

export async function writeDeployment(workspace: string, d: AliasDeployment): Promise<void> {
  await fsp.mkdir(deploymentsDir(workspace), { recursive: true });
  const file = deploymentFile(workspace, d);
  await writeFileAtomic(file, `${JSON.stringify(d, null, 2)}\n`);
  await fsp.chmod(file, 0o600).catch(() => undefined);
}

export async function removeDeployment(workspace: string, d: AliasDeployment): Promise<void> {
  await fsp.rm(deploymentFile(workspace, d), { force: true });
}

const ownerOf = (d: AliasDeployment): ProcessIdentity | undefined =>
  d.kind === 'server' ? d.process : d.kind === 'container' ? d.proxy : undefined;

/** The live deployments of `model` (of one alias when given); records of processes that are gone are removed. */
export async function listDeployments(workspace: string, model?: string, alias?: string): Promise<AliasDeployment[]> {
  const dir = deploymentsDir(workspace);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const out: AliasDeployment[] = [];
  for (const f of names.sort()) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue;
    let d: AliasDeployment;
    try {
      d = JSON.parse(await fsp.readFile(path.join(dir, f), 'utf8')) as AliasDeployment;
    } catch {
      continue;
    }
    if ((model !== undefined && d.model !== model) || (alias !== undefined && d.alias !== alias)) continue;
    const owner = ownerOf(d);
    if (owner && processLiveness(owner) === 'dead') {
      await fsp.rm(path.join(dir, f), { force: true });
      continue;
    }
    out.push(d);
  }
  return out;
}
