/**
 * Containers that serve a registry alias on the local engine (`mlw deploy local clf@champion`), behind their front
 * proxy (frontProxy.ts) at a stable 127.0.0.1 port, and their blue/green roll when the alias moves: the new
 * version's container starts on a port of its own and must answer ready and a smoke request; then the proxy
 * switches to it, the requests in flight to the old one finish, and only then is the old one stopped (SIGTERM:
 * its server drains too) and removed. A new container that does not come up is removed and the old one keeps
 * serving.
 *
 * On a machine with few cores the new container's start (node, the model's ORT session, its first requests) would
 * take CPU from the one in service and show in its latency: it starts with an eighth of the normal CPU weight (it
 * yields to the serving container when both want the CPU, runs at full speed when that one is idle, and no busy
 * container can slow it more than 9-fold), gets the normal weight once its smoke request has passed, just before
 * the switch; the old one gets the low weight for its shutdown. (The least weight, 2, starved a new container for a
 * minute beside other busy containers on a loaded machine.)
 */
import * as net from 'node:net';
import * as path from 'node:path';
import type { DockerEngine } from '../docker/dockerEngine';
import type { ServerAssets } from '../docker/serverAssets';
import { listDeployments, removeDeployment, writeDeployment, type ContainerDeployment } from '../registry/aliasDeployments';
import { refText, type ResolvedRef } from '../registry/registryRef';
import { processIdentity, processLiveness } from '../runs/processLiveness';
import { newToken, spawnFront, switchUpstream, waitDrained } from './frontProcess';
import { choosePort } from './localPort';
import { registryVersionImage } from './registryImage';
import { runLocal } from './runLocal';
import { captureMount } from './captureMount';

export const ALIAS_LABEL = 'dev.mlworkbench.registryAlias';
/** CPU weights (Docker CpuShares): a container that does not serve yet or any more, and one that serves (Docker's default). */
export const STANDBY_CPU_SHARES = 128;
export const SERVING_CPU_SHARES = 1024;

export interface ContainerEnv {
  engine: DockerEngine;
  workspace: string;
  assets: ServerAssets;
  baseImage: string;
  /** dist/mlw.js, which runs the front proxy. */
  mlwScript: string;
  dockerHost?: string;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
  /** How long the old container may take to finish its requests (default 30 s). */
  drainTimeoutMs?: number;
}

export interface ContainerRoll {
  endpoint: string;
  from: { version: number; container: string } | null;
  to: { version: number; container: string; image: string; imageReused: boolean };
  /** From starting the new container to its ready answer. */
  readyMs: number;
  /** From the switch until the old container had nothing in flight. */
  drainMs: number;
}

/** Starts a container of `ref`'s version; `capture` (a fraction of requests) turns request capture on in it. */
async function startVersion(env: ContainerEnv, ref: ResolvedRef, capture?: number) {
  const img = await registryVersionImage({ ...env, ref });
  const r = await runLocal({
    engine: env.engine,
    image: img.image,
    modelName: img.served,
    containerPort: img.containerPort,
    labels: { [ALIAS_LABEL]: refText(ref) },
    signal: env.signal,
    capture: capture === undefined ? undefined : captureMount(env.workspace, img.served, capture),
    cpuShares: STANDBY_CPU_SHARES,
  });
  try {
    if (!r.smoke.ok)
      throw new Error(
        `${refText(ref)} version ${ref.version.version}: the new container answered ready but its smoke request failed: ${r.smoke.summary}`,
      );
    await env.engine.setCpuShares(r.container.id, SERVING_CPU_SHARES);
  } catch (e) {
    await env.engine.remove(r.container.id, { force: true }).catch(() => undefined);
    throw e;
  }
  return { img, r };
}

async function retire(env: ContainerEnv, id: string): Promise<void> {
  await env.engine.setCpuShares(id, STANDBY_CPU_SHARES).catch(() => undefined); // it serves nothing any more
  await env.engine.stop(id, { timeoutSeconds: Math.ceil((env.drainTimeoutMs ?? 30_000) / 1000) }).catch(() => undefined);
  await env.engine.remove(id, { force: true });
}

/** The container deployment of NAME@ALIAS, if its proxy runs. */
export async function findContainerDeployment(workspace: string, model: string, alias: string): Promise<ContainerDeployment | undefined> {
  return (await listDeployments(workspace, model, alias)).find((d): d is ContainerDeployment => d.kind === 'container');
}

/**
 * Deploys NAME@ALIAS: the first time, a container and its front proxy on `port` (default: a free one); when a
 * deployment runs already, rolls it to the alias's version (nothing to do when it serves that version).
 * `capture` (a fraction of requests, see captureMount.ts) is kept in the record: every container a roll starts
 * captures at that rate too.
 */
export async function deployAliasContainer(env: ContainerEnv, ref: ResolvedRef, port?: number, capture?: number): Promise<ContainerRoll> {
  const existing = await findContainerDeployment(env.workspace, ref.name, ref.ref);
  if (existing) return rollAliasContainer(env, existing, ref);
  const t0 = Date.now();
  const { img, r } = await startVersion(env, ref, capture);
  const readyMs = Date.now() - t0;
  try {
    const token = newToken();
    const frontPort = port ?? (await freePort());
    if (port !== undefined && (await choosePort(port)) !== port)
      throw new Error(`port ${port} on 127.0.0.1 is in use: pick another with --port`);
    const pid = await spawnFront({
      mlwScript: env.mlwScript,
      workspace: env.workspace,
      port: frontPort,
      upstream: r.endpoint,
      token,
      logFile: path.join(env.workspace, '.mlw', 'deployments', `${ref.name}@${ref.ref}.front.log`),
    });
    const record: ContainerDeployment = {
      kind: 'container',
      model: ref.name,
      alias: ref.ref,
      version: ref.version.version,
      since: new Date().toISOString(),
      endpoint: `http://127.0.0.1:${frontPort}`,
      served: img.served,
      proxy: processIdentity(pid),
      token,
      container: { id: r.container.id, name: r.container.name, image: img.image, endpoint: r.endpoint },
      ...(env.dockerHost ? { dockerHost: env.dockerHost } : {}),
      baseImage: env.baseImage,
      ...(capture !== undefined ? { capture } : {}),
    };
    await writeDeployment(env.workspace, record);
    return {
      endpoint: record.endpoint,
      from: null,
      to: { version: ref.version.version, container: r.container.name, image: img.image, imageReused: img.reused },
      readyMs,
      drainMs: 0,
    };
  } catch (e) {
    await env.engine.remove(r.container.id, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Blue/green: the deployment's proxy moves from its container to a new one of `ref`'s version. */
export async function rollAliasContainer(env: ContainerEnv, d: ContainerDeployment, ref: ResolvedRef): Promise<ContainerRoll> {
  const from = { version: d.version, container: d.container.name };
  if (d.version === ref.version.version) {
    return {
      endpoint: d.endpoint,
      from,
      to: { version: d.version, container: d.container.name, image: d.container.image, imageReused: true },
      readyMs: 0,
      drainMs: 0,
    };
  }
  const t0 = Date.now();
  const { img, r } = await startVersion(env, ref, d.capture);
  const readyMs = Date.now() - t0;
  try {
    await switchUpstream(d.endpoint, d.token, r.endpoint);
  } catch (e) {
    await env.engine.remove(r.container.id, { force: true }).catch(() => undefined);
    throw e;
  }
  const next: ContainerDeployment = {
    ...d,
    version: ref.version.version,
    since: new Date().toISOString(),
    served: img.served,
    container: { id: r.container.id, name: r.container.name, image: img.image, endpoint: r.endpoint },
  };
  await writeDeployment(env.workspace, next);
  const t1 = Date.now();
  const drained = await waitDrained(d.endpoint, d.token, d.container.endpoint, env.drainTimeoutMs ?? 30_000);
  const drainMs = Date.now() - t1;
  if (!drained)
    env.onLog?.(`the old container ${d.container.name} still had requests after ${drainMs} ms; stopping it (its server drains them)`);
  await retire(env, d.container.id);
  return {
    endpoint: d.endpoint,
    from,
    to: { version: ref.version.version, container: r.container.name, image: img.image, imageReused: img.reused },
    readyMs,
    drainMs,
  };
}

/** Stops the deployment: the proxy (which finishes what it forwards), then the container; removes the record. */
export async function stopAliasContainer(env: Pick<ContainerEnv, 'engine' | 'workspace'>, d: ContainerDeployment): Promise<void> {
  try {
    process.kill(d.proxy.pid, 'SIGTERM');
  } catch {
    /* gone already */
  }
  const deadline = Date.now() + 15_000;
  while (processLiveness(d.proxy) === 'alive' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await env.engine.stop(d.container.id, { timeoutSeconds: 10 }).catch(() => undefined);
  await env.engine.remove(d.container.id, { force: true }).catch(() => undefined);
  await removeDeployment(env.workspace, d);
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  return new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const p = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
}
