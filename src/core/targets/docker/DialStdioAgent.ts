import * as http from 'node:http';
import { Duplex } from 'node:stream';
import type { SshClient } from '../SshClient';
import { shellCommand } from '../shellQuote';

/**
 * An http.Agent whose connections are `ssh HOST docker system dial-stdio` children, as `docker -H ssh://HOST` does:
 * the system OpenSSH client (the user's config, agent, ProxyJump, checked host keys) and the engine's own CLI on the
 * host relaying its socket. Idle connections are kept (one ssh process each) and reused; destroy() ends them all.
 */
export class DialStdioAgent extends http.Agent {
  constructor(
    private readonly ssh: SshClient,
    /** The engine's socket on the host, when not the one `docker` finds there by itself. */
    private readonly socket?: string,
  ) {
    super({ keepAlive: true, maxSockets: 8, maxFreeSockets: 2, timeout: 60_000 });
  }

  /** The remote command line. */
  command(): string {
    return shellCommand(['docker', ...(this.socket ? ['-H', `unix://${this.socket}`] : []), 'system', 'dial-stdio']);
  }

  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const child = this.ssh.spawn(this.command());
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString('utf8');
    });
    const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! }) as Duplex & Record<string, unknown>;
    // Destroyed by the agent when idle sockets are dropped (AbortError): nobody listens to a free socket then.
    stream.on('error', () => undefined);
    // What node:http asks of a socket.
    stream.setKeepAlive = () => stream;
    stream.setNoDelay = () => stream;
    stream.setTimeout = (_ms: number, cb?: () => void) => {
      stream.removeAllListeners('timeout');
      if (cb) stream.once('timeout', cb);
      return stream;
    };
    stream.ref = () => {
      child.ref();
      (child.stdout as unknown as { ref?: () => void })?.ref?.();
      return stream;
    };
    stream.unref = () => {
      child.unref();
      (child.stdout as unknown as { unref?: () => void })?.unref?.();
      (child.stderr as unknown as { unref?: () => void })?.unref?.();
      (child.stdin as unknown as { unref?: () => void })?.unref?.();
      return stream;
    };
    child.once('error', (e) => stream.destroy(new Error(`cannot start ssh: ${e.message}`)));
    child.once('close', (code) => {
      if (!stream.destroyed && code !== 0) {
        const why = stderr.trim().split('\n').slice(-2).join(' ') || `ssh exited with ${code}`;
        stream.destroy(new Error(`${this.ssh.label}: ${why}`));
      }
    });
    stream.once('close', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    });
    queueMicrotask(() => callback?.(null, stream));
    return stream;
  }
}
