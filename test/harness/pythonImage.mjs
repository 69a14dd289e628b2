// A Python image for the test Docker engine, built from this machine's Debian python3 (no image is pulled):
// busybox (sh, tail, tar…), /usr/bin/python3.11 and its standard library (without tests, tkinter, idlelib, lib2to3,
// the config/ folder and bytecode caches), and the shared libraries the interpreter and its lib-dynload modules
// need. No pip, no numpy. The rootfs tarball is cached under .test-artifacts/docker/, keyed by the files in it.
//
//   const image = await importPythonImage(engine.socketPath);   // 'local/mlw-python:test'
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from './codeServer.mjs';
import { engineRequest } from './dockerEngine.mjs';
import { which } from './which.mjs';

export const PYTHON_IMAGE = 'local/mlw-python:test';
/** The interpreter inside the image. */
export const IMAGE_PYTHON = '/usr/bin/python3';

const SKIP = new Set([
  'test',
  'idlelib',
  'tkinter',
  'turtledemo',
  'lib2to3',
  'ensurepip',
  'pydoc_data',
  'dist-packages',
  'site-packages',
  '__pycache__',
]);

/** What is missing to build the image, or undefined. */
export function pythonImageMissing() {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return 'missing /usr/bin/python3: apt-get install -y python3';
  if (!which('busybox')) return 'missing busybox: apt-get install -y busybox-static';
  return undefined;
}

function sharedLibraries(file) {
  let out = '';
  try {
    out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

/** Files of the standard library to copy (relative to it), and its lib-dynload extension modules. */
function stdlibFiles(lib) {
  const files = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(lib, rel), { withFileTypes: true })) {
      if (SKIP.has(e.name) || e.name.startsWith('config-')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() || e.isSymbolicLink()) files.push(r);
    }
  };
  walk('');
  return files;
}

/** Builds (or reuses from the cache) the rootfs tarball. Returns its path. */
export function pythonRootfsTarball() {
  const python = realpathSync('/usr/bin/python3');
  const version = /python(\d+\.\d+)$/.exec(python)?.[1];
  if (!version) throw new Error(`cannot tell the version of ${python}`);
  const lib = `/usr/lib/python${version}`;
  const files = stdlibFiles(lib);
  const dynload = files.filter((f) => f.startsWith('lib-dynload/') && f.endsWith('.so')).map((f) => join(lib, f));
  const busybox = realpathSync(which('busybox'));
  const libs = new Set([python, ...dynload].flatMap(sharedLibraries));
  // glibc dlopens libgcc_s when a thread exits (pthread_exit unwinds): without it a threaded script aborts at exit.
  const libc = [...libs].find((l) => /\/libc\.so\.6$/.test(l));
  if (libc && existsSync(join(dirname(libc), 'libgcc_s.so.1'))) libs.add(join(dirname(libc), 'libgcc_s.so.1'));
  const key = createHash('sha256');
  for (const f of [python, busybox, ...[...libs].sort()]) {
    const s = statSync(f);
    key.update(`${f}:${s.size}:${s.mtimeMs}\n`);
  }
  key.update(`${files.length}:${statSync(join(lib, 'os.py')).mtimeMs}`);
  const cacheDir = join(repoRoot, '.test-artifacts', 'docker');
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, `mlw-python-${key.digest('hex').slice(0, 16)}.tar`);
  if (existsSync(tarball)) return tarball;

  const rootfs = mkdtempSync(join(tmpdir(), 'mlw-pyrootfs-'));
  try {
    for (const d of ['bin', 'usr/bin', 'usr/local/bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev'])
      mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
    const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));
    copyFileSync(python, join(rootfs, 'usr', 'bin', `python${version}`));
    chmodSync(join(rootfs, 'usr', 'bin', `python${version}`), 0o755);
    symlinkSync(`python${version}`, join(rootfs, 'usr', 'bin', 'python3'));
    for (const f of files) {
      const from = join(lib, f);
      const to = join(rootfs, lib, f);
      mkdirSync(dirname(to), { recursive: true });
      if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
      else copyFileSync(from, to);
    }
    for (const l of libs) {
      const to = join(rootfs, l);
      if (existsSync(to)) continue;
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(realpathSync(l), to);
      chmodSync(to, 0o755);
    }
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tmp = `${tarball}.${process.pid}.tmp`;
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tmp, '.']);
    renameSync(tmp, tarball);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return tarball;
}

/** Imports the image into the engine behind `socketPath` unless it is there. Resolves with its name. */
export async function importPythonImage(socketPath) {
  const have = await engineRequest(socketPath, 'GET', `/images/${PYTHON_IMAGE}/json`);
  if (have.status === 200) return PYTHON_IMAGE;
  const [repo, tag] = PYTHON_IMAGE.split(':');
  const qs = new URLSearchParams({ fromSrc: '-', repo, tag });
  for (const c of ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'ENV PYTHONDONTWRITEBYTECODE=1', 'CMD ["python3"]']) qs.append('changes', c);
  const r = await engineRequest(socketPath, 'POST', `/images/create?${qs}`, {
    body: createReadStream(pythonRootfsTarball()),
    headers: { 'Content-Type': 'application/x-tar' },
    timeoutMs: 180_000,
  });
  if (r.status !== 200 || /"error"/.test(r.body)) throw new Error(`importing ${PYTHON_IMAGE} failed: ${r.status} ${r.body.slice(0, 500)}`);
  return PYTHON_IMAGE;
}
