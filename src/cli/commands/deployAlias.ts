/**
 * `mlw deploy local NAME@ALIAS` (a container of the registry version behind a front proxy at a stable port, rolled
 * blue/green when the alias moves), `mlw deploy stop NAME@ALIAS`, and `mlw deploy front` (the proxy process itself,
 * started detached by the deploy; not for typing).
 */
import * as path from 'node:path';
import { deployAliasContainer, findContainerDeployment, stopAliasContainer, type ContainerEnv } from '../../core/deploy/aliasContainer';
import { findKubernetesDeployments } from '../../core/deploy/aliasKubernetes';
import { findKubectl } from '../../core/deploy/kubectl';
import { deleteCommand, stopAliasKubernetes } from '../../core/deploy/stopAliasKubernetes';
import { startFrontProxy } from '../../core/deploy/frontProxy';
import { FRONT_TOKEN_ENV } from '../../core/deploy/frontProcess';
import { DEFAULT_BASE_IMAGE } from '../../core/docker/renderDockerfile';
import { locateServerAssets } from '../../core/docker/serverAssets';
import { parseRegistryRef, refText, resolveRegistryRef } from '../../core/registry/registryRef';
import { UsageError, type CliContext } from '../cliCommand';
import { buildLogger, connectEngine, packageRoot } from './containerize';

export const ALIAS_USAGE = `mlw deploy local NAME@ALIAS|NAME@vN [--port N] [--capture RATE] [--base-image IMG] [--docker-host URL] [--json]
mlw deploy stop NAME@ALIAS [--docker-host URL] [--context C] [--namespace NS] [--keep-cluster]

local NAME@ALIAS runs the registry version the alias points to (image NAME:vN, built once and reused) behind a
       small front proxy on 127.0.0.1:PORT that the deployment owns, so the endpoint keeps its port: when
       mlw registry promote|rollback moves the alias, a container of the new version starts on a port of its own,
       must answer ready and a smoke request, the proxy switches to it, requests in flight finish on the old one,
       and then the old one stops (blue/green). Running it again rolls to the alias's version, if it moved.
stop   stops the proxy and the container of NAME@ALIAS, and deletes its Kubernetes deployment (mlw deploy k8s
       NAME@ALIAS --apply): kubectl delete -f MANIFEST in the recorded context and namespace (--context and
       --namespace pick one of several, and leave the container alone). --keep-cluster only forgets the record
       (promotions stop rolling it; the cluster keeps it). The manifest file stays.`;

export async function containerEnvFor(
  ctx: CliContext,
  opts: { dockerHost?: string; baseImage?: string; drainTimeoutMs?: number },
): Promise<ContainerEnv> {
  const root = packageRoot();
  return {
    engine: await connectEngine(opts.dockerHost),
    workspace: ctx.workspace,
    assets: locateServerAssets(root),
    baseImage: opts.baseImage ?? DEFAULT_BASE_IMAGE,
    mlwScript: path.join(root, 'dist', 'mlw.js'),
    dockerHost: opts.dockerHost ?? process.env.DOCKER_HOST,
    signal: ctx.signal,
    onLog: buildLogger(ctx),
    drainTimeoutMs: opts.drainTimeoutMs,
  };
}

function refArg(arg: string) {
  const ref = parseRegistryRef(arg);
  if (!ref) throw new UsageError(`"${arg}" is not NAME@ALIAS or NAME@vN`);
  return ref;
}

export async function deployAliasLocal(
  arg: string,
  values: { port?: number; baseImage?: string; dockerHost?: string; capture?: number },
  ctx: CliContext,
): Promise<number> {
  const ref = await resolveRegistryRef(ctx.workspace, refArg(arg));
  const env = await containerEnvFor(ctx, { dockerHost: values.dockerHost, baseImage: values.baseImage });
  const r = await deployAliasContainer(env, ref, values.port, values.capture);
  if (ctx.json) ctx.out(JSON.stringify({ ref: refText(ref), ...r }, null, 2));
  else {
    const what = `${refText(ref)} (version ${r.to.version}, image ${r.to.image}${r.to.imageReused ? ' reused' : ''})`;
    if (!r.from) ctx.out(`${what} serves at ${r.endpoint} from container ${r.to.container} (ready in ${r.readyMs} ms)`);
    else if (r.from.container === r.to.container) ctx.out(`${what} serves at ${r.endpoint} already (container ${r.to.container})`);
    else
      ctx.out(
        `${what} rolled at ${r.endpoint}: container ${r.from.container} (version ${r.from.version}) -> ${r.to.container}, ready in ${r.readyMs} ms, old drained in ${r.drainMs} ms`,
      );
    if (values.capture !== undefined && !r.from)
      ctx.out(`Capturing ${values.capture * 100} % of requests into ${path.join(ctx.workspace, '.mlw', 'captures', ref.name)}`);
    ctx.out(`Follows ${refText(ref)}: mlw registry promote|rollback rolls it. Stop it: mlw deploy stop ${refText(ref)}`);
  }
  return 0;
}

export async function deployStop(
  args: string[],
  ctx: CliContext,
  opts: { dockerHost?: string; context?: string; namespace?: string; keepCluster?: boolean } = {},
): Promise<number> {
  if (args.length !== 1) throw new UsageError('deploy stop: expected NAME@ALIAS');
  const ref = refArg(args[0]);
  const text = refText(ref);
  const scoped = opts.context !== undefined || opts.namespace !== undefined;
  const container = scoped ? undefined : await findContainerDeployment(ctx.workspace, ref.name, ref.ref);
  const all = await findKubernetesDeployments(ctx.workspace, ref.name, ref.ref);
  const k8s = all.filter(
    (d) => (opts.context === undefined || d.context === opts.context) && (opts.namespace === undefined || d.namespace === opts.namespace),
  );
  if (!container && !k8s.length) {
    if (scoped && all.length)
      throw new UsageError(
        `no Kubernetes deployment of ${text} is recorded in ${[opts.context && `context ${opts.context}`, opts.namespace && `namespace ${opts.namespace}`].filter(Boolean).join(', ')}: recorded are ${all.map((d) => `${d.context}/${d.namespace}`).join(', ')}`,
      );
    throw new Error(
      `no container or Kubernetes deployment of ${text} is recorded in this workspace (mlw deploy local ${text}, or mlw deploy k8s ${text} --registry R, starts one)`,
    );
  }
  if (container) {
    const env = await containerEnvFor(ctx, { dockerHost: opts.dockerHost ?? container.dockerHost });
    await stopAliasContainer(env, container);
    ctx.out(`stopped ${text} at ${container.endpoint} (container ${container.container.name}, front proxy pid ${container.proxy.pid})`);
  }
  const kubectl = k8s.some((d) => d.applied) && !opts.keepCluster ? await findKubectl() : undefined;
  for (const d of k8s) {
    const r = await stopAliasKubernetes({ workspace: ctx.workspace, kubectl, signal: ctx.signal, onLog: buildLogger(ctx) }, d, {
      keepCluster: opts.keepCluster,
    });
    if (r.deleted)
      ctx.out(
        `stopped ${text} at ${d.endpoint}: ${r.lines.join(', ') || 'nothing left to delete'}${r.notFound.length ? ` (${r.notFound.length} of its objects were gone already)` : ''}; record removed, manifest ${d.manifest} kept`,
      );
    else if (d.applied)
      ctx.out(`forgot ${text} at ${d.endpoint}: promotions no longer roll it; the cluster keeps it (delete it with ${deleteCommand(d)})`);
    else ctx.out(`forgot ${text} at ${d.endpoint}: its manifest ${d.manifest} was never applied (kept)`);
  }
  return 0;
}

/** The front proxy process: forwards 127.0.0.1:PORT to the upstream until SIGTERM, then finishes what it forwards. */
export async function deployFront(values: { port?: number; upstream?: string }, ctx: CliContext): Promise<number> {
  const token = process.env[FRONT_TOKEN_ENV];
  if (!token || values.port === undefined || !values.upstream)
    throw new UsageError(`deploy front is started by mlw deploy local NAME@ALIAS (it needs --port, --upstream and ${FRONT_TOKEN_ENV})`);
  const proxy = await startFrontProxy({ port: values.port, upstream: values.upstream, token, logger: ctx.logger });
  ctx.err(`front proxy ${proxy.url} -> ${values.upstream}`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await proxy.close();
  return 0;
}
