/** Runs a rendered deployment's commands with the platform's CLI and follows the endpoint until it is in service. */
import type { CloudDeployment } from './cloudTypes';

export interface ApplyCloudOptions {
  /** The CLI executable (from probeCloudCli); it replaces argv[0] of every command. */
  cli: string;
  /** Where the files were saved (the commands name them relative to it). */
  cwd: string;
  log: (line: string) => void;
  onStatus?: (status: string) => void;
  signal?: AbortSignal;
  pollMs?: number;
  timeoutMs?: number;
}

export async function applyCloudDeployment(
  dep: CloudDeployment,
  o: ApplyCloudOptions,
): Promise<{ endpoint: string; status: string; url?: string }> {
  void o;
  throw new Error(`applyCloudDeployment: ${dep.platform} not implemented yet`);
}
