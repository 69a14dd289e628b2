import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS_DIR } from '../runs/runTypes';
import type { RunStore } from '../runs/RunStore';
import { resolveInside } from '../runs/safePath';
import { artifactSegments } from './artifactHandlers';
import { invalidParameter } from './mlflowErrors';

/** The model file a model-versions/create `source` names on this server, and the run it is an artifact of. */
export interface ResolvedSource {
  file: string;
  /** The run holding it (mlflow-artifacts:/ and runs:/ sources). */
  runId?: string;
  /** Its path under the run's artifact root. */
  artifact?: string;
  /** The file lies inside the workspace (a run's artifact, or a path under it). */
  inWorkspace: boolean;
}

const MODEL_FILE = /\.(onnx|ort)$/i;

/** A folder source (MLflow logs models as folders): the one .onnx or .ort file in it. */
async function modelFileIn(dir: string, source: string): Promise<string> {
  const names = (await fsp.readdir(dir, { recursive: true })).map(String).filter((n) => MODEL_FILE.test(n));
  if (names.length === 1) return path.join(dir, names[0]);
  throw invalidParameter(
    `Invalid model version source '${source}': the folder holds ${names.length ? `${names.length} model files (${names.slice(0, 4).join(', ')})` : 'no .onnx or .ort file'}; name one file.`,
  );
}

async function existing(file: string, source: string): Promise<string> {
  const st = await fsp.stat(file).catch(() => undefined);
  if (!st) throw invalidParameter(`Invalid model version source '${source}': nothing there on this server.`);
  return st.isDirectory() ? modelFileIn(file, source) : file;
}

function inside(workspace: string, file: string): boolean {
  const rel = path.relative(path.resolve(workspace), file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * What this server can register: an artifact of one of its runs (`mlflow-artifacts:/<experiment>/<run>/artifacts/<path>`
 * as the run's artifact_uri gives it, or `runs:/<run>/<path>`), or a file of this machine (`file://` or an absolute
 * path). A folder stands for the one model file in it.
 */
export async function resolveSource(store: RunStore, source: string): Promise<ResolvedSource> {
  let runId: string | undefined;
  let rel: string[] = [];
  const artifacts = /^mlflow-artifacts:\/{1,3}(.*)$/i.exec(source);
  const runs = /^runs:\/{1,3}(.*)$/i.exec(source);
  if (artifacts) {
    const parts = artifactSegments(decodeURIComponent(artifacts[1]));
    if (parts.length < 4 || parts[2] !== ARTIFACTS_DIR)
      throw invalidParameter(`Invalid model version source '${source}': expected mlflow-artifacts:/<experiment>/<run>/artifacts/<path>.`);
    runId = parts[1];
    rel = parts.slice(3);
  } else if (runs) {
    const parts = artifactSegments(decodeURIComponent(runs[1]));
    if (parts.length < 2) throw invalidParameter(`Invalid model version source '${source}': expected runs:/<run_id>/<path>.`);
    runId = parts[0];
    rel = parts.slice(1);
  }
  if (runId !== undefined) {
    const run = await store.readRun(runId).catch(() => undefined);
    if (!run) throw invalidParameter(`Invalid model version source '${source}': this server has no run ${runId}.`);
    const file = await existing(await resolveInside(store.runDir(runId), path.posix.join(ARTIFACTS_DIR, ...rel)), source);
    const artifact = path
      .relative(path.join(store.runDir(runId), ARTIFACTS_DIR), file)
      .split(path.sep)
      .join('/');
    return { file, runId, artifact, inWorkspace: true };
  }
  let file: string;
  if (/^file:/i.test(source)) {
    try {
      file = fileURLToPath(source);
    } catch (e) {
      throw invalidParameter(`Invalid model version source '${source}': ${(e as Error).message}`);
    }
  } else if (path.isAbsolute(source)) file = source;
  else
    throw invalidParameter(
      `Invalid model version source '${source}': this server registers files it holds: mlflow-artifacts:/ or runs:/ artifacts of its runs, or file:// paths of its machine.`,
    );
  const found = await existing(path.resolve(file), source);
  return { file: found, inWorkspace: inside(store.workspace, found) };
}
