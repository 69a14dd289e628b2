/**
 * The engine client over dockerode: build from a tar stream, run/inspect/stop containers, logs, stats, events,
 * tag/push/pull images. dockerode is loaded on first connect, never at module load (the extension bundle must
 * not pay for it at activation).
 */
import type Docker from 'dockerode';
import { fromInspect, fromListEntry, type ContainerInfo } from './containerInfo';
import { BuildFailedError, classifyRegistryError, OperationCancelledError, registryOf } from './engineErrors';
import type { EngineEndpoint } from './findEngine';
import { LogDemuxer, type LogStream } from './logLines';
import { dockerodeOptions } from './pingEndpoint';
import { itemError, readProgress, type ProgressItem } from './progressStream';

export type { ContainerInfo } from './containerInfo';
export { BuildFailedError } from './engineErrors';

export const MANAGED_LABEL = 'dev.mlworkbench.managed';
export const LABELS = {
  managed: MANAGED_LABEL,
  model: 'dev.mlworkbench.model',
  modelHash: 'dev.mlworkbench.modelHash',
  runId: 'dev.mlworkbench.runId',
  modelName: 'dev.mlworkbench.modelName',
  /** Comma-separated names the image's server serves (several for a model folder). */
  servedModels: 'dev.mlworkbench.servedModels',
} as const;

/** A user name and a password (or an access token used as one). */
export interface PasswordAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** An identity token (the OAuth refresh token some registries hand `docker login`). */
export interface TokenAuth {
  identitytoken: string;
  serveraddress: string;
}

/** Registry credentials in the shape the Engine API's X-Registry-Auth header takes. */
export type RegistryAuth = PasswordAuth | TokenAuth;

/** "host:5000/team/model:1.0" -> { repository: "host:5000/team/model", tag: "1.0" }; digests stay in the repository part. */
export function splitReference(reference: string): { repository: string; tag?: string } {
  if (reference.includes('@')) return { repository: reference };
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

function statusCode(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

export class DockerEngine {
  private constructor(
    readonly endpoint: EngineEndpoint,
    private readonly docker: Docker,
  ) {}

  static async connect(endpoint: EngineEndpoint): Promise<DockerEngine> {
    const { default: DockerCtor } = await import('dockerode');
    const engine = new DockerEngine(endpoint, new DockerCtor(dockerodeOptions(endpoint) as Docker.DockerOptions));
    await engine.ping();
    return engine;
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  /** The engine's CPU architecture as Node names it (x64, arm64, ...): the binaries an image needs. */
  async nodeArch(): Promise<string> {
    const arch = (await this.docker.version()).Arch;
    return (
      ({ amd64: 'x64', arm64: 'arm64', aarch64: 'arm64', arm: 'arm', ppc64le: 'ppc64', s390x: 's390x' } as Record<string, string>)[arch] ??
      arch
    );
  }

  async build(opts: {
    context: NodeJS.ReadableStream;
    tags: string[];
    buildArgs?: Record<string, string>;
    labels?: Record<string, string>;
    dockerfile?: string;
    signal?: AbortSignal;
    onLog?: (line: string) => void;
  }): Promise<{ imageId: string }> {
    if (opts.signal?.aborted) throw new OperationCancelledError('The build');
    const log: string[] = [];
    let step: string | undefined;
    let imageId: string | undefined;
    let failure: string | undefined;
    const emit = (text: string) => {
      for (const line of text.replace(/\r/g, '').split('\n')) {
        if (!line.trim()) continue;
        log.push(line);
        if (/^Step \d+\/\d+ : /.test(line)) step = line;
        const built = /^Successfully built ([0-9a-f]+)/.exec(line);
        if (built) imageId ??= built[1];
        opts.onLog?.(line);
      }
    };
    // dockerode pipes the context into the request without an error listener: a failing context (a model file
    // that cannot be read) must fail this build, not crash the process. It also ends the request.
    const request = new AbortController();
    const onAbort = () => request.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let contextError: Error | undefined;
    opts.context.on('error', (e: Error) => {
      contextError ??= e;
      request.abort();
    });
    try {
      const stream = await this.docker.buildImage(
        opts.context as NodeJS.ReadableStream,
        {
          t: opts.tags,
          forcerm: true,
          rm: true,
          buildargs: opts.buildArgs,
          labels: { [MANAGED_LABEL]: 'true', ...opts.labels },
          dockerfile: opts.dockerfile,
          abortSignal: request.signal,
        } as unknown as Docker.ImageBuildOptions,
      );
      await readProgress(stream, (item: ProgressItem) => {
        const err = itemError(item);
        if (err) {
          failure ??= err;
          emit(err);
          return;
        }
        if (typeof item.stream === 'string') emit(item.stream);
        else if (typeof item.status === 'string') emit(`${item.id ? `${item.id}: ` : ''}${item.status}`);
        if (item.aux?.ID) imageId = item.aux.ID;
      });
    } catch (e) {
      if (opts.signal?.aborted) throw new OperationCancelledError('The build');
      if (contextError) throw new BuildFailedError(`sending the build context failed: ${contextError.message}`, step, log.join('\n'));
      if (e instanceof BuildFailedError) throw e;
      throw new BuildFailedError((e as Error).message, step, log.join('\n'));
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      const context = opts.context as NodeJS.ReadableStream & { destroy?: () => void; readableEnded?: boolean };
      if (!context.readableEnded) context.destroy?.(); // a build that ended early leaves nothing reading model files
    }
    if (opts.signal?.aborted) throw new OperationCancelledError('The build');
    if (contextError) throw new BuildFailedError(`sending the build context failed: ${contextError.message}`, step, log.join('\n'));
    if (failure) throw new BuildFailedError(failure, step, log.join('\n'));
    if (!imageId) throw new BuildFailedError('the engine reported no image id', step, log.join('\n'));
    return { imageId: imageId.startsWith('sha256:') ? imageId : `sha256:${imageId}` };
  }

  async runContainer(opts: {
    image: string;
    name?: string;
    containerPort: number;
    hostPort?: number;
    hostIp?: string;
    env?: Record<string, string>;
    labels?: Record<string, string>;
    memoryBytes?: number;
    nanoCpus?: number;
    /** Relative CPU weight against the engine's other containers (Docker's default 1024); see setCpuShares. */
    cpuShares?: number;
    cmd?: string[];
    /** Bind mounts, `hostPath:containerPath[:ro]` (as the platforms mount a model folder). */
    binds?: string[];
  }): Promise<ContainerInfo> {
    const port = `${opts.containerPort}/tcp`;
    const container = await this.docker.createContainer({
      Image: opts.image,
      name: opts.name,
      Cmd: opts.cmd,
      Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: { [MANAGED_LABEL]: 'true', ...opts.labels },
      ExposedPorts: { [port]: {} },
      HostConfig: {
        Init: true,
        PortBindings: { [port]: [{ HostIp: opts.hostIp ?? '127.0.0.1', HostPort: opts.hostPort ? String(opts.hostPort) : '' }] },
        Memory: opts.memoryBytes,
        NanoCpus: opts.nanoCpus,
        CpuShares: opts.cpuShares,
        Binds: opts.binds,
      },
    });
    try {
      await container.start();
    } catch (e) {
      await container.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    return this.inspectContainer(container.id);
  }

  /** Changes a running container's CPU weight (e.g. a blue/green roll's new container, low until it serves). */
  async setCpuShares(id: string, shares: number): Promise<void> {
    await this.docker.getContainer(id).update({ CpuShares: shares });
  }

  async listContainers(opts: { all?: boolean; managedOnly?: boolean } = {}): Promise<ContainerInfo[]> {
    const list = await this.docker.listContainers({
      all: opts.all ?? true,
      filters: opts.managedOnly ? JSON.stringify({ label: [`${MANAGED_LABEL}=true`] }) : undefined,
    } as Docker.ContainerListOptions);
    return list.map((c) => fromListEntry(c as unknown as Parameters<typeof fromListEntry>[0]));
  }

  async inspectContainer(id: string): Promise<ContainerInfo> {
    return fromInspect((await this.docker.getContainer(id).inspect()) as unknown as Parameters<typeof fromInspect>[0]);
  }

  /** Waits until the container's HEALTHCHECK reports healthy (or, without one, until it runs). Throws when it exits or turns unhealthy. */
  async waitHealthy(id: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ContainerInfo> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      if (opts.signal?.aborted) throw new OperationCancelledError('Waiting for the container');
      const info = await this.inspectContainer(id);
      if (info.state === 'running' && (info.health === 'healthy' || info.health === undefined)) return info;
      if (info.health === 'unhealthy')
        throw new Error(`Container ${info.name} is unhealthy: its health check keeps failing. Open its logs for the reason.`);
      if (['exited', 'dead', 'removing'].includes(info.state))
        throw new Error(`Container ${info.name} stopped (${info.status}) before it became healthy. Open its logs for the reason.`);
      if (Date.now() > deadline)
        throw new Error(
          `Container ${info.name} did not become healthy within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s (status: ${info.status}).`,
        );
      await sleep(200, opts.signal);
    }
  }

  /** Streams a container's log lines (demultiplexed). With follow, resolves when the container stops or the signal aborts. */
  async logs(
    id: string,
    opts: { follow?: boolean; tail?: number; signal?: AbortSignal; onLine: (stream: LogStream, line: string) => void },
  ): Promise<void> {
    const container = this.docker.getContainer(id);
    const tty = Boolean((await container.inspect()).Config?.Tty);
    const demux = new LogDemuxer(opts.onLine, !tty);
    const common = { stdout: true, stderr: true, tail: opts.tail ?? 'all', abortSignal: opts.signal };
    if (!opts.follow) {
      const data = (await container.logs({ ...common, follow: false } as Docker.ContainerLogsOptions & {
        follow: false;
      })) as unknown as Buffer;
      demux.push(Buffer.isBuffer(data) ? data : Buffer.from(String(data)));
      demux.end();
      return;
    }
    const stream = (await container.logs({ ...common, follow: true } as Docker.ContainerLogsOptions & {
      follow: true;
    })) as NodeJS.ReadableStream & { destroy?: () => void };
    await new Promise<void>((resolve) => {
      const done = () => {
        demux.end();
        resolve();
      };
      opts.signal?.addEventListener(
        'abort',
        () => {
          stream.destroy?.();
          done();
        },
        { once: true },
      );
      stream.on('data', (c: Buffer) => demux.push(c));
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  }

  /** SIGTERM, then SIGKILL after timeoutSeconds (default 10). Stopping a stopped container is fine. */
  async stop(id: string, opts: { timeoutSeconds?: number } = {}): Promise<void> {
    const container = this.docker.getContainer(id);
    try {
      await container.stop({ t: opts.timeoutSeconds ?? 10 });
    } catch (e) {
      if (statusCode(e) === 304) return; // already stopped
      if (statusCode(e) === 404) throw e;
      await container.kill().catch((k) => {
        if (statusCode(k) !== 409) throw k; // 409: not running any more
      });
    }
  }

  async restart(id: string): Promise<void> {
    await this.docker.getContainer(id).restart({ t: 10 });
  }

  async remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: opts.force ?? false, v: true });
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
    }
  }

  async stats(id: string): Promise<{ cpuPercent: number; memoryBytes: number; memoryLimitBytes: number }> {
    const s = (await this.docker.getContainer(id).stats({ stream: false })) as unknown as {
      cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
      precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
      memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
    };
    const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
    const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
    const cpus = s.cpu_stats?.online_cpus ?? s.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
    const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
    const cache = s.memory_stats?.stats?.inactive_file ?? s.memory_stats?.stats?.total_inactive_file ?? 0;
    return { cpuPercent, memoryBytes: Math.max(0, (s.memory_stats?.usage ?? 0) - cache), memoryLimitBytes: s.memory_stats?.limit ?? 0 };
  }

  /** Follows the engine's container and image events until the signal aborts or the stream ends. */
  async events(opts: { signal: AbortSignal; onEvent: (e: { type: string; action: string; id: string }) => void }): Promise<void> {
    if (opts.signal.aborted) return;
    // `since` the call (whole seconds): events that happen while the stream is still connecting are replayed,
    // not lost; a few from earlier in that second may come too.
    const since = Math.floor(Date.now() / 1000);
    const stream = (await this.docker.getEvents({
      since,
      filters: { type: ['container', 'image'] },
      abortSignal: opts.signal,
    } as Docker.GetEventsOptions)) as NodeJS.ReadableStream & { destroy?: () => void };
    const onAbort = () => stream.destroy?.();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await readProgress(stream, (item) => {
        const e = item as { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
        opts.onEvent({ type: e.Type ?? '', action: e.Action ?? e.status ?? '', id: e.Actor?.ID ?? e.id ?? '' });
      });
    } catch (e) {
      if (!opts.signal.aborted) throw e;
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
    }
  }

  async tagImage(image: string, repository: string, tag: string): Promise<void> {
    await this.docker.getImage(image).tag({ repo: repository, tag });
  }

  /** Pushes a reference (repository:tag) and follows every progress item. Returns the pushed manifest digest. */
  async push(opts: {
    reference: string;
    auth?: RegistryAuth;
    signal?: AbortSignal;
    onProgress?: (line: string) => void;
  }): Promise<{ digest: string }> {
    const { repository, tag } = splitReference(opts.reference);
    const registry = registryOf(opts.reference);
    let digest: string | undefined;
    let failure: string | undefined;
    try {
      const stream = (await this.docker
        .getImage(repository)
        .push({ tag, authconfig: opts.auth ?? {}, abortSignal: opts.signal } as Docker.ImagePushOptions)) as NodeJS.ReadableStream;
      await readProgress(stream, (item) => {
        const err = itemError(item);
        if (err) failure ??= err;
        if (item.aux?.Digest) digest = item.aux.Digest;
        const text = err ?? `${item.id ? `${item.id}: ` : ''}${item.status ?? ''}${item.progress ? ` ${item.progress}` : ''}`;
        const m = /digest: (sha256:[0-9a-f]{64})/.exec(item.status ?? '');
        if (m) digest ??= m[1];
        if (text.trim()) opts.onProgress?.(text);
      });
    } catch (e) {
      if (opts.signal?.aborted) throw new OperationCancelledError('The push');
      throw classifyRegistryError(registry, (e as Error).message) ?? e;
    }
    if (opts.signal?.aborted) throw new OperationCancelledError('The push');
    if (failure) throw classifyRegistryError(registry, failure) ?? new Error(`Pushing ${opts.reference} failed: ${failure}`);
    if (!digest) throw new Error(`Pushing ${opts.reference} finished without a digest from the registry`);
    return { digest };
  }

  async pull(
    reference: string,
    opts: { auth?: RegistryAuth; signal?: AbortSignal; onProgress?: (line: string) => void } = {},
  ): Promise<void> {
    const registry = registryOf(reference);
    let failure: string | undefined;
    try {
      const stream = (await this.docker.pull(reference, { authconfig: opts.auth, abortSignal: opts.signal } as Record<
        string,
        unknown
      >)) as NodeJS.ReadableStream;
      await readProgress(stream, (item) => {
        const err = itemError(item);
        if (err) failure ??= err;
        opts.onProgress?.(err ?? `${item.id ? `${item.id}: ` : ''}${item.status ?? ''}`);
      });
    } catch (e) {
      if (opts.signal?.aborted) throw new OperationCancelledError('The pull');
      throw classifyRegistryError(registry, (e as Error).message) ?? e;
    }
    if (failure) throw classifyRegistryError(registry, failure) ?? new Error(`Pulling ${reference} failed: ${failure}`);
  }

  async removeImage(reference: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      await this.docker.getImage(reference).remove({ force: opts.force ?? false });
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
    }
  }

  /** Image id, size in bytes, labels, repo digests and exposed tcp ports; undefined when the engine has no such image. */
  async inspectImage(
    reference: string,
  ): Promise<{ id: string; size: number; labels: Record<string, string>; repoDigests: string[]; exposedPorts: number[] } | undefined> {
    try {
      const i = await this.docker.getImage(reference).inspect();
      const exposedPorts = Object.keys(i.Config?.ExposedPorts ?? {})
        .filter((k) => k.endsWith('/tcp'))
        .map((k) => Number(k.split('/')[0]));
      return { id: i.Id, size: i.Size, labels: i.Config?.Labels ?? {}, repoDigests: i.RepoDigests ?? [], exposedPorts };
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }
}
