import { spawn, type ChildProcess } from 'node:child_process';
import { runCollect, SshClient, type ExecOptions, type ExecResult } from './SshClient';
import type { SshEndpoint } from './targetTypes';

/**
 * Where a target's commands run: a host over ssh, or this machine (a SLURM target without `host`). Commands are
 * shell command lines built only with shellQuote/shellCommand.
 */
export interface HostShell {
  /** `gpubox`, `me@login1:2222`, `localhost`. */
  readonly label: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** A long-lived command with pipes (tail -F). */
  spawn(command: string): ChildProcess;
  /** The ssh client, for rsync; undefined on this machine. */
  readonly ssh?: SshClient;
}

export class LocalShell implements HostShell {
  readonly label = 'localhost';
  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return runCollect('/bin/sh', ['-c', command], options);
  }
  spawn(command: string): ChildProcess {
    return spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  }
}

export class SshShell implements HostShell {
  readonly ssh: SshClient;
  constructor(endpoint: SshEndpoint, base: string, controlDir?: string) {
    this.ssh = new SshClient(endpoint, base, controlDir);
  }
  get label(): string {
    return this.ssh.label;
  }
  exec(command: string, options?: ExecOptions): Promise<ExecResult> {
    return this.ssh.exec(command, options);
  }
  spawn(command: string): ChildProcess {
    return this.ssh.spawn(command);
  }
}

export function hostShell(endpoint: SshEndpoint | undefined, base: string, controlDir?: string): HostShell {
  return endpoint ? new SshShell(endpoint, base, controlDir) : new LocalShell();
}
