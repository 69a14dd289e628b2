import * as path from 'node:path';
import { createReadStream, promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ARTIFACTS_DIR } from '../runs/runTypes';
import { resolveInside } from '../runs/safePath';
import { doesNotExist, invalidParameter } from './mlflowErrors';
import { optionalString, runIdOf, type MlflowInput } from './mlflowInput';
import type { MlflowSession } from './MlflowSession';
import { runJson } from './mlflowRunJson';
import { TrackedRun } from './TrackedRun';

/**
 * The proxied artifact API of `mlflow server` (`/api/2.0/mlflow-artifacts/artifacts/...`), which
 * MLflow's client uses for a run whose artifact_uri is `mlflow-artifacts:/<experiment>/<run>/artifacts`,
 * over the run's `artifacts/` folder. Also `/api/2.0/mlflow/artifacts/list` (by run id).
 */

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** Path segments of an artifact path, refusing anything that could leave the run's folder (`..`, absolute, `\`). */
export function artifactSegments(p: string): string[] {
  const parts = p.split('/').filter((x) => x !== '');
  for (const part of parts) {
    if (part === '.' || part === '..' || part.includes('\\') || part.includes('\0') || /^[A-Za-z]:$/.test(part)) {
      throw invalidParameter(`Invalid path: ${p}`);
    }
  }
  return parts;
}

/** `<experiment>/<run>/artifacts/<rest>` → the run id and the path inside its artifacts. */
function locate(p: string): { runId: string; rel: string[] } {
  const parts = artifactSegments(p);
  if (parts.length < 3 || parts[2] !== ARTIFACTS_DIR)
    throw doesNotExist(`No artifact root at '${p}': paths look like <experiment>/<run>/artifacts/...`);
  return { runId: parts[1], rel: parts.slice(3) };
}

async function listDir(s: MlflowSession, runId: string, rel: string[]): Promise<FileInfo[]> {
  const dir = await resolveInside(s.store.runDir(runId), path.posix.join(ARTIFACTS_DIR, ...rel));
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: FileInfo[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.mlw-upload-')) continue; // an upload in progress
    if (e.isDirectory()) out.push({ path: e.name, is_dir: true });
    else if (e.isFile()) out.push({ path: e.name, is_dir: false, file_size: (await fsp.stat(path.join(dir, e.name))).size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export async function uploadArtifact(s: MlflowSession, p: string, req: IncomingMessage): Promise<object> {
  const { runId, rel } = locate(p);
  if (!rel.length) throw invalidParameter(`Invalid path: ${p} names no file`);
  const run = await s.writable(runId);
  const stored = await s.store.writeArtifact(run.id, rel.join('/'), req);
  await run.recordArtifact(rel.join('/'), stored);
  return {};
}

export async function listArtifacts(s: MlflowSession, input: MlflowInput): Promise<object> {
  const p = optionalString(input, 'path');
  if (!p) return {};
  const { runId, rel } = locate(p);
  await s.readable(runId);
  return { files: await listDir(s, runId, rel) };
}

export async function downloadArtifact(s: MlflowSession, p: string, res: ServerResponse): Promise<void> {
  const { runId, rel } = locate(p);
  const run = await s.readable(runId);
  if (run instanceof TrackedRun) await run.flush();
  const file = await resolveInside(s.store.runDir(runId), path.posix.join(ARTIFACTS_DIR, ...rel));
  const st = await fsp.stat(file).catch(() => undefined);
  if (!rel.length || !st?.isFile()) throw doesNotExist(`Artifact '${rel.join('/')}' of run ${runId} does not exist`);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': st.size });
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('finish', resolve);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

/** `GET /api/2.0/mlflow/artifacts/list?run_id=&path=`: paths relative to the run's artifact root. */
export async function listRunArtifacts(s: MlflowSession, input: MlflowInput): Promise<object> {
  const runId = runIdOf(input);
  const run = await s.readable(runId);
  const sub = artifactSegments(optionalString(input, 'path') ?? '');
  const files = (await listDir(s, runId, sub)).map((f) => ({ ...f, path: [...sub, f.path].join('/') }));
  return { root_uri: runJson(run).info.artifact_uri, files };
}
