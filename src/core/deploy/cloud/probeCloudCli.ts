/**
 * Is the platform's CLI installed and logged in? Asks it who the caller is, as each CLI documents:
 * `aws sts get-caller-identity` (Account), `gcloud auth list` (the active account), `az account show` (subscription).
 */
import { CLOUD_CLI, type CloudPlatform } from './cloudTypes';
import { cliError, findOnPath, runCloudCli } from './runCloudCli';

export interface CloudCliProbe {
  /** The CLI's absolute path, when it is on PATH. */
  cli?: string;
  loggedIn: boolean;
  /** AWS account id, gcloud account, Azure subscription name. */
  account?: string;
  /** Why it cannot be used (not installed, not logged in), with the command that fixes it. */
  reason?: string;
}

const INSTALL: Record<CloudPlatform, string> = {
  sagemaker: 'install the AWS CLI v2, then run aws configure (or aws sso login)',
  vertex: 'install the Google Cloud CLI, then run gcloud auth login',
  azureml: 'install the Azure CLI with its ml extension (az extension add -n ml), then run az login',
};

const LOGIN: Record<CloudPlatform, string> = {
  sagemaker: 'aws configure (or aws sso login)',
  vertex: 'gcloud auth login',
  azureml: 'az login',
};

const PROBE_TIMEOUT_MS = 30_000;

export async function probeCloudCli(platform: CloudPlatform, env: NodeJS.ProcessEnv = process.env): Promise<CloudCliProbe> {
  const name = CLOUD_CLI[platform];
  const cli = await findOnPath(name, env);
  if (!cli) return { loggedIn: false, reason: `${name} is not on PATH: ${INSTALL[platform]}` };
  const run = (args: string[]) => runCloudCli(cli, args, { env, timeoutMs: PROBE_TIMEOUT_MS });
  const notLoggedIn = (said: string) => ({ cli, loggedIn: false, reason: `${said.split('\n')[0]} (run ${LOGIN[platform]})` });
  try {
    if (platform === 'sagemaker') {
      const r = await run(['sts', 'get-caller-identity', '--output', 'json']);
      if (r.code !== 0) return notLoggedIn(cliError(r, 1));
      const account = (JSON.parse(r.stdout) as { Account?: string }).Account;
      return { cli, loggedIn: true, account };
    }
    if (platform === 'vertex') {
      const r = await run(['auth', 'list', '--filter=status:ACTIVE', '--format=value(account)']);
      const account = r.stdout
        .split('\n')
        .find((l) => l.trim())
        ?.trim();
      if (r.code !== 0 || !account) return notLoggedIn(r.code !== 0 ? cliError(r, 1) : 'No credentialed accounts.');
      return { cli, loggedIn: true, account };
    }
    const r = await run(['account', 'show', '--output', 'json']);
    if (r.code !== 0) return notLoggedIn(cliError(r, 1));
    const account = (JSON.parse(r.stdout) as { name?: string; id?: string }).name;
    return { cli, loggedIn: true, account };
  } catch (e) {
    return { cli, loggedIn: false, reason: `${name} could not tell who is logged in: ${(e as Error).message}` };
  }
}
