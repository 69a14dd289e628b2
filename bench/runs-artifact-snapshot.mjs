// Snapshotting a 1 GB artifact into the content-addressed store (.mlw/blobs/), on the same filesystem.
// Goal: <= 1 s and no second gigabyte. Measures, per filesystem and method, the time to take the bytes
// (clone, hard link or copy), the time of the whole snapshot (take + sha256 of the kept bytes, the hash a run
// always recorded), and the free space the filesystem lost (statfs) and the blob's allocated blocks (st_blocks).
// Methods: a workspace file (the script may rewrite it in place: reflink, else copy) and a file inside the run
// folder (only ever replaced: reflink, else hard link).
//
// Run by hand: npx tsc -p tsconfig.test.json && node bench/runs-artifact-snapshot.mjs [dir ...]
// Each dir is a folder on a filesystem to measure (default: the OS temp dir). To see a reflink-capable one
// (ext4 and overlayfs cannot clone), e.g. as root with xfsprogs:
//   truncate -s 4G /tmp/xfs.img && mkfs.xfs -m reflink=1 /tmp/xfs.img && mkdir -p /tmp/xfs && mount -o loop /tmp/xfs.img /tmp/xfs
//   node bench/runs-artifact-snapshot.mjs /tmp /tmp/xfs
import { createRequire } from 'node:module';
import { closeSync, constants, copyFileSync, linkSync, mkdtempSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { snapshotToBlob } = require(path.join(repo, 'out/src/core/runs/snapshot/snapshotToBlob.js'));
const { sha256File } = require(path.join(repo, 'out/src/core/sha256File.js'));

const SIZE = 1024 ** 3;
const GB = 1024 ** 3;
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : [os.tmpdir()];

function writeArtifact(file) {
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  const fd = openSync(file, 'w');
  for (let off = 0, i = 0; off < SIZE; off += chunk.length, i++) {
    chunk.fill(i & 0xff);
    chunk.writeUInt32LE(i, 0);
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

const free = (dir) => {
  execFileSync('sync');
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};
const fsType = (dir) => execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).trim().split('\n').pop();

async function measure(root, allowHardLink) {
  const dir = mkdtempSync(path.join(root, 'mlw-snapshot-bench-'));
  try {
    const src = path.join(dir, allowHardLink ? 'run-artifacts-model.onnx' : 'model.onnx');
    writeArtifact(src);
    const before = free(root); // also flushes the new file, as a finished run's file usually is
    const t0 = performance.now();
    const snap = await snapshotToBlob(src, path.join(dir, 'blobs'), { allowHardLink });
    const total = performance.now() - t0;
    const lost = before - free(root);
    const t1 = performance.now();
    await sha256File(src);
    const hashOnly = performance.now() - t1;
    const blocks = statSync(snap.file).blocks * 512;
    return { method: snap.method, total, hashOnly, lost, blocks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bare filesystem operations, timed alone: what each method costs before the sha256. */
function primitives(root) {
  const dir = mkdtempSync(path.join(root, 'mlw-snapshot-bench-'));
  try {
    const src = path.join(dir, 'model.onnx');
    writeArtifact(src);
    free(root); // flushed, as a finished run's file usually is
    const out = {};
    for (const [name, op] of [
      ['reflink', (d) => copyFileSync(src, d, constants.COPYFILE_FICLONE_FORCE)],
      ['hardlink', (d) => linkSync(src, d)],
      ['copy', (d) => copyFileSync(src, d)],
    ]) {
      const dest = path.join(dir, name);
      const t = performance.now();
      try {
        op(dest);
        out[name] = `${((performance.now() - t) / 1000).toFixed(3)} s`;
      } catch (e) {
        out[name] = `not possible (${e.code})`;
      }
      rmSync(dest, { force: true });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const gb = (b) => `${(b / GB).toFixed(3)} GB`;
for (const root of dirs) {
  console.log(`\n${root} (${fsType(root)}), 1 GiB artifact:`);
  for (let round = 1; round <= 2; round++) console.log(`  round ${round} bare operations: ${JSON.stringify(primitives(root))}`);
  for (let round = 1; round <= 2; round++) {
    for (const allowHardLink of [false, true]) {
      const r = await measure(root, allowHardLink);
      const kind = allowHardLink ? 'run-folder file ' : 'workspace file  ';
      console.log(
        `  round ${round} ${kind} method ${r.method.padEnd(8)} whole snapshot (take + sha256) ${fmt(r.total)}, ` +
          `sha256 alone (what recording an artifact always cost) ${fmt(r.hashOnly)}: snapshot overhead ${fmt(Math.max(0, r.total - r.hashOnly))}; ` +
          `free space used ${gb(r.lost)}, blob st_blocks ${gb(r.blocks)}; ${r.total - r.hashOnly <= 1000 && r.lost < 0.1 * GB ? 'meets' : 'MISSES'} the goal`,
      );
    }
  }
}
console.log('\n(st_blocks of a clone or hard link count the shared blocks again; free space is what the filesystem really lost.)');
