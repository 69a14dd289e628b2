import { spawn, type ChildProcess } from 'node:child_process';
import { runCollect, type ExecResult } from '../SshClient';
import type { KubernetesTarget } from '../targetTypes';

/** What kubectl says when it cannot reach the API server (the cluster goes on; ask again later). */
const UNREACHABLE =
  /Unable to connect to the server|connection refused|i\/o timeout|no such host|TLS handshake timeout|dial tcp|context deadline exceeded|the server is currently unable/i;

/**
 * kubectl for one target: every call is an argument array (never a shell string) with the target's `--context` and
 * `--namespace` first, so what runs is exactly what a user would type.
 */
export class KubectlTarget {
  constructor(
    readonly program: string,
    readonly target: KubernetesTarget,
  ) {}

  /** `kubectl --context C --namespace NS …`: the argv after the program. */
  args(rest: string[]): string[] {
    return [...(this.target.context ? ['--context', this.target.context] : []), '--namespace', this.target.namespace, ...rest];
  }

  /** `kubectl --context C` (no namespace), for cluster-wide questions such as nodes. */
  clusterArgs(rest: string[]): string[] {
    return [...(this.target.context ? ['--context', this.target.context] : []), ...rest];
  }

  /** Where the calls go, for messages: `context gke-ml, namespace ml`. */
  get label(): string {
    return `${this.target.context ? `context ${this.target.context}` : 'the current context'}, namespace ${this.target.namespace}`;
  }

  run(
    rest: string[],
    options: { timeoutMs?: number; cluster?: boolean; signal?: AbortSignal } = {},
  ): Promise<ExecResult & { down: boolean }> {
    const argv = options.cluster ? this.clusterArgs(rest) : this.args(rest);
    return runCollect(this.program, argv, { timeoutMs: options.timeoutMs ?? 60_000, signal: options.signal }).then((r) => ({
      ...r,
      down: r.code === null || (r.code !== 0 && UNREACHABLE.test(r.stderr)),
    }));
  }

  spawn(rest: string[]): ChildProcess {
    return spawn(this.program, this.args(rest), { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  }
}

/** The last line kubectl wrote to stderr, for a one-line message. */
export function kubectlError(r: ExecResult): string {
  return (
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .slice(-1)[0] ?? `exit ${r.code}`
  );
}
