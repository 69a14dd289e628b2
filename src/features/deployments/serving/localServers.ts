import * as vscode from 'vscode';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../../../core/logger';
import { UserError } from '../../../vscode/userError';
import { executionProviderArgs } from '../../../vscode/executionProviderArgs';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import { Disposable } from '../../../vscode/disposable';
import { DriftWatch, type DriftTarget } from './driftWatch';
import { captureServeArgs } from './captureSetting';
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
/** Workspace state: the servers running when the window last changed them (ServerRecord[]), for reattaching after a reload. */
export const RUNNING_STATE_KEY = 'mlWorkbench.localServersRunning';
const STDERR_TAIL_LINES = 20;

/** What a running server leaves in workspace state, so a reloaded window can reattach to it. */
export interface ServerRecord {
  pid: number;
  modelPath: string;
  logFile: string;
  url?: string;
  /** Its capture rate (absent: off). */
  captureRate?: number;
  /** A server of a registry alias (`clf@champion`, run in `workspace`): it follows the alias. */
  ref?: AliasRef;
}

/** A registry reference a server serves and follows (`mlw serve NAME@ALIAS` in the workspace folder). */
export interface AliasRef {
  workspace: string;
  /** `NAME@ALIAS`. */
  text: string;
  /** The registry version it serves now (updated when the server rolls). */
  version?: number;
}

/**
 * One `dist/server.js` child process serving one model file. Its stdout and stderr go to a log file that is followed
 * here (not to pipes): the process then outlives a window reload, and the reloaded window reattaches by following the
 * same file again (see LocalServers.offerReattach).
 */
export class LocalServer {
  state: ServerState = 'starting';
  url: string | undefined;
  models: ServedModelInfo[] = [];
  /** Why it failed, for the tree tooltip. */
  error: string | undefined;
  /** The fraction of requests it captures (mlWorkbench.serve.captureRate when it started); 0: off. */
  captureRate = 0;
  startedAt = Date.now();
  /** The server process: our child, or one a previous window started (adopted). */
  pid: number | undefined;
  logFile: string | undefined;
  private child: ChildProcess | undefined;
  private stderrTail: string[] = [];
  private exited: Promise<void> = Promise.resolve();
  private killTimer: NodeJS.Timeout | undefined;
  private tail: FileTail | undefined;
  /** Set for a server of a registry alias (see AliasRef): launched with NAME@ALIAS in the workspace folder. */
  ref: AliasRef | undefined;

  constructor(
    readonly id: number,
    readonly modelPath: string,
    readonly log: vscode.LogOutputChannel,
    private readonly serverScript: string,
    private readonly changed: (s: LocalServer) => void,
    private readonly logDir: string = path.join(os.tmpdir(), 'mlw-local-servers'),
  ) {}

  get label(): string {
    return this.ref ? this.ref.text : path.basename(this.modelPath);
  }

  /** What its last port is remembered by: the model file, or the alias in its workspace. */
  get portKey(): string {
    return this.ref ? `${this.ref.workspace}#${this.ref.text}` : this.modelPath;
  }

  get running(): boolean {
    return this.state === 'starting' || this.state === 'ready';
  }

  get record(): ServerRecord | undefined {
    return this.pid && this.logFile && this.running
      ? {
          pid: this.pid,
          modelPath: this.modelPath,
          logFile: this.logFile,
          url: this.url,
          ...(this.captureRate ? { captureRate: this.captureRate } : {}),
          ...(this.ref ? { ref: { ...this.ref } } : {}),
        }
      : undefined;
  }

  private reset(): void {
    this.state = 'starting';
    this.url = undefined;
    this.models = [];
    this.error = undefined;
    this.stderrTail = [];
    this.startedAt = Date.now();
    this.changed(this);
  }

  /**
   * Starts the process; resolves with the URL once every model is loaded, rejects with a UserError when it cannot start.
   * `port`: the port to listen on (0: any free port).
   */
  launch(token?: vscode.CancellationToken, port = 0): Promise<string> {
    this.reset();
    const capture = captureServeArgs(this.modelPath);
    this.captureRate = capture.rate;
    const served = this.ref ? this.ref.text : this.modelPath;
    const args = [this.serverScript, served, '--port', String(port), ...executionProviderArgs(), ...capture.args];
    this.log.info(`Starting ${process.execPath} ${args.join(' ')}`);
    mkdirSync(this.logDir, { recursive: true });
    const logFile = path.join(this.logDir, `server-${process.pid}-${this.id}-${Date.now()}.log`);
    const fd = openSync(logFile, 'w');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, {
        // An alias resolves against the workspace's registry, as `mlw serve NAME@ALIAS` run there does.
        cwd: this.ref ? this.ref.workspace : path.dirname(this.modelPath),
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', fd, fd],
        windowsHide: true,
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.pid = child.pid;
    this.logFile = logFile;
    return this.follow(token, (onExit) => {
      child.once('exit', (code, signal) => onExit(code, signal));
      child.once('error', (e) => {
        this.log.error(`Could not start the server process: ${e.message}`);
        onExit(null, null, e.message);
      });
    });
  }

  /** Follows a server a previous window started (still running after a reload); resolves once it is ready again. */
  adopt(record: ServerRecord): Promise<string> {
    this.reset();
    this.pid = record.pid;
    this.logFile = record.logFile;
    this.captureRate = typeof record.captureRate === 'number' ? record.captureRate : 0;
    this.log.info(`Reattached to server process ${record.pid} (log ${record.logFile})`);
    return this.follow(undefined, (onExit) => {
      const timer = setInterval(() => {
        if (!isAlive(record.pid)) {
          clearInterval(timer);
          onExit(this.state === 'stopping' ? 0 : null, null);
        }
      }, 500);
    });
  }

  private follow(
    token: vscode.CancellationToken | undefined,
    watchExit: (onExit: (code: number | null, signal: NodeJS.Signals | null, error?: string) => void) => void,
  ): Promise<string> {
    this.tail?.stop();
    let settled = false;
    let resolveReady: (url: string) => void = () => undefined;
    let rejectReady: (e: Error) => void = () => undefined;
    const ready = () => {
      if (settled) return;
      settled = true;
      resolveReady(this.url ?? '');
    };
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      this.error = message;
      // The server's own words: warning and error lines of its stderr, without the one already in the message.
      const lines = this.stderrTail
        .map((line) => {
          const entry = parseJsonLine(line);
          if (!entry) return line.trim();
          return entry.level === 'warn' || entry.level === 'error' ? String(entry.message) : '';
        })
        .filter((line) => line && !line.includes(message) && !message.includes(line))
        .slice(-3)
        .join('\n');
      rejectReady(
        new UserError(`Could not serve ${this.label}: ${message}${lines ? `\n${lines}` : ''}`, [
          { title: 'Open Server Log', run: () => this.log.show() },
        ]),
      );
    };
    const promise = new Promise<string>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const logFile = this.logFile!;
    const tail = new FileTail(logFile, (line) => this.onLine(line, ready));
    this.tail = tail;
    let exitSeen = false;
    this.exited = new Promise<void>((done) => {
      watchExit((code, signal, error) => {
        if (exitSeen) return;
        exitSeen = true;
        clearTimeout(this.killTimer);
        tail.stop(); // reads what is left first
        rmSync(logFile, { force: true }); // its lines are in the output channel
        if (this.tail === tail) this.tail = undefined;
        this.child = undefined;
        if (error) {
          this.state = 'failed';
          this.error = error;
        } else {
          const clean = this.state === 'stopping' || code === 0;
          this.log.info(`Server process exited (${signal ?? `code ${code}`})`);
          this.state = clean ? 'stopped' : 'failed';
          if (!clean && !this.error) this.error = this.lastError() ?? `exited with ${signal ?? `code ${code}`}`;
        }
        fail(this.error ?? `the server stopped before it was ready (${signal ?? `code ${code}`})`);
        this.changed(this);
        done();
      });
    });
    token?.onCancellationRequested(() => {
      if (settled) return;
      void this.stop();
      settled = true;
      rejectReady(new vscode.CancellationError());
    });
    return promise;
  }

  /** A line of the log file: the server's JSON events (stdout) or its log lines and fatal messages (stderr). */
  private onLine(line: string, ready: () => void): void {
    const event = parseJsonLine(line);
    if (event && typeof event.event === 'string') {
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
          ready();
          break;
        case 'request':
          this.log.info(
            `${String(event.method)} ${String(event.path)} ${String(event.status)} ${String(event.ms)} ms${event.batch ? ` batch=${String(event.batch)}` : ''}`,
          );
          break;
        case 'closed':
          this.log.info('Drained and closed.');
          break;
        case 'rolled':
          // The alias moved (promote, rollback): the server swapped the version in (followAlias.ts).
          if (this.ref && typeof event.to === 'number') this.ref.version = event.to;
          this.log.info(`${String(event.ref)} moved: rolled from version ${String(event.from)} to ${String(event.to)}`);
          this.changed(this);
          break;
        default:
          this.log.info(line);
      }
      return;
    }
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    const message = event && typeof event.message === 'string' ? event.message : line;
    switch (event?.level) {
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
        // Plain (non-JSON) lines are the server's fatal messages and Node warnings.
        if (event) this.log.info(message);
        else this.log.warn(message);
    }
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
    const pid = this.child?.pid ?? this.pid;
    if (!this.running && this.state !== 'stopping') return this.exited;
    if (!pid || !isAlive(pid)) return this.exited;
    if (this.state !== 'stopping') {
      this.state = 'stopping';
      this.changed(this);
      this.log.info('Stopping (SIGTERM)…');
      signalProcess(pid, 'SIGTERM');
      this.killTimer = setTimeout(() => {
        if (isAlive(pid)) {
          this.log.warn(`Still running ${KILL_AFTER_MS / 1000} s after SIGTERM; killing it.`);
          signalProcess(pid, 'SIGKILL');
        }
      }, KILL_AFTER_MS);
    }
    return this.exited;
  }

  /** Stops following the log without stopping the process (the window is going away; a reload reattaches). */
  detach(): void {
    this.tail?.stop();
    this.child?.unref();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Follows a growing file line by line (polling: fs.watch misses appends on some file systems). */
class FileTail {
  private offset = 0;
  private buffered = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {
    this.timer = setInterval(() => this.read(), 200);
    this.read();
  }

  private read(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.buffered += this.decoder.write(chunk.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).replace(/\r$/, '');
      this.buffered = this.buffered.slice(nl + 1);
      if (line) this.onLine(line);
    }
  }

  /** Reads what is left, then stops. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.read();
    if (this.buffered) this.onLine(this.buffered);
    this.buffered = '';
  }
}

/** The identity a local server has in the monitor and the drift watch. */
export function localMonitorKey(server: LocalServer): DriftTarget {
  return { key: `local:${server.id}`, label: server.label, file: (model) => server.models.find((m) => m.name === model)?.path };
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
    // A window reload deactivates the extension: the servers keep running (their output goes to a file, not to us)
    // and the reloaded window offers to reattach. Stop Server ends one for good.
    this.track({
      dispose: () => {
        for (const s of this.servers) {
          s.detach();
          s.log.dispose();
        }
      },
    });
  }

  private serverLog(id: number, modelPath: string): vscode.LogOutputChannel {
    return vscode.window.createOutputChannel(`ML Server ${id}: ${path.basename(modelPath)}`, { log: true });
  }

  private saveRunning(): void {
    if (!this.state) return;
    const records = this.servers.map((s) => s.record).filter((r): r is ServerRecord => r !== undefined);
    if (JSON.stringify(records) !== JSON.stringify(this.state.get(RUNNING_STATE_KEY) ?? []))
      void this.state.update(RUNNING_STATE_KEY, records);
  }

  /** The servers a previous window of this workspace left running: their process is alive and their URL answers. */
  async leftRunning(): Promise<ServerRecord[]> {
    const records = this.state?.get<ServerRecord[]>(RUNNING_STATE_KEY) ?? [];
    const alive: ServerRecord[] = [];
    for (const r of records) {
      if (this.servers.some((s) => s.pid === r.pid) || !isAlive(r.pid) || !existsSync(r.logFile) || !r.url) continue;
      const live = await fetch(`${r.url}/v2/health/live`, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.ok,
        () => false,
      );
      if (live) alive.push(r);
    }
    return alive;
  }

  /** After a reload: offers to reattach to the servers the previous window left running, or to stop them. */
  async offerReattach(): Promise<void> {
    const left = await this.leftRunning();
    if (left.length === 0) {
      if ((this.state?.get<ServerRecord[]>(RUNNING_STATE_KEY) ?? []).length && !this.servers.length)
        void this.state?.update(RUNNING_STATE_KEY, []);
      return;
    }
    const what = left.map((r) => `${path.basename(r.modelPath)} at ${r.url}`).join(', ');
    const choice = await vscode.window.showInformationMessage(
      `${left.length === 1 ? 'A model server' : `${left.length} model servers`} from before the reload ${left.length === 1 ? 'is' : 'are'} still running: ${what}.`,
      'Reattach',
      'Stop',
    );
    if (choice === 'Reattach') await Promise.all(left.map((r) => this.reattach(r)));
    else if (choice === 'Stop') {
      for (const r of left) signalProcess(r.pid, 'SIGTERM');
      void this.state?.update(RUNNING_STATE_KEY, []);
    }
  }

  /** Follows a server a previous window started; resolves once it is listed as ready again. */
  async reattach(record: ServerRecord): Promise<LocalServer> {
    const id = this.nextId++;
    const script = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
    const server = new LocalServer(id, record.modelPath, this.serverLog(id, record.modelPath), script, (s) => this.changed(s));
    if (record.ref && typeof record.ref.workspace === 'string' && typeof record.ref.text === 'string') server.ref = { ...record.ref };
    this.servers.push(server);
    this.logger.info(`Reattached to the server of ${record.modelPath} at ${record.url} (process ${record.pid})`);
    await server.adopt(record);
    return server;
  }

  get all(): readonly LocalServer[] {
    return this.servers;
  }

  /**
   * The server at `url`. The port is kept across restarts, so a stopped server still listed and the one serving the
   * same file since share the URL: the one `fits` (a command's own filter: Stop a running one, Remove a stopped one),
   * else the running one, else the newest.
   */
  byUrl(url: string, fits?: (s: LocalServer) => boolean): LocalServer | undefined {
    const norm = url.replace(/\/+$/, '');
    const at = this.servers.filter((s) => s.url === norm).reverse();
    return (fits && at.find(fits)) ?? at.find((s) => s.running) ?? at[0];
  }

  runningFor(modelPath: string): LocalServer | undefined {
    return this.servers.find((s) => s.running && !s.ref && s.modelPath === modelPath);
  }

  /** The running server of a registry alias (`NAME@ALIAS`) in a workspace folder. */
  runningForRef(workspace: string, text: string): LocalServer | undefined {
    return this.servers.find((s) => s.running && s.ref?.workspace === workspace && s.ref.text === text);
  }

  /**
   * Starts a server for a model file, or for a registry alias (`ref`: it serves `modelPath`, the alias's version
   * now, and follows the alias), and resolves with it once ready.
   */
  async start(modelPath: string, token?: vscode.CancellationToken, ref?: AliasRef): Promise<LocalServer> {
    const id = this.nextId++;
    const log = this.serverLog(id, ref ? ref.text : modelPath);
    const script = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
    const server = new LocalServer(id, modelPath, log, script, (s) => this.changed(s));
    if (ref) server.ref = { ...ref };
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
    const port = await choosePort(last ?? this.state?.get<PortMemory>(PORTS_STATE_KEY)?.[server.portKey]);
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
      if (this.state && port && this.state.get<PortMemory>(PORTS_STATE_KEY)?.[server.portKey] !== port)
        void this.state.update(PORTS_STATE_KEY, rememberPort(this.state.get<PortMemory>(PORTS_STATE_KEY), server.portKey, port));
      this.drift.watch(
        localMonitorKey(server),
        url,
        server.models.map((m) => m.name),
        () => server.state === 'ready' && server.url === url,
        () => runCommand(Command.openServerMonitor, url),
      );
    }
    this.saveRunning();
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
