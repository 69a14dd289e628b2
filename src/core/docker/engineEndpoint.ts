/** Where a Docker engine answers, and how that was found. */
export interface EngineEndpoint {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https' | 'ssh';
  username?: string;
  /** Folder with ca.pem, cert.pem and key.pem for https (DOCKER_CERT_PATH, a context's TLS folder or ~/.docker). */
  tlsDir?: string;
  /** 'setting' | 'DOCKER_HOST' | 'context <name>' | 'default socket' | 'podman socket' */
  source: string;
  /** e.g. unix:///var/run/docker.sock */
  description: string;
}
