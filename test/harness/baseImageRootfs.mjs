// The rootfs of the test engine's base image (local/mlw-node-base:test): this machine's node binary, busybox
// and the shared libraries they and libonnxruntime.so need, as a tarball the engine imports (no image is
// pulled). The tarball is cached under .test-artifacts/docker/, keyed by the files that went into it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
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
import { which } from './which.mjs';

/** Shared libraries of an ELF file as ldd lists them (absolute paths, including the dynamic loader). */
function sharedLibraries(file) {
  let out = '';
  try {
    out = execFileSync('ldd', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // statically linked
  }
  const libs = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    // System libraries only: libonnxruntime.so next to the binding ships with the package, not the base image.
    if (m && !m[1].startsWith(dirname(file))) libs.push(m[1]);
  }
  return libs;
}

/** The node binary to put in the base image: process.execPath when it is an ELF file, else /usr/bin/node. */
function nodeBinary() {
  for (const p of [process.execPath, '/usr/bin/node', which('node')]) {
    if (!p || !existsSync(p)) continue;
    const real = realpathSync(p);
    const head = Buffer.alloc(4);
    const fd = openSync(real, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    if (head.toString('latin1') === '\x7fELF') return real;
  }
  throw new Error('no node ELF binary found for the test base image');
}

function onnxRuntimeLibraries() {
  const base = join(repoRoot, 'node_modules', 'onnxruntime-node', 'bin');
  if (!existsSync(base)) return [];
  const arch = process.arch;
  const out = [];
  for (const napi of readdirSync(base)) {
    const dir = join(base, napi, 'linux', arch);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (/\.so(\.|$)|\.node$/.test(f)) out.push(join(dir, f));
  }
  return out;
}

/** Builds (or reuses from the cache) the base image's rootfs tarball. Returns its path. */
export function baseRootfsTarball() {
  const node = nodeBinary();
  const busybox = realpathSync(which('busybox'));
  const libs = new Set([...sharedLibraries(node), ...sharedLibraries(busybox), ...onnxRuntimeLibraries().flatMap(sharedLibraries)]);
  const key = createHash('sha256');
  for (const f of [node, busybox, ...[...libs].sort()]) {
    const s = statSync(f);
    key.update(`${f}:${s.size}:${s.mtimeMs}\n`);
  }
  const cacheDir = join(repoRoot, '.test-artifacts', 'docker');
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, `mlw-node-base-${key.digest('hex').slice(0, 16)}.tar`);
  if (existsSync(tarball)) return tarball;

  const rootfs = mkdtempSync(join(tmpdir(), 'mlw-rootfs-'));
  try {
    for (const d of ['bin', 'usr/bin', 'usr/local/bin', 'etc', 'tmp', 'home', 'root', 'proc', 'sys', 'dev', 'app'])
      mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
    const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) if (a !== 'busybox' && !existsSync(join(rootfs, 'bin', a))) symlinkSync('busybox', join(rootfs, 'bin', a));
    copyFileSync(node, join(rootfs, 'usr', 'local', 'bin', 'node'));
    chmodSync(join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
    for (const lib of libs) {
      const to = join(rootfs, lib);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(realpathSync(lib), to);
      chmodSync(to, 0o755);
    }
    writeFileSync(
      join(rootfs, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    );
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
    const tmp = `${tarball}.${process.pid}.tmp`;
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tmp, '.']);
    renameSync(tmp, tarball);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return tarball;
}
