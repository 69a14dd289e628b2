import { spawn } from 'node:child_process';
import { createReadStream, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

export interface BundleInput {
  /** The repository's top level, or undefined for a folder outside git (then `folder` is shipped as it is). */
  gitRoot?: string;
  /** The recorded commit. */
  commit?: string | null;
  /** The recorded dirty patch (`git diff HEAD --binary`), applied on top of the commit. */
  patch?: string;
  /** Outside git: the folder to ship (hidden folders, node_modules and .mlw left out). */
  folder?: string;
  /** mlw_run.py's folder: its .py files go to helper/. */
  helperDir?: string;
  /** More files: name in the bundle -> content. */
  files: Record<string, { content: string; mode?: number }>;
}

const MTIME = new Date(Date.UTC(2020, 0, 1));

function run(program: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${program} ${args[0]} failed: ${err.trim() || `exit ${code}`}`)),
    );
    child.stdin.on('error', () => undefined); // it may exit without reading: its exit status and stderr tell why
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * The tree to ship: the commit itself, or, with a patch, a tree object made from the commit plus the patch in a
 * temporary index (the user's index and working tree are not touched).
 */
async function treeToShip(root: string, commit: string, patch: string | undefined): Promise<string> {
  if (!patch) return commit;
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'mlw-index-'));
  try {
    const env = { ...process.env, GIT_INDEX_FILE: path.join(tmp, 'index') };
    await run('git', ['read-tree', commit], { cwd: root, env });
    await run('git', ['apply', '--cached', '--binary', '--whitespace=nowarn', '-'], { cwd: root, env, input: patch });
    return (await run('git', ['write-tree'], { cwd: root, env })).trim();
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

async function listFolder(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await fsp.readdir(path.join(root, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === '__pycache__') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push(r);
    }
  };
  await walk('');
  return out;
}

/**
 * One uncompressed tar holding everything a run needs on its host: code/ (exactly the recorded commit plus the dirty
 * patch; outside git, the folder), helper/, the extra files (job.sh), and an empty run/.
 */
export async function packRunBundle(input: BundleInput): Promise<Readable> {
  const tar = await import('tar-stream');
  const pack = tar.pack();
  const add = (header: Record<string, unknown>, content: string | Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ mtime: MTIME, uid: 0, gid: 0, ...header } as never, content, (e) => (e ? reject(e) : resolve())),
    );
  const addFile = (name: string, file: string, size: number, mode: number) =>
    new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name, size, mode, mtime: MTIME, uid: 0, gid: 0 }, (e) => (e ? reject(e) : resolve()));
      sink.on('error', reject);
      const src = createReadStream(file);
      src.on('error', (e) => {
        sink.destroy(e);
        reject(e);
      });
      src.pipe(sink);
    });
  const fill = async () => {
    await add({ name: 'code/', type: 'directory', mode: 0o755 }, '');
    await add({ name: 'run/', type: 'directory', mode: 0o755 }, '');
    if (input.gitRoot && input.commit) {
      const tree = await treeToShip(input.gitRoot, input.commit, input.patch);
      const git = spawn('git', ['archive', '--format=tar', tree], { cwd: input.gitRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      git.stderr.on('data', (d) => (err += d));
      const exited = new Promise<number | null>((resolve) => git.once('close', resolve));
      const extract = tar.extract();
      await new Promise<void>((resolve, reject) => {
        extract.on('entry', (header, stream, next) => {
          if ((header.type as string) === 'pax-global-header') {
            stream.resume();
            stream.on('end', next);
            return;
          }
          const sink = pack.entry({ ...header, name: `code/${header.name}` }, (e) => (e ? reject(e) : next()));
          stream.pipe(sink);
        });
        extract.once('finish', resolve);
        extract.once('error', reject);
        git.stdout.pipe(extract);
      });
      const code = await exited;
      if (code !== 0) throw new Error(`git archive failed: ${err.trim() || `exit ${code}`}`);
    } else if (input.folder) {
      for (const rel of await listFolder(input.folder)) {
        const file = path.join(input.folder, rel);
        const st = await fsp.stat(file);
        await addFile(`code/${rel}`, file, st.size, st.mode & 0o777);
      }
    }
    if (input.helperDir) {
      await add({ name: 'helper/', type: 'directory', mode: 0o755 }, '');
      for (const name of await fsp.readdir(input.helperDir)) {
        if (!name.endsWith('.py')) continue;
        const file = path.join(input.helperDir, name);
        await addFile(`helper/${name}`, file, (await fsp.stat(file)).size, 0o644);
      }
    }
    for (const [name, f] of Object.entries(input.files)) await add({ name, mode: f.mode ?? 0o644 }, f.content);
    pack.finalize();
  };
  fill().catch((e: Error) => pack.destroy(e));
  return pack as unknown as Readable;
}
