/**
 * The build context of a model image as a tar stream, assembled from an explicit list of files (never a folder
 * sweep of the workspace): Dockerfile, .dockerignore, server.js, onnxruntime-node with only one platform's
 * binaries, onnxruntime-common, and the model files. Anything that looks like a secret or VCS data is refused.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { ServerAssets } from './serverAssets';

export interface ContextEntry {
  /** Path inside the context, with forward slashes. */
  name: string;
  /** A file on disk, or in-memory content. */
  file?: string;
  content?: string;
  size: number;
  mode?: number;
}

const SECRET_SEGMENT =
  /^(\.git|\.hg|\.svn|\.env(\..*)?|\.ssh|\.aws|\.docker|\.mlw|\.npmrc|\.netrc|\.pypirc|id_rsa.*|id_ed25519.*|id_ecdsa.*|.*\.pem|.*\.key|.*\.p12|.*\.pfx)$/i;

/** True when a context path has a segment that is a secret or version-control data. */
export function isSecretPath(name: string): boolean {
  return name.split('/').some((seg) => SECRET_SEGMENT.test(seg));
}

async function walk(dir: string, base: string, keep: (rel: string) => boolean, out: ContextEntry[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    const rel = path.posix.join(base, e.name);
    if (e.isDirectory()) await walk(abs, rel, keep, out);
    else if (e.isFile() && keep(rel)) {
      const st = await stat(abs);
      out.push({ name: rel, file: abs, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 });
    }
  }
}

/** The ONNX Runtime files the server needs on linux/<arch>: JS of both packages plus that platform's binaries. */
export async function onnxRuntimeEntries(assets: ServerAssets, arch: string): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  const js = (rel: string) => /\.(js|cjs|json)$/.test(rel) && !rel.endsWith('.map');
  const ort = 'node_modules/onnxruntime-node';
  await walk(
    assets.onnxruntimeDir,
    ort,
    (rel) => {
      const inner = rel.slice(ort.length + 1);
      if (inner === 'package.json') return true;
      if (inner.startsWith('dist/')) return js(inner);
      return new RegExp(`^bin/napi-v\\d+/linux/${arch}/`).test(inner);
    },
    out,
  );
  if (!out.some((e) => e.name.includes(`/linux/${arch}/`))) {
    throw new Error(
      `This installation of ML Workbench has no ONNX Runtime binaries for linux/${arch} (the engine's platform) in ${assets.onnxruntimeDir}: install the linux-${arch} build of the extension, or use an engine of this machine's architecture.`,
    );
  }
  const common = 'node_modules/onnxruntime-common';
  await walk(
    assets.onnxruntimeCommonDir,
    common,
    (rel) => {
      const inner = rel.slice(common.length + 1);
      return inner === 'package.json' || (inner.startsWith('dist/cjs/') && js(inner));
    },
    out,
  );
  return out;
}

export async function contextEntries(opts: {
  dockerfile: string;
  dockerignore: string;
  assets: ServerAssets;
  /** Model files: path inside the context (models/...) -> file on disk. */
  models: { name: string; file: string }[];
  /** onnxruntime-node's arch folder (x64, arm64); default this machine's. */
  arch?: string;
}): Promise<ContextEntry[]> {
  const text = (name: string, content: string): ContextEntry => ({ name, content, size: Buffer.byteLength(content) });
  const server = await stat(opts.assets.serverJs);
  const entries: ContextEntry[] = [
    text('Dockerfile', opts.dockerfile),
    text('.dockerignore', opts.dockerignore),
    ...(await onnxRuntimeEntries(opts.assets, opts.arch ?? process.arch)),
    { name: 'server.js', file: opts.assets.serverJs, size: server.size },
  ];
  for (const m of opts.models) {
    if (!m.name.startsWith('models/')) throw new Error(`model entries belong under models/, got ${m.name}`);
    const st = await stat(m.file);
    entries.push({ name: m.name, file: m.file, size: st.size });
  }
  const refused = entries.filter((e) => isSecretPath(e.name));
  if (refused.length)
    throw new Error(`Refusing to put secret-looking files into the build context: ${refused.map((e) => e.name).join(', ')}`);
  return entries;
}

/** A fixed mtime keeps the tar headers identical between builds. */
const MTIME = new Date(Date.UTC(2020, 0, 1));

/** Streams the entries as an uncompressed tar. Files are read one after the other, never whole into memory. */
export async function packContext(entries: ContextEntry[]): Promise<Readable> {
  const tar = await import('tar-stream');
  const pack = tar.pack();
  let reading: ReturnType<typeof createReadStream> | undefined;
  // When the consumer gives up (a cancelled or failed build destroys the stream), close the file being read.
  pack.on('close', () => reading?.destroy());
  const add = async () => {
    for (const e of entries) {
      const header = { name: e.name, size: e.size, mode: e.mode ?? 0o644, mtime: MTIME, uid: 0, gid: 0 };
      if (e.content !== undefined) {
        const content = e.content;
        await new Promise<void>((resolve, reject) => pack.entry(header, content, (err) => (err ? reject(err) : resolve())));
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        sink.on('error', reject); // the entry's own error event (the callback above may not be called)
        const src = createReadStream(e.file!);
        reading = src;
        src.on('error', (err) => {
          sink.destroy(err);
          reject(err);
        });
        src.pipe(sink);
      });
    }
    pack.finalize();
  };
  add().catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}
