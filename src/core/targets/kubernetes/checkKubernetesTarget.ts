import { findKubectl } from '../../deploy/kubectl';
import type { KubernetesTarget, TargetCheck, TargetCheckItem } from '../targetTypes';
import { KubectlTarget, kubectlError } from './KubectlTarget';

/**
 * `mlw targets check` for a kubernetes target: kubectl is on PATH, the context answers and lets us create Jobs and
 * ConfigMaps in the namespace (`kubectl auth can-i create jobs.batch` / `configmaps`), and how many GPUs the nodes
 * offer (the sum of `nvidia.com/gpu` in `status.allocatable`; the node selector of the target applied).
 */
export async function checkKubernetesTarget(
  target: KubernetesTarget,
  options: { kubectl?: string; timeoutMs?: number } = {},
): Promise<TargetCheck> {
  const items: TargetCheckItem[] = [];
  const result = () => ({ target: target.name, ok: items.every((i) => i.ok), items });
  const program = options.kubectl ?? (await findKubectl());
  if (!program) {
    items.push({ name: 'reachable', ok: false, detail: 'kubectl is not on PATH: install it and a kubeconfig for the cluster' });
    return result();
  }
  const k = new KubectlTarget(program, target);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const t0 = Date.now();
  const jobs = await k.run(['auth', 'can-i', 'create', 'jobs.batch'], { timeoutMs });
  const answer = jobs.stdout.trim().split('\n').slice(-1)[0];
  if (answer !== 'yes' && answer !== 'no') {
    items.push({ name: 'reachable', ok: false, detail: `${k.label}: ${kubectlError(jobs)}` });
    return result();
  }
  items.push({ name: 'reachable', ok: true, detail: `${k.label} answered in ${Date.now() - t0} ms (${program})` });
  const maps = await k.run(['auth', 'can-i', 'create', 'configmaps'], { timeoutMs });
  const mapsOk = maps.stdout.trim() === 'yes';
  items.push({
    name: 'scheduler',
    ok: answer === 'yes' && mapsOk,
    detail:
      answer === 'yes' && mapsOk
        ? `may create Jobs and ConfigMaps in namespace ${target.namespace}`
        : `may not create ${answer !== 'yes' ? 'Jobs' : 'ConfigMaps'} in namespace ${target.namespace} (kubectl auth can-i said no): ask the cluster's admin for a Role`,
  });
  const nodes = await k.run(['get', 'nodes', '-o', 'json'], { timeoutMs, cluster: true });
  if (nodes.code !== 0) {
    items.push({ name: 'gpus', ok: !target.gpus, detail: `cannot list nodes: ${kubectlError(nodes)}` });
    return result();
  }
  type Node = { metadata?: { labels?: Record<string, string> }; status?: { allocatable?: Record<string, string> } };
  const all = ((JSON.parse(nodes.stdout) as { items?: Node[] }).items ?? []).filter((n) =>
    Object.entries(target.nodeSelector ?? {}).every(([key, v]) => n.metadata?.labels?.[key] === v),
  );
  const perNode = all.map((n) => Number(n.status?.allocatable?.['nvidia.com/gpu'] ?? 0) || 0);
  const total = perNode.reduce((a, b) => a + b, 0);
  const fits = perNode.some((g) => g >= (target.gpus ?? 0));
  items.push({
    name: 'gpus',
    ok: !target.gpus || fits,
    detail: `${total} GPU(s) allocatable on ${perNode.filter((g) => g > 0).length} of ${all.length} node(s)${target.nodeSelector ? ' matching the nodeSelector' : ''}${target.gpus && !fits ? `: no node offers the ${target.gpus} a run asks for` : ''}`,
  });
  return result();
}
