/**
 * Before the push: make sure the platform registry has the repository, and get credentials for it.
 * - ECR: `aws ecr describe-repositories` / `create-repository`; credentials from docker-credential-ecr-login
 *   (Debian package amazon-ecr-credential-helper), else `aws ecr get-login-password` (user AWS).
 * - Artifact Registry: `gcloud artifacts repositories describe` / `create --repository-format=docker`; credentials
 *   from `gcloud auth print-access-token` (user oauth2accesstoken).
 * - ACR: repositories appear on push; credentials from `az acr login --expose-token` (the null-GUID user).
 */
import type { RegistryAuth } from '../../docker/dockerEngine';
import { CredentialHelperError, credentialsFromHelper } from '../credentialHelper';
import { repositoryName } from './cloudNames';
import type { CloudDeployment } from './cloudTypes';
import { cliError, runCloudCli } from './runCloudCli';

export interface RegistryAuthOptions {
  cli: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** The registry host of a target image (the part before the first slash). */
export function registryHost(targetImage: string): string {
  return targetImage.split('/')[0];
}

export async function cloudRegistryAuth(dep: CloudDeployment, o: RegistryAuthOptions): Promise<RegistryAuth> {
  const run = (args: string[]) => runCloudCli(o.cli, args, { env: o.env, signal: o.signal, timeoutMs: 120_000 });
  const host = registryHost(dep.targetImage);
  const repo = repositoryName(dep.targetImage);
  if (dep.platform === 'sagemaker') {
    const scope = ['--region', dep.region];
    const found = await run(['ecr', 'describe-repositories', '--repository-names', repo, ...scope, '--output', 'json']);
    if (found.code !== 0) {
      if (!/RepositoryNotFoundException/.test(found.stderr)) throw new Error(`aws ecr describe-repositories failed: ${cliError(found)}`);
      o.log(`Creating the ECR repository ${repo} in ${dep.region}`);
      const made = await run(['ecr', 'create-repository', '--repository-name', repo, ...scope, '--output', 'json']);
      if (made.code !== 0) throw new Error(`aws ecr create-repository failed: ${cliError(made)}`);
    }
    try {
      const auth = await credentialsFromHelper('ecr-login', host, { env: o.env });
      if (auth) {
        o.log(`Credentials for ${host}: docker-credential-ecr-login`);
        return auth;
      }
      o.log(`docker-credential-ecr-login has no credentials for ${host}; asking aws ecr get-login-password instead`);
    } catch (e) {
      if (!(e instanceof CredentialHelperError)) throw e;
      o.log(`${e.message} (apt-get install amazon-ecr-credential-helper); asking aws ecr get-login-password instead`);
    }
    const pw = await run(['ecr', 'get-login-password', ...scope]);
    if (pw.code !== 0 || !pw.stdout.trim()) throw new Error(`aws ecr get-login-password failed: ${cliError(pw)}`);
    return { username: 'AWS', password: pw.stdout.trim(), serveraddress: host };
  }
  if (dep.platform === 'vertex') {
    const [, project, arRepo] = dep.targetImage.split('/');
    const scope = [`--location=${dep.region}`, `--project=${project}`];
    const found = await run(['artifacts', 'repositories', 'describe', arRepo, ...scope, '--format=json']);
    if (found.code !== 0) {
      if (!/NOT_FOUND|not found/i.test(found.stderr)) throw new Error(`gcloud artifacts repositories describe failed: ${cliError(found)}`);
      o.log(`Creating the Artifact Registry repository ${arRepo} in ${dep.region}`);
      const made = await run(['artifacts', 'repositories', 'create', arRepo, '--repository-format=docker', ...scope]);
      if (made.code !== 0) throw new Error(`gcloud artifacts repositories create failed: ${cliError(made)}`);
    }
    const tok = await run(['auth', 'print-access-token']);
    if (tok.code !== 0 || !tok.stdout.trim()) throw new Error(`gcloud auth print-access-token failed: ${cliError(tok)}`);
    return { username: 'oauth2accesstoken', password: tok.stdout.trim(), serveraddress: host };
  }
  const acr = host.replace(/\.azurecr\.io$/, '');
  const tok = await run(['acr', 'login', '--name', acr, '--expose-token', '--output', 'json']);
  if (tok.code !== 0) throw new Error(`az acr login --name ${acr} failed: ${cliError(tok)}`);
  const t = JSON.parse(tok.stdout) as { accessToken?: string; loginServer?: string };
  if (!t.accessToken) throw new Error('az acr login --expose-token gave no accessToken');
  return { username: '00000000-0000-0000-0000-000000000000', password: t.accessToken, serveraddress: t.loginServer ?? host };
}
