/**
 * After an alias moved (promote, rollback): roll everything in the workspace that serves it, and say what was
 * rolled. Local servers roll themselves (they watch the registry file, followAlias.ts): here we wait until each
 * one's record says the new version. Containers on the local engine are rolled blue/green here (aliasContainer.ts).
 * Kubernetes deployments get the new version's image pushed, their manifest bumped, applied and the rollout
 * followed (aliasKubernetes.ts).
 */
import { listDeployments, type AliasDeployment, type ContainerDeployment, type KubernetesDeployment } from '../registry/aliasDeployments';
import { resolveRegistryRef } from '../registry/registryRef';
import { registryOf } from '../docker/engineErrors';
import { rollAliasContainer, type ContainerEnv } from './aliasContainer';
import { rollAliasKubernetes, type KubernetesEnv } from './aliasKubernetes';
import { dockerLoginAuth } from './dockerConfigAuth';
import { findKubectl } from './kubectl';

export interface RolledTarget {
  kind: 'server' | 'container' | 'kubernetes';
  /** The endpoint clients use. */
  endpoint: string;
  from: number;
  to: number;
  ok: boolean;
  /** What happened, for one line of output. */
  detail: string;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitServer(
  workspace: string,
  d: AliasDeployment & { kind: 'server' },
  to: number,
  timeoutMs: number,
): Promise<RolledTarget> {
  const t0 = Date.now();
  const base = { kind: 'server' as const, endpoint: d.url, from: d.version, to };
  for (;;) {
    const now = (await listDeployments(workspace, d.model, d.alias)).find((x) => x.kind === 'server' && x.process.pid === d.process.pid);
    if (!now) return { ...base, ok: false, detail: `the server (pid ${d.process.pid}) stopped`, ms: Date.now() - t0 };
    if (now.version === to) return { ...base, ok: true, detail: `local server (pid ${d.process.pid}) rolled`, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs)
      return {
        ...base,
        ok: false,
        detail: `local server (pid ${d.process.pid}) still serves version ${now.version} after ${timeoutMs} ms; see its log`,
        ms: Date.now() - t0,
      };
    await sleep(25);
  }
}

export async function rollAlias(opts: {
  workspace: string;
  model: string;
  alias: string;
  /** Connects to the deployment's engine, only when a container (or a Kubernetes deployment's image build) needs it. */
  containerEnv: (d: Pick<ContainerDeployment, 'dockerHost' | 'baseImage'>) => Promise<ContainerEnv>;
  /** For a Kubernetes deployment: default, containerEnv's engine with kubectl from PATH and docker login's credentials. */
  kubernetesEnv?: (d: KubernetesDeployment) => Promise<KubernetesEnv>;
  timeoutMs?: number;
}): Promise<RolledTarget[]> {
  const deployments = await listDeployments(opts.workspace, opts.model, opts.alias);
  if (!deployments.length) return [];
  const ref = await resolveRegistryRef(opts.workspace, { name: opts.model, ref: opts.alias, follows: true });
  const to = ref.version.version;
  const out: RolledTarget[] = [];
  for (const d of deployments) {
    if (d.kind === 'server') out.push(await waitServer(opts.workspace, d, to, opts.timeoutMs ?? 60_000));
    else if (d.kind === 'kubernetes') out.push(await rollKubernetes(opts, d, ref));
    else {
      const t0 = Date.now();
      try {
        const r = await rollAliasContainer(await opts.containerEnv(d), d, ref);
        out.push({
          kind: 'container',
          endpoint: d.endpoint,
          from: d.version,
          to,
          ok: true,
          detail:
            r.from && r.from.container === r.to.container
              ? `container ${r.to.container} serves it already`
              : `blue/green: container ${r.from?.container} -> ${r.to.container} (${r.to.image}${r.to.imageReused ? ', reused' : ', built'}; ready in ${r.readyMs} ms, old drained in ${r.drainMs} ms)`,
          ms: Date.now() - t0,
        });
      } catch (e) {
        out.push({
          kind: 'container',
          endpoint: d.endpoint,
          from: d.version,
          to,
          ok: false,
          detail: (e as Error).message,
          ms: Date.now() - t0,
        });
      }
    }
  }
  return out;
}

async function defaultKubernetesEnv(
  containerEnv: (d: Pick<ContainerDeployment, 'dockerHost' | 'baseImage'>) => Promise<ContainerEnv>,
  d: KubernetesDeployment,
): Promise<KubernetesEnv> {
  const c = await containerEnv(d);
  const login = await dockerLoginAuth(registryOf(`${d.registry}/x`)).catch(() => ({ auth: undefined }));
  return { ...c, kubectl: await findKubectl(), auth: login.auth };
}

async function rollKubernetes(
  opts: Parameters<typeof rollAlias>[0],
  d: KubernetesDeployment,
  ref: Awaited<ReturnType<typeof resolveRegistryRef>>,
): Promise<RolledTarget> {
  const t0 = Date.now();
  const base = { kind: 'kubernetes' as const, endpoint: d.endpoint, from: d.pending?.version ?? d.version, to: ref.version.version };
  try {
    const env = await (opts.kubernetesEnv ?? ((x: KubernetesDeployment) => defaultKubernetesEnv(opts.containerEnv, x)))(d);
    const r = await rollAliasKubernetes(env, d, ref);
    const image = `${r.to.image}${r.to.imageReused ? ', reused' : ', built'}, pushed`;
    const detail =
      !r.bumped && !r.rolloutMs
        ? `${d.manifest} names ${r.to.image} already`
        : r.applied
          ? `image ${image}; ${d.manifest} bumped; applied and rolled out in ${r.rolloutMs} ms`
          : `image ${image}; ${d.manifest} bumped (not applied: kubectl apply -f ${d.manifest})`;
    return { ...base, ok: true, detail, ms: Date.now() - t0 };
  } catch (e) {
    return { ...base, ok: false, detail: (e as Error).message, ms: Date.now() - t0 };
  }
}

/** One line per roll; none when nothing serves the alias. */
export function formatRolled(model: string, alias: string, rolled: readonly RolledTarget[]): string[] {
  return rolled.map(
    (r) => `${r.ok ? 'rolled' : 'ROLL FAILED'} ${r.endpoint}: ${model}@${alias} version ${r.from} -> ${r.to} in ${r.ms} ms (${r.detail})`,
  );
}
