import { createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

/** Shipped files carry this mtime (packRunBundle's); anything newer in the container was written by the run. */
export const SHIPPED_BEFORE_MS = Date.UTC(2020, 0, 2);

/**
 * A tar of the entries of `input` whose name starts with `prefix`, the prefix taken off (a build context from the
 * run bundle's code/<cwd>/), plus extra files. Pax headers and entries outside the prefix are left out.
 */
export async function subTar(input: Readable, prefix: string, extra: Record<string, string> = {}): Promise<Readable> {
  const tar = await import('tar-stream');
  const pack = tar.pack();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    const type = header.type as string;
    if (!name.startsWith(prefix) || name === prefix || type === 'pax-global-header' || type === 'pax-header') {
      stream.resume();
      stream.on('end', next);
      return;
    }
    const sink = pack.entry({ ...header, name: name.slice(prefix.length) }, (e) => (e ? pack.destroy(e) : next()));
    stream.pipe(sink);
  });
  extract.once('finish', () => {
    for (const [name, content] of Object.entries(extra)) pack.entry({ name, mode: 0o644 }, content);
    pack.finalize();
  });
  extract.once('error', (e) => pack.destroy(e));
  input.once('error', (e) => pack.destroy(e));
  input.pipe(extract);
  return pack as unknown as Readable;
}

/**
 * Writes the regular files of a container archive (GET /containers/ID/archive: one top folder) into `localDir`,
 * the top folder taken off; `keep(name, mtimeMs)` picks files. Links and names that would leave the folder are
 * skipped. Resolves with the names written.
 */
export async function extractArchive(
  input: NodeJS.ReadableStream,
  localDir: string,
  keep: (name: string, mtimeMs: number) => boolean = () => true,
): Promise<string[]> {
  const tar = await import('tar-stream');
  const extract = tar.extract();
  const written: string[] = [];
  const root = path.resolve(localDir);
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = header.name.split('/').slice(1).join('/');
      const to = path.resolve(root, name);
      const mtime = header.mtime ? header.mtime.getTime() : 0;
      if (header.type !== 'file' || !name || !to.startsWith(root + path.sep) || !keep(name, mtime)) {
        stream.resume();
        stream.on('end', next);
        return;
      }
      fsp
        .mkdir(path.dirname(to), { recursive: true })
        .then(() => {
          const out = createWriteStream(to);
          out.once('error', reject);
          out.once('finish', () => {
            written.push(name);
            next();
          });
          stream.pipe(out);
        })
        .catch(reject);
    });
    extract.once('finish', resolve);
    extract.once('error', reject);
    input.once('error', reject);
    input.pipe(extract);
  });
  return written;
}

/** The text of the named entries of a tar (the run bundle), those it holds; the rest is read through and dropped. */
export async function readTarFiles(input: Readable, names: string[]): Promise<Map<string, string>> {
  const tar = await import('tar-stream');
  const extract = tar.extract();
  const found = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      if (!names.includes(name) || header.type !== 'file') {
        stream.resume();
        stream.on('end', next);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (d: unknown) => void chunks.push(d as Buffer));
      stream.on('end', () => {
        found.set(name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    extract.once('finish', resolve);
    extract.once('error', reject);
    input.once('error', reject);
    input.pipe(extract);
  });
  return found;
}
