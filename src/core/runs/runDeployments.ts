import type { LineageRecord } from '../deploy/lineage';
import { formatTime } from './formatRun';
import type { RunDeployment } from './runTypes';

const short = (id: string | undefined, n = 12): string | undefined => (id ? id.replace(/^sha256:/, '').slice(0, n) : undefined);

/**
 * What the run dashboard lists under "Deployments": the lineage records of the model this run
 * produced (records whose runId is the run's), newest first, as when / kind / target / details.
 */
export function runDeployments(records: LineageRecord[], runId: string): RunDeployment[] {
  return records
    .filter((r) => r.runId === runId)
    .sort((a, b) => b.at.localeCompare(a.at))
    .map((r): RunDeployment => {
      const at = Number.isFinite(Date.parse(r.at)) ? formatTime(Date.parse(r.at)) : r.at;
      const model = `model ${r.modelPath} (sha256 ${r.modelHash.slice(0, 12)})`;
      const parts = (...p: Array<string | undefined | false>) => p.filter(Boolean).join(' · ');
      switch (r.kind) {
        case 'image':
          return {
            at,
            kind: 'image',
            target: r.image ?? short(r.imageId) ?? '?',
            detail: parts(r.digest && `digest ${r.digest}`, r.imageId && `id ${short(r.imageId)}`, model),
          };
        case 'push':
          return { at, kind: 'push', target: r.reference ?? r.image ?? '?', detail: parts(r.digest && `digest ${r.digest}`, model) };
        case 'container':
          return {
            at,
            kind: 'container',
            target: parts(short(r.containerId), r.endpoint) || '?',
            detail: parts(r.image && `image ${r.image}`, model),
          };
        case 'kubernetes':
          return {
            at,
            kind: 'kubernetes',
            target: r.manifest ?? r.reference ?? '?',
            detail: parts((r.reference ?? r.image) && `image ${r.reference ?? r.image}`, model),
          };
        default:
          return { at, kind: String(r.kind), target: '?', detail: model };
      }
    });
}
