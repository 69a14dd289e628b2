import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { METRICS_FILE } from '../../runs/runTypes';
import { DEFAULT_ARTIFACT_EXTENSIONS } from '../../runs/scanArtifacts';
import type { KubectlTarget } from './KubectlTarget';
import { OUTPUTS_DIR } from '../remoteRunTypes';
import { CONTAINER, POD_ROOT } from './renderRunJob';

/**
 * Copies a finished run's folder out of its container, the equivalent of `kubectl cp` without needing tar in the
 * image: `kubectl exec POD -c train -- python mlw_pod.py pack EXT…` writes a tar of /mlw/run (run/…) and of the model
 * files the script wrote under code/ (outputs/…); run/… lands in the local run folder, outputs/… in its outputs/. The
 * pod's metrics.jsonl replaces the local one only when longer (the log stream lost lines to log rotation). Then
 * `… mlw_pod.py synced` lets the container exit. Throws when kubectl fails.
 */
export async function copyPodRunBack(kubectl: KubectlTarget, pod: string, python: string, localDir: string): Promise<number> {
  const tar = await import('tar-stream');
  const helper = `${POD_ROOT}/helper/mlw_pod.py`;
  const child = kubectl.spawn(['exec', pod, '-c', CONTAINER, '--', python, helper, 'pack', ...DEFAULT_ARTIFACT_EXTENSIONS]);
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  child.once('error', (e) => (err += e.message));
  const extract = tar.extract();
  let files = 0;
  const root = path.resolve(localDir);
  extract.on('entry', (header, stream, next) => {
    const name = header.name;
    const [top, ...rest] = name.split('/');
    const rel = rest.join('/');
    const dest =
      top === 'run'
        ? path.resolve(root, rel === METRICS_FILE ? `${METRICS_FILE}.pod` : rel)
        : top === OUTPUTS_DIR
          ? path.resolve(root, OUTPUTS_DIR, rel)
          : '';
    if (header.type !== 'file' || !rel || !dest.startsWith(root + path.sep)) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    files++;
    fsp
      .mkdir(path.dirname(dest), { recursive: true })
      .then(() => pipeline(stream, createWriteStream(dest)))
      .then(() => next(), next);
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.once('finish', resolve);
    extract.once('error', reject);
  });
  child.stdout?.pipe(extract);
  const [code] = await Promise.all([exited, done]);
  if (code !== 0)
    throw new Error(`kubectl exec ${pod} (copying the run folder back) failed: ${err.trim().split('\n').slice(-1)[0] || `exit ${code}`}`);
  const podMetrics = path.join(root, `${METRICS_FILE}.pod`);
  const [a, b] = await Promise.all([
    fsp.stat(podMetrics).catch(() => undefined),
    fsp.stat(path.join(root, METRICS_FILE)).catch(() => undefined),
  ]);
  if (a && a.size > (b?.size ?? 0)) await fsp.rename(podMetrics, path.join(root, METRICS_FILE));
  else await fsp.rm(podMetrics, { force: true });
  const r = await kubectl.run(['exec', pod, '-c', CONTAINER, '--', python, helper, 'synced'], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl exec ${pod} (ending the container) failed: ${r.stderr.trim().split('\n').slice(-1)[0]}`);
  return files;
}
