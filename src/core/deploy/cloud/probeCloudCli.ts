/** Is the platform's CLI installed and logged in? Asks it the way its docs say: who am I. */
import type { CloudPlatform } from './cloudTypes';

export interface CloudCliProbe {
  /** The CLI's absolute path, when it is on PATH. */
  cli?: string;
  loggedIn: boolean;
  /** AWS account id, gcloud account, Azure subscription. */
  account?: string;
  /** Why it cannot be used (not installed, not logged in), with the command that fixes it. */
  reason?: string;
}

export async function probeCloudCli(platform: CloudPlatform, env: NodeJS.ProcessEnv = process.env): Promise<CloudCliProbe> {
  void env;
  return { loggedIn: false, reason: `${platform}: probe not implemented yet` };
}
