// A private OpenSSH server on 127.0.0.1 for tests and benchmarks of remote targets (RECIPES.md §7).
//
//   const ssh = await startSshServer({ env: { SLURM_CONF: '/tmp/…/slurm.conf' } });
//   ssh.host          'mlw-login', a Host entry of ssh.configFile (HostName 127.0.0.1, Port, User root,
//                     IdentityFile, UserKnownHostsFile with the server's key: StrictHostKeyChecking stays on)
//   ssh.configFile    pass to ssh with -F (a target's sshConfig)
//   ssh.port, ssh.identityFile, ssh.knownHosts, ssh.dir
//   await ssh.drop()     kills the server and every connection it holds (a link that goes down)
//   await ssh.start()    starts it again on the same port with the same keys
//   await ssh.stop()
//
// Host and client keys are generated per server; nothing of the machine's /etc/ssh is used.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './codeServer.mjs';
import { which } from './which.mjs';

/** What is missing for startSshServer, or undefined. For needs(): `needs(t, 'sshd', !missing, missing)`. */
export function sshServerMissing() {
  const missing = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root (sshd needs it)');
  for (const tool of ['sshd', 'ssh', 'ssh-keygen']) if (!which(tool)) missing.push(tool);
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: apt-get install -y openssh-server openssh-client, and run as root`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function children(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

function descendants(pid) {
  const all = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    for (const c of children(p)) {
      all.push(c);
      queue.push(c);
    }
  }
  return all;
}

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

function canConnect(port) {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.once('data', (d) => {
        s.destroy();
        res(d.toString('latin1').startsWith('SSH-'));
      });
    });
    s.setTimeout(1000, () => {
      s.destroy();
      res(false);
    });
    s.once('error', () => res(false));
  });
}

/**
 * Starts a private sshd on 127.0.0.1.
 * @param {{ env?: Record<string, string>, hostAlias?: string }} [opts] env: variables every session gets (sshd SetEnv),
 *   e.g. SLURM_CONF of a test cluster, as a login node's profile would set them.
 */
export async function startSshServer({ env = {}, hostAlias = 'mlw-login' } = {}) {
  const missing = sshServerMissing();
  if (missing) throw new Error(`cannot start a test sshd: ${missing}`);
  const dir = mkdtempSync(join(tmpdir(), 'mlw-sshd-'));
  const keygen = which('ssh-keygen');
  execFileSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'mlw-test-host', '-f', join(dir, 'host_key')]);
  execFileSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'mlw-test-client', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  const port = await freePort();
  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
  // Bash reads ~/.bashrc for a command sent over ssh when SHLVL says it is the first shell: this machine's rc files
  // (pyenv's rehash lock, a slow prompt) are not the test's, so SHLVL=1 makes the session's bash the second level.
  const setEnv = Object.entries({ SHLVL: '1', ...env }).map(([k, v]) => `${k}=${v}`);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'MaxStartups 100:30:200',
      'MaxSessions 100',
      'ClientAliveInterval 2',
      'ClientAliveCountMax 3',
      'Subsystem sftp internal-sftp',
      `SetEnv ${setEnv.join(' ')}`,
      '',
    ].join('\n'),
  );
  const configFile = join(dir, 'ssh_config');
  writeFileSync(
    configFile,
    [
      `Host ${hostAlias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      '  User root',
      `  IdentityFile ${join(dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true });
  let master;
  const logFile = join(dir, 'sshd.log');

  async function start() {
    // -D: stays in the foreground, so this process owns it; -E: log to a file.
    master = spawn(which('sshd'), ['-D', '-f', join(dir, 'sshd_config'), '-E', logFile], { stdio: 'ignore', detached: true });
    master.unref();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (master.exitCode !== null) {
        throw new Error(
          `sshd exited with code ${master.exitCode}\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : ''}`,
        );
      }
      if (await canConnect(port)) return;
      await sleep(50);
    }
    throw new Error(`sshd did not answer on 127.0.0.1:${port} within 15 s (log: ${logFile})`);
  }

  async function drop() {
    if (!master || master.exitCode !== null) return;
    const pid = master.pid;
    const kids = descendants(pid);
    process.kill(pid, 'SIGKILL');
    for (const k of kids) {
      try {
        process.kill(k, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && [pid, ...kids].some(alive)) await sleep(20);
  }

  await start();
  live.add(drop);
  return {
    host: hostAlias,
    port,
    configFile,
    identityFile: join(dir, 'client_key'),
    knownHosts: join(dir, 'known_hosts'),
    dir,
    logFile,
    start,
    drop,
    async stop() {
      await drop();
      live.delete(drop);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const live = new Set();
process.once('exit', () => {
  for (const drop of live) void drop();
});
