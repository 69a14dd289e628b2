import type { Target, TargetCheck, TargetCheckItem } from '../targetTypes';
import { connectTargetEngine } from './connectTargetEngine';
import { readDockerTarget } from './dockerTargetSpec';

/**
 * `mlw targets check` for a docker target: the engine answers (how fast, its version), its GPU runtime (when the
 * target asks for GPUs: an nvidia runtime or CDI), and the image (present, or the Dockerfile that builds it).
 */
export async function checkDockerTarget(target: Target, workspace: string, options: { timeoutMs?: number } = {}): Promise<TargetCheck> {
  const items: TargetCheckItem[] = [];
  let spec;
  try {
    spec = readDockerTarget(target);
  } catch (e) {
    return { target: target.name, ok: false, items: [{ name: 'reachable', ok: false, detail: (e as Error).message }] };
  }
  const t0 = Date.now();
  let engine;
  try {
    engine = await connectTargetEngine(spec, workspace, { timeoutMs: options.timeoutMs ?? 30_000 });
  } catch (e) {
    return { target: target.name, ok: false, items: [{ name: 'reachable', ok: false, detail: (e as Error).message }] };
  }
  try {
    let version;
    try {
      version = await engine.docker.version();
    } catch (e) {
      items.push({ name: 'reachable', ok: false, detail: `${engine.label}: ${(e as Error).message.split('\n')[0]}` });
      return { target: target.name, ok: false, items };
    }
    items.push({ name: 'reachable', ok: true, detail: `${engine.label} answered in ${Date.now() - t0} ms` });
    items.push({
      name: 'engine',
      ok: true,
      detail: `Docker ${version.Version} (API ${version.ApiVersion}, ${version.Os}/${version.Arch})`,
    });
    const info = (await engine.docker.info()) as { Runtimes?: Record<string, unknown>; CDISpecDirs?: string[] };
    const runtimes = Object.keys(info.Runtimes ?? {});
    const gpuRuntime = runtimes.find((r) => /nvidia/i.test(r));
    const wantsGpus = spec.gpus !== undefined && spec.gpus !== 0;
    items.push({
      name: 'gpus',
      ok: !wantsGpus || !!gpuRuntime,
      detail: gpuRuntime
        ? `GPU runtime ${gpuRuntime}${wantsGpus ? ` (gpus: ${spec.gpus})` : ''}`
        : `no nvidia runtime (runtimes: ${runtimes.join(', ') || 'none'})${wantsGpus ? `: gpus: ${spec.gpus} cannot be given` : ''}`,
    });
    if (spec.image) {
      let present = true;
      try {
        await engine.docker.getImage(spec.image).inspect();
      } catch {
        present = false;
      }
      items.push({
        name: 'image',
        ok: true,
        detail: present ? `${spec.image} is on the engine` : `${spec.image} is not on the engine: it is pulled when a run starts`,
      });
    } else {
      items.push({
        name: 'image',
        ok: true,
        detail: `built from ${spec.dockerfile ?? 'Dockerfile'} of the run's folder when a run starts`,
      });
    }
  } finally {
    engine.close();
  }
  return { target: target.name, ok: items.every((i) => i.ok), items };
}
