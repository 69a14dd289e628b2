/**
 * The port of a local model server across restarts: the last port a model was served on, when it is still free,
 * so a restart (or the next session) keeps the URL clients and bookmarks use. No vscode here.
 */
import * as net from 'node:net';

/** True when nothing listens on host:port (a listener there can bind it now). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The port to pass to the server: the preferred one when free, else 0 (any free port). */
export async function choosePort(preferred: number | undefined, host = '127.0.0.1'): Promise<number> {
  return preferred !== undefined && (await isPortFree(preferred, host)) ? preferred : 0;
}

/** The port of a server URL such as http://127.0.0.1:35665, or undefined. */
export function portOfUrl(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const port = Number(new URL(url).port);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Last port per model file, as kept in workspace state: { [modelPath]: port }. */
export type PortMemory = Record<string, number>;

export function rememberPort(memory: PortMemory | undefined, modelPath: string, port: number | undefined): PortMemory {
  const next = { ...(memory ?? {}) };
  if (port) next[modelPath] = port;
  return next;
}
