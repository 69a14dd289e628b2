/**
 * Runs a rendered deployment's commands with the platform's CLI (after the image is pushed) and follows the
 * endpoint until it is in service, passing on the platform's own status and error lines:
 * - SageMaker: `aws sagemaker describe-endpoint` until EndpointStatus is InService; Failed gives its FailureReason.
 * - Vertex AI: `gcloud ai endpoints deploy-model` waits for its operation; `describe` then lists the deployed model.
 * - Azure ML: `az ml online-endpoint show` until provisioning_state is Succeeded (Failed stops).
 */
import type { CloudDeployment } from './cloudTypes';
import { CLOUD_READY_STATUS, cloudStatusCommand } from './cloudStatusCommand';
import { cliError, runCloudCli, type CliResult } from './runCloudCli';

export interface ApplyCloudOptions {
  /** The CLI executable (from probeCloudCli); it replaces argv[0] of every command. */
  cli: string;
  /** Where the files were saved (the commands name them relative to it). */
  cwd: string;
  log: (line: string) => void;
  onStatus?: (status: string) => void;
  signal?: AbortSignal;
  /** Between two status calls (default 15 s). */
  pollMs?: number;
  /** For the whole deployment (default 40 min: a SageMaker endpoint takes 5 to 15). */
  timeoutMs?: number;
}

export interface CloudEndpointStatus {
  endpoint: string;
  status: string;
  url?: string;
}

/** A deployment that the platform itself reported as failed; the message holds the platform's reason. */
export class CloudDeployFailed extends Error {
  constructor(
    message: string,
    readonly status: string,
  ) {
    super(message);
    this.name = 'CloudDeployFailed';
  }
}

const STATUS_CALL_MS = 120_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('cancelled'));
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(t);
      reject(new Error('cancelled'));
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}

function parseJson<T>(r: CliResult, what: string): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what} did not answer JSON: ${cliError(r, 2)}`);
  }
}

/** One status call: the platform's status word, and the URL or failure reason it gives. */
type Probe = () => Promise<{ status: string; done: boolean; failed?: string; url?: string }>;

function statusProbe(dep: CloudDeployment, run: (args: string[]) => Promise<CliResult>): Probe {
  const args = cloudStatusCommand(dep).slice(1);
  if (dep.platform === 'sagemaker') {
    return async () => {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`aws sagemaker describe-endpoint failed: ${cliError(r)}`);
      const d = parseJson<{ EndpointStatus?: string; FailureReason?: string }>(r, 'aws sagemaker describe-endpoint');
      const status = d.EndpointStatus ?? 'Unknown';
      const bad = ['Failed', 'OutOfService', 'UpdateRollbackFailed', 'Deleting'].includes(status);
      return {
        status,
        done: status === CLOUD_READY_STATUS.sagemaker,
        failed: bad ? (d.FailureReason ?? `the endpoint is ${status}`) : undefined,
        url: `https://runtime.sagemaker.${dep.region}.amazonaws.com/endpoints/${dep.name}/invocations`,
      };
    };
  }
  if (dep.platform === 'vertex') {
    return async () => {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`gcloud ai endpoints describe failed: ${cliError(r)}`);
      const d = parseJson<{ name?: string; deployedModels?: { model?: string; id?: string }[] }>(r, 'gcloud ai endpoints describe');
      const deployed = (d.deployedModels ?? []).some((m) => m.model?.split('/').pop() === dep.name);
      return {
        status: deployed ? CLOUD_READY_STATUS.vertex : 'DEPLOYING',
        done: deployed,
        url: d.name ? `https://${dep.region}-aiplatform.googleapis.com/v1/${d.name}:predict` : undefined,
      };
    };
  }
  return async () => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`az ml online-endpoint show failed: ${cliError(r)}`);
    const d = parseJson<{ provisioning_state?: string; scoring_uri?: string }>(r, 'az ml online-endpoint show');
    const status = d.provisioning_state ?? 'Unknown';
    return {
      status,
      done: status === CLOUD_READY_STATUS.azureml,
      failed: status === 'Failed' || status === 'Canceled' ? `the endpoint's provisioning_state is ${status}` : undefined,
      url: d.scoring_uri,
    };
  };
}

export async function applyCloudDeployment(dep: CloudDeployment, o: ApplyCloudOptions): Promise<CloudEndpointStatus> {
  if (dep.missing.length) throw new Error(`Cannot deploy yet: ${dep.missing.join('; ')}`);
  const deadline = Date.now() + (o.timeoutMs ?? 40 * 60_000);
  const left = () => Math.max(1, deadline - Date.now());
  // A create call may take as long as the whole wait (deploy-model waits for its operation); one status call, 2 min.
  const run = (args: string[], echo = true) =>
    runCloudCli(o.cli, args, { cwd: o.cwd, signal: o.signal, timeoutMs: echo ? left() : STATUS_CALL_MS, onLine: echo ? o.log : undefined });
  for (const argv of dep.commands) {
    o.log(`$ ${argv.join(' ')}`);
    const r = await run(argv.slice(1));
    if (r.code !== 0) throw new CloudDeployFailed(`${argv.slice(0, 4).join(' ')} failed (exit ${r.code}):\n${cliError(r)}`, 'Failed');
  }
  const probe = statusProbe(dep, (args) => run(args, false));
  let last = '';
  for (;;) {
    const s = await probe();
    if (s.status !== last) {
      last = s.status;
      o.log(`${dep.name}: ${s.status}`);
      o.onStatus?.(s.status);
    }
    if (s.failed) throw new CloudDeployFailed(`${dep.name} is ${s.status}: ${s.failed}`, s.status);
    if (s.done) return { endpoint: dep.name, status: s.status, url: s.url };
    if (Date.now() + (o.pollMs ?? 15_000) > deadline)
      throw new Error(`${dep.name} was still ${s.status} when the wait ran out; follow it with: ${cloudStatusCommand(dep).join(' ')}`);
    await sleep(o.pollMs ?? 15_000, o.signal);
  }
}
