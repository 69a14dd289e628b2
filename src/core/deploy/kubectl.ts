/**
 * kubectl from PATH: apply manifests and follow a Deployment's rollout, in the current context or in an explicit
 * one (`--context C --namespace NS` first, as a user would type them). Argument arrays only, never a shell.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import * as path from 'node:path';
import { LogDemuxer } from '../docker/logLines';

/** The kubectl executable on PATH, or undefined. */
export async function findKubectl(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const names = process.platform === 'win32' ? ['kubectl.exe', 'kubectl'] : ['kubectl'];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const file = path.join(dir, n);
      try {
        await access(file, constants.X_OK);
        return file;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

/** kubectl exited non-zero: its exit code and its last lines (kubectl's own reason is the last one). */
export class KubectlError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly lines: string[],
  ) {
    super(message);
  }

  /** kubectl's last line (e.g. `error: deployment "x" exceeded its progress deadline`). */
  get reason(): string {
    return this.lines.at(-1) ?? `exit ${this.code}`;
  }
}

/** Where kubectl calls go; without it, the current context and its namespace. */
export interface KubectlScope {
  context: string;
  namespace: string;
}

const scoped = (scope: KubectlScope | undefined, rest: string[]) =>
  scope ? ['--context', scope.context, '--namespace', scope.namespace, ...rest] : rest;

/** Runs kubectl with an argument array; lines go to onLog; rejects with the output when it exits non-zero. */
export function runKubectl(
  kubectl: string,
  args: string[],
  opts: { signal?: AbortSignal; onLog?: (line: string) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: string[] = [];
    const onLine = (_stream: string, line: string) => {
      if (!line.trim()) return;
      out.push(line);
      opts.onLog?.(line);
    };
    // One line splitter per pipe: a line cut across two chunks comes out whole.
    const stdout = new LogDemuxer(onLine, false);
    const stderr = new LogDemuxer(onLine, false);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (e) => reject(opts.signal?.aborted ? new Error(`kubectl ${args[0]} was cancelled`) : e));
    child.on('close', (code) => {
      stdout.end();
      stderr.end();
      if (code === 0) resolve(out.join('\n'));
      else reject(new KubectlError(`kubectl ${args.join(' ')} failed (exit ${code}):\n${out.slice(-20).join('\n')}`, code, out.slice(-20)));
    });
  });
}

export async function applyManifests(opts: {
  kubectl: string;
  file: string;
  scope?: KubectlScope;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<void> {
  await runKubectl(opts.kubectl, scoped(opts.scope, ['apply', '-f', opts.file]), opts);
}

/** Follows `kubectl rollout status` until the Deployment rolled out; its progress lines go to onLog as they come. */
export async function rolloutStatus(opts: {
  kubectl: string;
  name: string;
  timeoutSeconds: number;
  scope?: KubectlScope;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}): Promise<void> {
  await runKubectl(
    opts.kubectl,
    scoped(opts.scope, ['rollout', 'status', `deployment/${opts.name}`, `--timeout=${opts.timeoutSeconds}s`]),
    opts,
  );
}

/** The command line that undoes a Deployment's last rollout, for a message (the user runs it). */
export function rolloutUndoCommand(name: string, scope: KubectlScope): string {
  return ['kubectl', ...scoped(scope, ['rollout', 'undo', `deployment/${name}`])].join(' ');
}

/** The current context's name and namespace (`default` when it names none), to record and pass explicitly later. */
export async function currentScope(kubectl: string, opts: { context?: string; namespace?: string; signal?: AbortSignal } = {}) {
  const context =
    opts.context ?? (await runKubectl(kubectl, ['config', 'current-context'], { signal: opts.signal }).catch(() => '')).trim();
  if (!context) throw new Error('kubectl has no current context: give one with --context NAME (kubectl config get-contexts lists them)');
  const namespace =
    opts.namespace ??
    ((
      await runKubectl(kubectl, ['config', 'view', '--minify', `--context=${context}`, '--output=jsonpath={..namespace}'], {
        signal: opts.signal,
      }).catch(() => '')
    ).trim() ||
      'default');
  return { context, namespace } satisfies KubectlScope;
}
