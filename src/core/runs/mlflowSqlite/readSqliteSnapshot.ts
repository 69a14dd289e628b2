import * as path from 'node:path';
import { existsSync, promises as fsp } from 'node:fs';
import type { Database, SqlJsStatic } from 'sql.js';
import { formatBytes } from '../../format/formatBytes';
import { applyWal } from './applyWal';

/**
 * Read-only access to an SQLite file through sql.js (SQLite compiled to WebAssembly: no native
 * module, nothing downloaded at install). sql.js works on an in-memory image, so the file is read
 * whole (with the committed frames of its `-wal` log folded in) and never written: the image is ours.
 * The image stays open for a short while and is reused as long as the file and its log are unchanged,
 * so a listing followed by a chart read parses the file once.
 */

/** readFile's ceiling; sql.js holds the whole image in memory. */
const MAX_BYTES = 2 ** 31 - 1;
const IDLE_CLOSE_MS = 30_000;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

let sqlJs: Promise<SqlJsStatic> | undefined;

/** sql-wasm.wasm: beside the bundles in dist/ (the VSIX), else in node_modules (tests, a source checkout). */
function wasmFile(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (existsSync(beside)) return beside;
  try {
    return require.resolve('sql.js/dist/sql-wasm.wasm');
  } catch {
    throw new Error(`sql-wasm.wasm is missing beside ${__dirname}: reinstall ML Workbench (or run npm run build in a checkout)`);
  }
}

/** Loads sql.js on first use, never at activation. */
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const { default: initSqlJs } = await import('sql.js');
    const wasm = await fsp.readFile(wasmFile());
    return initSqlJs({ wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer });
  })().catch((e: Error) => {
    sqlJs = undefined; // a later call tries again
    throw e;
  });
  return sqlJs;
}

interface OpenImage {
  key: string;
  db: Database;
  timer: NodeJS.Timeout;
}

const open = new Map<string, OpenImage>();

async function stamp(file: string): Promise<string | undefined> {
  const st = await fsp.stat(file).catch(() => undefined);
  return st ? `${st.size}:${st.mtimeMs}:${st.ino}` : undefined;
}

function close(file: string): void {
  const o = open.get(file);
  if (!o) return;
  open.delete(file);
  clearTimeout(o.timer);
  o.db.close();
}

/** The file's bytes as a reader sees them now: the main file plus the log's commits, rereading while a writer changes them. */
async function readImage(file: string): Promise<{ key: string; bytes: Buffer }> {
  for (let attempt = 0; ; attempt++) {
    const before = `${await stamp(file)}|${await stamp(`${file}-wal`)}`;
    const size = (await fsp.stat(file)).size + ((await fsp.stat(`${file}-wal`).catch(() => undefined))?.size ?? 0);
    if (size > MAX_BYTES)
      throw new Error(
        `${file} is ${formatBytes(size)}, too large to read in memory (limit 2 GiB): serve it with ` +
          `"mlflow server --backend-store-uri sqlite:///${path.basename(file)}" and connect to that server`,
      );
    const [main, wal] = await Promise.all([fsp.readFile(file), fsp.readFile(`${file}-wal`).catch(() => undefined)]);
    const after = `${await stamp(file)}|${await stamp(`${file}-wal`)}`;
    if (before !== after && attempt < 5) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (main.length < 100 || !main.subarray(0, 16).equals(SQLITE_MAGIC)) throw new Error(`${file} is not an SQLite database`);
    const { db: bytes } = applyWal(main, wal);
    // Write/read version 2 means WAL mode; the in-memory image has no log (it is folded in): open it as a plain file.
    if (bytes[18] === 2) bytes[18] = 1;
    if (bytes[19] === 2) bytes[19] = 1;
    return { key: after, bytes };
  }
}

/**
 * Runs `read` on a read-only image of the SQLite file. `read` must use the database synchronously
 * (the image is shared and closed when idle). Throws when the file is missing, not SQLite, or too large.
 */
export async function readSqliteSnapshot<T>(file: string, read: (db: Database) => T): Promise<T> {
  const SQL = await loadSqlJs();
  const key = `${await stamp(file)}|${await stamp(`${file}-wal`)}`;
  let o = open.get(file);
  if (!o || o.key !== key) {
    const image = await readImage(file);
    close(file);
    const db = new SQL.Database(image.bytes);
    o = { key: image.key, db, timer: setTimeout(() => close(file), IDLE_CLOSE_MS) };
    o.timer.unref();
    open.set(file, o);
  }
  o.timer.refresh();
  return read(o.db);
}

/** Closes every open image (tests, and callers that know they are done). */
export function closeSqliteSnapshots(): void {
  for (const file of [...open.keys()]) close(file);
}

/** Every row of a query, as arrays of column values in select order. */
export function queryRows(
  db: Database,
  sql: string,
  params?: Array<string | number | null>,
): Array<Array<string | number | Uint8Array | null>> {
  const st = db.prepare(sql);
  try {
    if (params) st.bind(params);
    const out: Array<Array<string | number | Uint8Array | null>> = [];
    while (st.step()) out.push(st.get());
    return out;
  } finally {
    st.free();
  }
}
