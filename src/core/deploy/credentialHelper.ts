/**
 * Runs a Docker credential helper (`docker-credential-<name> get`, the protocol `docker login` uses with
 * credsStore / credHelpers): the server URL goes to its stdin, and it answers JSON {ServerURL, Username, Secret}.
 * A Username of "<token>" means Secret is an identity token. Never a shell: the helper gets an argument array.
 */
import { spawn } from 'node:child_process';
import type { RegistryAuth } from '../docker/dockerEngine';

const DEFAULT_TIMEOUT_MS = 15_000;

export class CredentialHelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialHelperError';
  }
}

/** What the helper printed, or why it failed; `notFound` when it says it has no credentials for the URL. */
function runHelper(
  helper: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ stdout: string } | { notFound: true }> {
  const command = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CredentialHelperError(`${command} did not answer within ${timeoutMs / 1000} s (is it waiting to be unlocked?)`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CredentialHelperError(e.code === 'ENOENT' ? `${command} is not on PATH` : `${command} could not run: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const said = `${stdout}\n${stderr}`.trim();
      if (code === 0) resolve({ stdout });
      else if (/credentials not found/i.test(said)) resolve({ notFound: true });
      else reject(new CredentialHelperError(`${command} get failed (exit ${code}): ${said.split('\n')[0] || 'no output'}`));
    });
    child.stdin.on('error', () => undefined); // a helper that exits without reading
    child.stdin.end(serverUrl);
  });
}

/**
 * The credentials `helper` keeps for `serverUrl` (e.g. "ghcr.io", "https://index.docker.io/v1/"), or undefined
 * when it has none. Throws CredentialHelperError when the helper is missing, fails or hangs.
 */
export async function credentialsFromHelper(
  helper: string,
  serverUrl: string,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RegistryAuth | undefined> {
  const out = await runHelper(helper, serverUrl, opts.env ?? process.env, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if ('notFound' in out) return undefined;
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(out.stdout) as typeof answer;
  } catch {
    throw new CredentialHelperError(`docker-credential-${helper} get answered something that is not JSON`);
  }
  const secret = typeof answer.Secret === 'string' ? answer.Secret : '';
  const username = typeof answer.Username === 'string' ? answer.Username : '';
  if (!secret) return undefined; // some helpers answer empty fields instead of "credentials not found"
  if (username === '<token>') return { identitytoken: secret, serveraddress: serverUrl };
  return { username, password: secret, serveraddress: serverUrl };
}
