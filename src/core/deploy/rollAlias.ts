/**
 * After an alias moved (promote, rollback): roll everything in the workspace that serves it, and say what was
 * rolled. Local servers roll themselves (they watch the registry file, followAlias.ts): here we wait until each
 * one's record says the new version. Containers on the local engine are rolled blue/green here (aliasContainer.ts).
 */
import { listDeployments, type AliasDeployment, type ContainerDeployment } from '../registry/aliasDeployments';
import { resolveRegistryRef } from '../registry/registryRef';
import { rollAliasContainer, type ContainerEnv } from './aliasContainer';

export interface RolledTarget {
  kind: 'server' | 'container';
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
  /** Connects to the deployment's engine, only when a container serves the alias. */
  containerEnv: (d: ContainerDeployment) => Promise<ContainerEnv>;
  timeoutMs?: number;
}): Promise<RolledTarget[]> {
  const deployments = await listDeployments(opts.workspace, opts.model, opts.alias);
  if (!deployments.length) return [];
  const ref = await resolveRegistryRef(opts.workspace, { name: opts.model, ref: opts.alias, follows: true });
  const to = ref.version.version;
  const out: RolledTarget[] = [];
  for (const d of deployments) {
    if (d.kind === 'server') out.push(await waitServer(opts.workspace, d, to, opts.timeoutMs ?? 60_000));
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

/** One line per roll; none when nothing serves the alias. */
export function formatRolled(model: string, alias: string, rolled: readonly RolledTarget[]): string[] {
  return rolled.map(
    (r) => `${r.ok ? 'rolled' : 'ROLL FAILED'} ${r.endpoint}: ${model}@${alias} version ${r.from} -> ${r.to} in ${r.ms} ms (${r.detail})`,
  );
}
