import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { defaultHelperDir } from '../runs/buildChildCommand';
import type { Params } from '../runs/runTypes';
import type { Direction, PrunerSpec, SpaceParam } from './searchSpace';
import type { BestTrial } from './studyTypes';

export type { BestTrial } from './studyTypes';

/** The shipped Optuna driver, next to mlw_run.py. */
export const OPTUNA_DRIVER = 'mlw_optuna.py';

/** Where studies live: `<workspace>/.mlw/studies/<name>.db` (SQLite, Optuna's RDB storage). */
export const studyPath = (workspace: string, name: string): string => path.join(workspace, '.mlw', 'studies', `${name}.db`);

/** What the driver needs to open (or make) a study. Travels as one JSON argument, never through a shell. */
export interface StudyConfig {
  storage: string;
  study: string;
  direction: Direction;
  method: 'tpe' | 'random';
  seed: number | null;
  parallel: number;
  /** `val_loss:min`: kept in the study so that a resume with another objective is refused. */
  objective: string;
  pruner: PrunerSpec | null;
  space: SpaceParam[];
}

export type TrialOutcome = 'complete' | 'pruned' | 'fail' | 'stopped';

/** Why the driver could not do what was asked. `missing-optuna`: the interpreter has no Optuna. */
export class StudyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StudyError';
  }
}

/** The one-line message for an interpreter without Optuna, naming the package and the interpreter setting. */
export function missingOptunaMessage(interpreter: string, setting: string): string {
  return `Bayesian sweeps need Optuna, which ${interpreter} cannot import: install python3-optuna (apt-get install python3-optuna), or choose an interpreter that has it (${setting}).`;
}

/** The driver script; throws when this installation lacks it. */
export function driverScript(helperDir = defaultHelperDir()): string {
  const file = helperDir && path.join(helperDir, OPTUNA_DRIVER);
  if (!file || !existsSync(file)) throw new StudyError('no-driver', `The Optuna driver ${OPTUNA_DRIVER} is missing from this installation`);
  return file;
}

type Reply = Record<string, unknown>;

/**
 * One running `mlw_optuna.py serve`: Optuna's ask/tell over JSON lines on the child's stdin/stdout, one request at a
 * time in order. The study stays in its SQLite file, so a driver that dies loses nothing told to it.
 */
export class StudyDriver {
  private buffer = '';
  private readonly waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.stdin?.on('error', () => undefined); // a dead driver is reported through `exit`
    const fail = (e: Error) => {
      this.exited = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    child.once('error', (e) => fail(new StudyError('no-interpreter', `Cannot start the Optuna driver: ${e.message}`)));
    child.once('close', (code, signal) => {
      const last = this.stderr.trim().split('\n').slice(-3).join(' | ');
      fail(new StudyError('driver-exited', `The Optuna driver exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`));
    });
  }

  /** The first reply, `{ready, trials, resumed}`: how many trials the study already counts. */
  readonly ready!: { trials: number; resumed: boolean; stale: number; best: BestTrial | null };

  /** Starts the driver on the study (made when new); rejects with a StudyError (`missing-optuna`, `mismatch`, ...). */
  static async open(interpreter: string, config: StudyConfig, helperDir?: string): Promise<StudyDriver> {
    const child = spawn(interpreter, ['-u', driverScript(helperDir), 'serve', JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      windowsHide: true,
    });
    const driver = new StudyDriver(child);
    const ready = await driver.next();
    (driver as { ready: StudyDriver['ready'] }).ready = ready as unknown as StudyDriver['ready'];
    return driver;
  }

  async ask(): Promise<{ trial: number; params: Params }> {
    const r = await this.request({ op: 'ask' });
    return { trial: r.trial as number, params: r.params as Params };
  }

  /** Reports an intermediate objective value; true when the trial should stop (the driver has written its run's prune signal). */
  async report(trial: number, step: number, value: number, runDir: string): Promise<boolean> {
    const r = await this.request({ op: 'report', trial, step, value: Number.isFinite(value) ? value : null, runDir });
    return r.prune === true;
  }

  async tell(trial: number, state: TrialOutcome, value: number | undefined, runId: string | undefined): Promise<BestTrial | null> {
    const r = await this.request({
      op: 'tell',
      trial,
      state,
      value: value !== undefined && Number.isFinite(value) ? value : null,
      runId,
    });
    return (r.best as BestTrial | null) ?? null;
  }

  async close(): Promise<void> {
    if (!this.exited) await this.request({ op: 'close' }).catch(() => undefined);
    if (!this.exited) this.child.kill();
  }

  /** Stops the driver at once (Ctrl-C): what it was told is already in the study file. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private async request(body: Reply): Promise<Reply> {
    if (this.exited) throw this.exited;
    const reply = this.next();
    this.child.stdin?.write(`${JSON.stringify(body)}\n`);
    return reply;
  }

  private next(): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject })).then((r) => {
      if (typeof r.error === 'string') throw new StudyError(r.error, String(r.message ?? r.error));
      return r;
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        continue; // not ours (a library printing on stdout)
      }
      this.waiting.shift()?.resolve(reply);
    }
  }
}
