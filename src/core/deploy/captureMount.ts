/**
 * Request capture for a container run by deploy local: the environment that turns it on in the image's server
 * (MLW_CAPTURE, MLW_CAPTURE_DIR, MLW_DRIFT_DIR, see serve/capture/captureArgs.ts), the workspace's
 * `.mlw/captures` and `.mlw/drift` bind-mounted where it writes, and a label that says the rate.
 * The image's server runs as an unprivileged user (renderDockerfile's CONTAINER_USER), so the model's capture
 * folder and the drift folder are made writable for it.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { CAPTURE_DIR, DRIFT_STATE_DIR } from '../serve/capture/captureArgs';
import { safeName } from '../serve/capture/modelCapture';

/** Container label: the capture rate of the container's server (absent when capture is off). */
export const CAPTURE_LABEL = 'dev.mlworkbench.capture';
export const CONTAINER_CAPTURE_DIR = '/mlw/captures';
export const CONTAINER_DRIFT_DIR = '/mlw/drift';

export interface CaptureMount {
  env: Record<string, string>;
  binds: string[];
  labels: Record<string, string>;
  /** Where the captures land on the host. */
  hostDir: string;
}

export function captureMount(workspace: string, modelName: string, rate: number): CaptureMount {
  if (!(rate > 0 && rate <= 1)) throw new Error(`the capture rate must be a fraction in (0, 1], e.g. 0.1 for 10 %, got ${rate}`);
  const captures = path.join(workspace, CAPTURE_DIR);
  const drift = path.join(workspace, DRIFT_STATE_DIR);
  const hostDir = path.join(captures, safeName(modelName));
  for (const dir of [hostDir, drift]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
  }
  return {
    env: { MLW_CAPTURE: String(rate), MLW_CAPTURE_DIR: CONTAINER_CAPTURE_DIR, MLW_DRIFT_DIR: CONTAINER_DRIFT_DIR },
    binds: [`${captures}:${CONTAINER_CAPTURE_DIR}`, `${drift}:${CONTAINER_DRIFT_DIR}`],
    labels: { [CAPTURE_LABEL]: String(rate) },
    hostDir,
  };
}
