import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { LOGGED_FILE, type ParamValue, type Params } from './runTypes';

/** What a script declared through the Python helper (logged.jsonl). Later lines win. */
export interface LoggedByScript {
  params: Params;
  tags: Record<string, string>;
  /** Artifact paths as the script gave them (absolute), and where a copy sits inside the run folder. */
  artifacts: Array<{ path: string; stored?: string }>;
  skippedLines: number;
  /** Why the script failed, in its own words (`{"type":"error","message":..}`, e.g. the notebook driver's failed cell). Last wins. */
  error?: string;
}

function toParamValue(v: unknown): ParamValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

export async function readLogged(runDir: string): Promise<LoggedByScript> {
  const out: LoggedByScript = { params: {}, tags: {}, artifacts: [], skippedLines: 0 };
  let text: string;
  try {
    text = await fsp.readFile(path.join(runDir, LOGGED_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line.replace(/:\s*(-?Infinity|NaN)\s*([,}])/g, ':"$1"$2'));
    } catch {
      out.skippedLines++;
      continue;
    }
    if (o.type === 'param' && typeof o.k === 'string') out.params[o.k] = toParamValue(o.v);
    else if (o.type === 'tag' && typeof o.k === 'string') out.tags[o.k] = String(o.v);
    else if (o.type === 'artifact' && typeof o.path === 'string') {
      const key = `${o.path}\0${o.stored ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.artifacts.push(typeof o.stored === 'string' ? { path: o.path, stored: o.stored } : { path: o.path });
    } else if (o.type === 'error' && typeof o.message === 'string') out.error = o.message;
    else out.skippedLines++;
  }
  return out;
}
