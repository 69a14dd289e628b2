/**
 * Writes a Jupyter notebook in nbformat 4.5 (the published notebook format: cells with ids, `source` as
 * lines, code cells with `outputs` and `execution_count`), and reads one back. Not a test file itself.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pythonHas } from '../../support/requires';

export interface CellSpec {
  source: string;
  type?: 'code' | 'markdown';
  tags?: string[];
}

export interface NotebookCell {
  id?: string;
  cell_type: 'code' | 'markdown' | 'raw';
  metadata: { tags?: string[]; [k: string]: unknown };
  source: string | string[];
  outputs?: Array<{ output_type: string; name?: string; text?: string | string[]; ename?: string; evalue?: string }>;
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

const lines = (text: string): string[] => text.split(/(?<=\n)/);

export function writeNotebook(file: string, cells: CellSpec[]): void {
  const nb: Notebook = {
    cells: cells.map((c, i) => {
      const metadata = c.tags ? { tags: c.tags } : {};
      return c.type === 'markdown'
        ? { id: `cell-${i}`, cell_type: 'markdown', metadata, source: lines(c.source) }
        : { id: `cell-${i}`, cell_type: 'code', metadata, source: lines(c.source), outputs: [], execution_count: null };
    }),
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(readFileSync(file, 'utf8')) as Notebook;
}

export const text = (s: string | string[] | undefined): string => (Array.isArray(s) ? s.join('') : (s ?? ''));

/** What a cell printed on stdout, joined. */
export const stdoutOf = (cell: NotebookCell): string =>
  (cell.outputs ?? [])
    .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
    .map((o) => text(o.text))
    .join('');

/** Whether /usr/bin/python3 can run notebooks (Debian python3-nbclient, python3-ipykernel, python3-nbformat). */
export const hasNotebookStack = (): boolean => pythonHas('nbclient, ipykernel, nbformat, jupyter_client');

export const NOTEBOOK_PACKAGES = 'apt-get install python3-nbclient python3-ipykernel python3-nbformat';

/** Live processes whose environment holds `KEY=value` (readable in /proc/<pid>/environ for root or the same user). Zombies are gone. */
export function processesWithEnv(key: string, value: string): number[] {
  const want = `${key}=${value}`;
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const env = readFileSync(`/proc/${p}/environ`, 'latin1').split('\0');
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (env.includes(want) && state !== 'Z' && state !== 'X') out.push(Number(p));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}
