import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { Logger } from '../../logger';
import { MANAGED_LABEL } from '../../docker/dockerEngine';
import { itemError, readProgress } from '../../docker/progressStream';
import { shellCommand } from '../shellQuote';
import { subTar } from './containerArchive';
import type { DockerTargetSpec } from './dockerTargetSpec';

export interface ImageInput {
  docker: Docker;
  spec: DockerTargetSpec;
  /** A fresh run bundle (packRunBundle) to take the build context from: code/<relCwd>/. */
  bundle: () => Promise<Readable>;
  /** The run's folder inside the repository ('' at its top). */
  relCwd: string;
  /** The run folder's files in the recorded tree, by name relative to it: Dockerfile, requirements.txt. */
  recorded: (name: string) => Promise<string | undefined>;
  logger: Logger;
  signal?: AbortSignal;
}

async function hasImage(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

async function build(
  docker: Docker,
  context: Readable,
  tag: string,
  dockerfile: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const stream = await docker.buildImage(
    context as unknown as NodeJS.ReadableStream,
    {
      t: tag,
      dockerfile,
      forcerm: true,
      rm: true,
      labels: { [MANAGED_LABEL]: 'true' },
      abortSignal: signal,
    } as unknown as Docker.ImageBuildOptions,
  );
  let failure: string | undefined;
  const tail: string[] = [];
  await readProgress(stream, (item) => {
    const err = itemError(item);
    if (err) failure ??= err;
    const line = (item as { stream?: string }).stream?.trim();
    if (line) {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      logger.debug(line);
    }
  });
  if (failure) throw new Error(`Building the run's image ${tag} failed: ${failure}${tail.length ? ` (${tail.join(' | ')})` : ''}`);
}

async function pull(docker: Docker, ref: string, label: string): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(ref)) as NodeJS.ReadableStream;
  } catch (e) {
    throw new Error(`Image ${ref} is not on ${label} and cannot be pulled: ${(e as Error).message.split('\n')[0]}`);
  }
  let failure: string | undefined;
  await readProgress(stream, (item) => (failure ??= itemError(item)));
  if (failure) throw new Error(`Image ${ref} is not on ${label} and cannot be pulled: ${failure}`);
}

const tagName = (target: string) => `mlw-target-${target.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`;

/**
 * The image a docker target's run starts from, made on its engine:
 *   dockerfile (or, without image, the run folder's Dockerfile): built from the recorded code of the run's folder;
 *   image + requirements.txt in the run's folder: built FROM image with `pip install -r` (cached by content);
 *   image alone: used as it is (pulled when the engine lacks it).
 */
export async function targetImage(input: ImageInput, engineLabel: string): Promise<string> {
  const { docker, spec, logger } = input;
  const dockerfile = spec.dockerfile ?? (spec.image ? undefined : 'Dockerfile');
  if (dockerfile) {
    if ((await input.recorded(dockerfile)) === undefined)
      throw new Error(
        spec.dockerfile
          ? `${spec.origin}: target ${spec.name}: dockerfile ${dockerfile} is not in the run's recorded code (commit it)`
          : `${spec.origin}: target ${spec.name} names no image and the run's folder has no committed Dockerfile: set image: (a base image with python3) or dockerfile:`,
      );
    const tag = `${tagName(spec.name)}:latest`;
    const prefix = `code/${input.relCwd ? `${input.relCwd}/` : ''}`;
    logger.info(`Building ${tag} from ${dockerfile} on ${engineLabel}`);
    await build(docker, await subTar(await input.bundle(), prefix), tag, dockerfile, logger, input.signal);
    return tag;
  }
  const base = spec.image!;
  const requirements = await input.recorded('requirements.txt');
  if (!(await hasImage(docker, base))) await pull(docker, base, engineLabel);
  if (requirements === undefined || !requirements.trim()) return base;
  const hash = createHash('sha256').update(`${base}\n${spec.python}\n${requirements}`).digest('hex').slice(0, 12);
  const tag = `${tagName(spec.name)}:req-${hash}`;
  if (await hasImage(docker, tag)) return tag;
  const file = [
    `FROM ${base}`,
    'COPY requirements.txt /tmp/mlw-requirements.txt',
    `RUN ${shellCommand([spec.python, '-m', 'pip', 'install', '--no-cache-dir', '-r', '/tmp/mlw-requirements.txt'])}`,
    '',
  ].join('\n');
  const tar = await import('tar-stream');
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, file);
  pack.entry({ name: 'requirements.txt' }, requirements);
  pack.finalize();
  logger.info(`Building ${tag}: ${base} plus requirements.txt on ${engineLabel}`);
  await build(docker, pack as unknown as Readable, tag, 'Dockerfile', logger, input.signal);
  return tag;
}
