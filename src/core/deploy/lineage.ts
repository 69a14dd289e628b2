/**
 * Lineage of deployed models: parent model (for an optimised variant) -> model hash -> run id -> image
 * (id, digest) -> container / registry reference / Kubernetes manifest. Append-only JSON lines at
 * <workspace>/.mlw/lineage.jsonl; a crash loses at most a torn last line, which readers skip.
 */
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface LineageRecord {
  /** ISO time */
  at: string;
  kind: 'image' | 'container' | 'push' | 'kubernetes' | 'variant' | 'cloud';
  modelPath: string;
  modelHash: string;
  runId?: string;
  image?: string;
  imageId?: string;
  digest?: string;
  reference?: string;
  /** push: the tag pushed (registry/name:tag), next to the digest reference */
  target?: string;
  containerId?: string;
  endpoint?: string;
  manifest?: string;
  /** variant: the model it was optimised from (modelPath/modelHash are the variant's) and how */
  parentPath?: string;
  parentHash?: string;
  recipe?: string;
  /** variant: the report's one-line verdict and the variant's file size then */
  verdict?: string;
  fileSize?: number;
  /** cloud: a managed endpoint (endpoint = its name, reference = the pushed image, manifest = the saved folder) */
  platform?: 'sagemaker' | 'vertex' | 'azureml';
  region?: string;
  instanceType?: string;
  /** cloud: the platform's own status (InService, Failed…), or "saved" when the files were only saved */
  status?: string;
  url?: string;
}

const KINDS = new Set(['image', 'container', 'push', 'kubernetes', 'variant', 'cloud']);

export function lineageFile(workspace: string): string {
  return path.join(workspace, '.mlw', 'lineage.jsonl');
}

async function endsWithoutNewline(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

export async function appendLineage(workspace: string, record: LineageRecord): Promise<void> {
  const file = lineageFile(workspace);
  await mkdir(path.dirname(file), { recursive: true });
  const clean = Object.fromEntries(
    Object.entries({ ...record, at: record.at || new Date().toISOString() }).filter(([, v]) => v !== undefined),
  );
  // After a crash the file may end in a torn line: start on a fresh line so this record stays readable.
  const torn = await endsWithoutNewline(file);
  await appendFile(file, `${torn ? '\n' : ''}${JSON.stringify(clean)}\n`, 'utf8');
}

function isRecord(v: unknown): v is LineageRecord {
  const r = v as Partial<LineageRecord>;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof r.at === 'string' &&
    KINDS.has(r.kind as string) &&
    typeof r.modelPath === 'string' &&
    typeof r.modelHash === 'string'
  );
}

/** Every well-formed record, oldest first; a missing file is an empty lineage; torn or foreign lines are skipped. */
export async function readLineage(workspace: string): Promise<LineageRecord[]> {
  let text: string;
  try {
    text = await readFile(lineageFile(workspace), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: LineageRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isRecord(v)) out.push(v);
    } catch {
      /* a torn last line after a crash */
    }
  }
  return out;
}

/** The latest push record for an image reference (the pushed tag or the digest reference), to carry its model facts on. */
export function findPush(records: readonly LineageRecord[], reference: string): LineageRecord | undefined {
  return [...records].reverse().find((r) => r.kind === 'push' && (r.target === reference || r.reference === reference));
}

/** The variant record of a model hash (the latest), and its parent's, and so on up to the original. */
export function variantChain(records: readonly LineageRecord[], modelHash: string | undefined): LineageRecord[] {
  const chain: LineageRecord[] = [];
  const seen = new Set<string>();
  for (let hash = modelHash; hash && !seen.has(hash) && chain.length < 100;) {
    seen.add(hash);
    const r = [...records].reverse().find((x) => x.kind === 'variant' && x.modelHash === hash);
    if (!r) break;
    chain.push(r);
    hash = r.parentHash;
  }
  return chain;
}

/** What runForModelHash needs of a run (a Run of core/runs fits). */
export interface RunWithArtifacts {
  id: string;
  name?: string;
  startTime?: number | null;
  createdTime?: number;
  artifacts: readonly { path: string; sha256: string }[];
}

/**
 * The run that logged a model, found by its sha256 among the runs' artifacts: a model copied out of the run
 * folder (or kept only as a snapshot) is still the run's model. The latest such run when several logged it.
 */
export function runForModelHash<R extends RunWithArtifacts>(runs: readonly R[], modelHash: string | undefined): R | undefined {
  if (!modelHash) return undefined;
  const hash = modelHash.toLowerCase();
  let best: R | undefined;
  const when = (r: R) => r.startTime ?? r.createdTime ?? 0;
  for (const r of runs) {
    if (!r.artifacts.some((a) => a.sha256.toLowerCase() === hash)) continue;
    if (!best || when(r) > when(best)) best = r;
  }
  return best;
}
