import * as vscode from 'vscode';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../../../core/logger';
import { UserError } from '../../../vscode/userError';
import { executionProviderArgs } from '../../../vscode/executionProviderArgs';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { Disposable } from '../../../vscode/disposable';
import { DriftWatch } from './driftWatch';
import { choosePort, portOfUrl, rememberPort, type PortMemory } from '../../../core/deploy/localPort';

export type ServerState = 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';

export interface ServedModelInfo {
  name: string;
  path: string;
  batching: boolean;
}

const KILL_AFTER_MS = 5_000;
/** Workspace state: the last port of each model file's server ({ [modelPath]: port }). */
export const PORTS_STATE_KEY = 'mlWorkbench.localServerPorts';
const STDERR_TAIL_LINES = 20;

/** One `dist/server.js` child process serving one model file. */
export class LocalServer {
  state: ServerState = 'starting';
  url: string | undefined;
  models: ServedModelInfo[] = [];
  /** Why it failed, for the tree tooltip. */
  error: string | undefined;
  startedAt = Date.now();
  private child: ChildProcess | undefined;
  private stderrTail: string[] = [];
  private exited: Promise<void> = Promise.resolve();
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    readonly modelPath: string,
    readonly log: vscode.LogOutputChannel,
    private readonly serverScript: string,
    private readonly changed: (s: LocalServer) => void,
  ) {}

  get label(): string {
    return path.basename(this.modelPath);
  }

  get running(): boolean {
    return this.state === 'starting' || this.state === 'ready';
  }

  /**
   * Starts the process; resolves with the URL once every model is loaded, rejects with a UserError when it cannot start.
   * `port`: the port to listen on (0: any free port).
   */
  launch(token?: vscode.CancellationToken, port = 0): Promise<string> {
    this.state = 'starting';
    this.url = undefined;
    this.models = [];
    this.error = undefined;
    this.stderrTail = [];
    this.startedAt = Date.now();
    this.changed(this);
    const args = [this.serverScript, this.modelPath, '--port', String(port), ...executionProviderArgs()];
    this.log.info(`Starting ${process.execPath} ${args.join(' ')}`);
    const child = spawn(process.execPath, args, {
      cwd: path.dirname(this.modelPath),
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;

    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        this.error = message;
        // The server's own words: warning and error lines of its stderr, without the one already in the message.
        const tail = this.stderrTail
          .map((line) => {
            const entry = parseJsonLine(line);
            if (!entry) return line.trim();
            return entry.level === 'warn' || entry.level === 'error' ? String(entry.message) : '';
          })
          .filter((line) => line && !line.includes(message) && !message.includes(line))
          .slice(-3)
          .join('\n');
        reject(
          new UserError(`Could not serve ${this.label}: ${message}${tail ? `\n${tail}` : ''}`, [
            { title: 'Open Server Log', run: () => this.log.show() },
          ]),
        );
      };
      this.exited = new Promise<void>((done) => {
        child.once('exit', (code, signal) => {
          clearTimeout(this.killTimer);
          this.child = undefined;
          const clean = this.state === 'stopping' || code === 0;
          this.log.info(`Server process exited (${signal ?? `code ${code}`})`);
          this.state = clean ? 'stopped' : 'failed';
          if (!clean && !this.error) this.error = this.lastError() ?? `exited with ${signal ?? `code ${code}`}`;
          fail(this.error ?? `the server stopped before it was ready (${signal ?? `code ${code}`})`);
          this.changed(this);
          done();
        });
      });
      child.once('error', (e) => {
        this.log.error(`Could not start the server process: ${e.message}`);
        this.state = 'failed';
        this.error = e.message;
        fail(e.message);
        this.changed(this);
      });
      readLines(child.stdout!, (line) => {
        const event = parseJsonLine(line);
        if (!event) {
          this.log.info(line);
          return;
        }
        switch (event.event) {
          case 'listening':
            if (typeof event.url === 'string') this.url = event.url;
            this.log.info(`Listening on ${this.url}; loading the model…`);
            this.changed(this);
            break;
          case 'ready':
            if (typeof event.url === 'string') this.url = event.url;
            this.models = Array.isArray(event.models) ? event.models.filter(isModelInfo) : [];
            this.state = 'ready';
            this.log.info(`Ready at ${this.url}: ${this.models.map((m) => m.name).join(', ')}`);
            this.changed(this);
            if (!settled) {
              settled = true;
              resolve(this.url ?? '');
            }
            break;
          case 'request':
            this.log.info(
              `${String(event.method)} ${String(event.path)} ${String(event.status)} ${String(event.ms)} ms${event.batch ? ` batch=${String(event.batch)}` : ''}`,
            );
            break;
          case 'closed':
            this.log.info('Drained and closed.');
            break;
          default:
            this.log.info(line);
        }
      });
      readLines(child.stderr!, (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        const entry = parseJsonLine(line);
        const message = entry && typeof entry.message === 'string' ? entry.message : line;
        switch (entry?.level) {
          case 'error':
            this.log.error(message);
            break;
          case 'warn':
            this.log.warn(message);
            break;
          case 'debug':
            this.log.debug(message);
            break;
          default:
            // Plain (non-JSON) stderr lines are the server's fatal messages and Node warnings.
            if (entry) this.log.info(message);
            else this.log.warn(message);
        }
      });
      token?.onCancellationRequested(() => {
        if (settled) return;
        void this.stop();
        settled = true;
        reject(new vscode.CancellationError());
      });
    });
  }

  /** The last error line the server printed, without the JSON wrapper. */
  private lastError(): string | undefined {
    for (const line of [...this.stderrTail].reverse()) {
      const entry = parseJsonLine(line);
      if (entry && entry.level === 'error' && typeof entry.message === 'string') return entry.message;
      if (!entry && line.trim()) return line.trim().replace(/^mlw serve: /, '');
    }
    return undefined;
  }

  /** SIGTERM (the server drains), SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.exited;
    if (this.state !== 'stopping') {
      this.state = 'stopping';
      this.changed(this);
      this.log.info('Stopping (SIGTERM)…');
      child.kill('SIGTERM');
      this.killTimer = setTimeout(() => {
        if (this.child === child) {
          this.log.warn(`Still running ${KILL_AFTER_MS / 1000} s after SIGTERM; killing it.`);
          child.kill('SIGKILL');
        }
      }, KILL_AFTER_MS);
    }
    return this.exited;
  }
}

/** The identity a local server has in the monitor and the drift watch. */
export function localMonitorKey(server: LocalServer): { key: string; label: string } {
  return { key: `local:${server.id}`, label: server.label };
}

/** Every model server the extension started; stopped when the extension deactivates. */
export class LocalServers extends Disposable {
  private readonly servers: LocalServer[] = [];
  private nextId = 1;
  private readonly emitter = this.track(new vscode.EventEmitter<LocalServer | undefined>());
  readonly onDidChange = this.emitter.event;
  /** The one-time drift warning of each ready server, even with no monitor open. */
  readonly drift: DriftWatch;

  constructor(
    readonly extensionUri: vscode.Uri,
    private readonly logger: Logger,
    /** Workspace state, where the last port of each model is kept (PORTS_STATE_KEY). */
    private readonly state?: vscode.Memento,
  ) {
    super();
    this.drift = this.track(new DriftWatch(logger));
    this.track({
      dispose: () =>
        void this.stopAll().then(() => {
          for (const s of this.servers) s.log.dispose();
        }),
    });
  }

  get all(): readonly LocalServer[] {
    return this.servers;
  }

  byUrl(url: string): LocalServer | undefined {
    const norm = url.replace(/\/+$/, '');
    return this.servers.find((s) => s.url === norm);
  }

  runningFor(modelPath: string): LocalServer | undefined {
    return this.servers.find((s) => s.running && s.modelPath === modelPath);
  }

  /** Starts a server for a model file and resolves with it once ready. */
  async start(modelPath: string, token?: vscode.CancellationToken): Promise<LocalServer> {
    const id = this.nextId++;
    const log = vscode.window.createOutputChannel(`ML Server ${id}: ${path.basename(modelPath)}`, { log: true });
    const script = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
    const server = new LocalServer(id, modelPath, log, script, (s) => this.changed(s));
    this.servers.push(server);
    this.logger.info(`Serving ${modelPath} (server ${id})`);
    await this.launch(server, token);
    return server;
  }

  /**
   * Launches on the server's last port (this session's, else the workspace's) when it is still free, so a restart
   * keeps the URL; on any free port otherwise, or when the last one was taken in the meantime.
   */
  private async launch(server: LocalServer, token?: vscode.CancellationToken, last?: number): Promise<void> {
    const port = await choosePort(last ?? this.state?.get<PortMemory>(PORTS_STATE_KEY)?.[server.modelPath]);
    try {
      await server.launch(token, port);
    } catch (e) {
      if (port === 0 || !/EADDRINUSE|address already in use/i.test((e as Error).message)) throw e;
      await server.launch(token, 0);
    }
  }

  private changed(server: LocalServer): void {
    const url = server.url;
    if (server.state === 'ready' && url) {
      const port = portOfUrl(url);
      if (this.state && port && this.state.get<PortMemory>(PORTS_STATE_KEY)?.[server.modelPath] !== port)
        void this.state.update(PORTS_STATE_KEY, rememberPort(this.state.get<PortMemory>(PORTS_STATE_KEY), server.modelPath, port));
      this.drift.watch(
        localMonitorKey(server),
        url,
        server.models.map((m) => m.name),
        () => server.state === 'ready' && server.url === url,
        () => runCommand(Command.openServerMonitor, url),
      );
    }
    this.emitter.fire(server);
  }

  async restart(server: LocalServer, token?: vscode.CancellationToken): Promise<LocalServer> {
    const port = portOfUrl(server.url);
    await server.stop();
    await this.launch(server, token, port);
    return server;
  }

  async stop(server: LocalServer): Promise<void> {
    await server.stop();
  }

  /** Forgets a stopped or failed server and closes its log. */
  remove(server: LocalServer): void {
    const i = this.servers.indexOf(server);
    if (i < 0) return;
    this.servers.splice(i, 1);
    void server.stop().then(() => server.log.dispose());
    this.emitter.fire(undefined);
  }

  stopAll(): Promise<void> {
    return Promise.all(this.servers.map((s) => s.stop())).then(() => undefined);
  }
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).replace(/\r$/, '');
      buffered = buffered.slice(nl + 1);
      if (line) onLine(line);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
    buffered = '';
  });
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isModelInfo(v: unknown): v is ServedModelInfo {
  return typeof v === 'object' && v !== null && typeof (v as ServedModelInfo).name === 'string';
}
