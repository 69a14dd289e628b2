import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { findExecutable } from '../runs/resolveInterpreter';
import type { HostShell } from './hostShell';
import { runCollect } from './SshClient';
import { shellCommand, shellQuote } from './shellQuote';

/** Whether a host has rsync, asked once per connection object. */
const remoteRsync = new WeakMap<HostShell, boolean>();

export interface SyncResult {
  method: 'rsync' | 'tar' | 'local-rsync';
  /** Bytes received (rsync's count, or the tar's size). */
  bytes: number;
}

/**
 * Copies a remote folder into a local one: rsync over the same ssh options when this machine and the host have it
 * (only changed files travel), else `tar` over ssh. `exclude` names files left where they are (relative names).
 * Throws when the link fails or the copy does.
 */
export async function syncBack(
  shell: HostShell,
  remoteDir: string,
  localDir: string,
  options: { exclude?: string[]; files?: string[]; signal?: AbortSignal } = {},
): Promise<SyncResult> {
  await fsp.mkdir(localDir, { recursive: true });
  const exclude = options.exclude ?? [];
  const rsync = await findExecutable('rsync', process.env, localDir);
  let remoteHas = rsync ? remoteRsync.get(shell) : undefined;
  if (rsync && remoteHas === undefined) {
    const r = await shell.exec('command -v rsync >/dev/null', { timeoutMs: 30_000 });
    if (r.linkFailed) throw new Error(`${shell.label} does not answer`);
    remoteHas = r.code === 0;
    remoteRsync.set(shell, remoteHas);
  }
  const filters = [...exclude.map((e) => `--exclude=${e}`)];
  let filesFrom: string | undefined;
  if (options.files) {
    filesFrom = options.files.join('\n');
    filters.push('--files-from=-');
  }
  if (rsync && remoteHas) {
    const src = remoteDir.endsWith('/') ? remoteDir : `${remoteDir}/`;
    const args = ['-a', '--partial', '--stats', '--protect-args', ...filters];
    let method: SyncResult['method'] = 'local-rsync';
    if (shell.ssh) {
      // rsync splits -e itself, honouring quotes: every word quoted the one way.
      args.push('-e', shellCommand(['ssh', ...shell.ssh.options()]), `${shell.ssh.endpoint.host}:${src}`);
      method = 'rsync';
    } else args.push(src);
    args.push(`${localDir}/`);
    const r = await runCollect(rsync, args, { input: filesFrom, timeoutMs: 3_600_000, signal: options.signal });
    if (r.code !== 0) throw new Error(`rsync from ${shell.label} failed (${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    const m = /Total bytes received: ([\d,.]+)/.exec(r.stdout);
    return { method, bytes: m ? Number(m[1].replace(/[,.]/g, '')) : 0 };
  }
  // tar over the connection: everything is sent again.
  const ex = exclude.map((e) => `--exclude=${shellQuote(e)}`).join(' ');
  const list = options.files ? `-T - ` : '.';
  const command = `tar -cf - -C ${shellQuote(remoteDir)} ${ex} ${options.files ? list : '.'}`;
  const child = shell.spawn(command);
  child.stdin?.end(filesFrom ?? '');
  const untar = spawn('tar', ['-xf', '-', '-C', localDir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let bytes = 0;
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (bytes += d.length));
  child.stderr?.on('data', (d) => (err += d));
  untar.stderr.on('data', (d) => (err += d));
  child.stdout?.pipe(untar.stdin);
  const [a, b] = await Promise.all([
    new Promise<number | null>((res) => child.once('close', res)),
    new Promise<number | null>((res) => untar.once('close', res)),
  ]);
  if (a !== 0 || b !== 0) throw new Error(`copying ${remoteDir} from ${shell.label} with tar failed: ${err.trim().slice(-300)}`);
  return { method: 'tar', bytes };
}
