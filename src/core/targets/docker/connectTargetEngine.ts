import type Docker from 'dockerode';
import { findEngine, parseDockerHost, type EngineEndpoint } from '../../docker/findEngine';
import { dockerodeOptions } from '../../docker/pingEndpoint';
import { SshClient } from '../SshClient';
import type { SshEndpoint } from '../targetTypes';
import { DialStdioAgent } from './DialStdioAgent';
import type { DockerTargetSpec } from './dockerTargetSpec';

export interface TargetEngine {
  docker: Docker;
  /** `ssh://me@gpubox`, `unix:///var/run/docker.sock`. */
  label: string;
  /** Ends the engine's kept connections (ssh children). */
  close(): void;
}

/**
 * The engine of a docker target: an ssh:// engine through DialStdioAgent (system OpenSSH + `docker system dial-stdio`
 * on the host), a unix:// or tcp:// one directly, or else the one DOCKER_HOST, the current context or the default
 * socket names (an ssh:// one there goes through OpenSSH too).
 */
export async function connectTargetEngine(
  spec: DockerTargetSpec,
  workspace: string,
  options: { controlDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<TargetEngine> {
  const { default: DockerCtor } = await import('dockerode');
  let endpoint: EngineEndpoint | undefined;
  let ssh: SshEndpoint | undefined = spec.ssh;
  let label = spec.engine ?? '';
  if (!ssh) {
    endpoint = spec.engine
      ? parseDockerHost(spec.engine, `target ${spec.name}`, options.env ?? process.env)
      : await findEngine({ env: options.env });
    label = endpoint.description;
    if (endpoint.protocol === 'ssh') {
      ssh = { host: endpoint.host ?? '' };
      if (endpoint.username) ssh.user = endpoint.username;
      if (endpoint.port && endpoint.port !== 22) ssh.port = endpoint.port;
    }
  }
  if (ssh) {
    const agent = new DialStdioAgent(new SshClient(ssh, workspace, options.controlDir), spec.socket);
    const docker = new DockerCtor({
      protocol: 'http',
      host: 'docker',
      port: 2375,
      agent,
      timeout: options.timeoutMs,
    } as Docker.DockerOptions);
    return { docker, label, close: () => agent.destroy() };
  }
  const docker = new DockerCtor(dockerodeOptions(endpoint!, options.timeoutMs) as Docker.DockerOptions);
  return { docker, label, close: () => undefined };
}
