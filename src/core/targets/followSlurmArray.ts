import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { HEARTBEAT_INTERVAL_MS } from '../runs/processLiveness';
import { STOP_FILE } from '../runs/stopRunById';
import type { Run } from '../runs/runTypes';
import { attachRemoteRun, type AttachOptions, type RemoteRunHandle } from './attachRemoteRun';
import { hostShell } from './hostShell';
import { shellQuote } from './shellQuote';
import type { RunTargetState, SlurmTarget } from './targetTypes';

export interface ArrayFollowOptions extends Omit<AttachOptions, 'runId' | 'target'> {
  target: SlurmTarget;
  arrayJobId: string;
  /** Trial i's run, whose job is `ARRAYID_i`. */
  runIds: string[];
  /** Told each trial once it has left PENDING and is followed as a remote run. */
  onTrial?: (index: number, handle: RemoteRunHandle) => void;
}

export interface ArrayFollower {
  /** Every trial's final run, in trial order. Never rejects. */
  readonly done: Promise<Run[]>;
  /** One `scancel ARRAYID`; pending trials are recorded stopped at once, running ones end stopped. */
  stopAll(): Promise<Run[]>;
}

const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED']);

/**
 * Follows a job array's trials with ONE `squeue -r -j ARRAYID` per poll while they wait: each pending trial's state
 * and reason go to its run.json; a trial that leaves PENDING (running, or gone from the queue) is followed from then
 * on by attachRemoteRun like a single remote run (live metrics, node, Stop, sync back). So a 100-trial array costs
 * one poll of the scheduler plus the connections of the trials actually running. A pending trial stopped
 * elsewhere (its stop marker, as the Runs view writes) is scancelled alone and recorded stopped.
 */
export function followSlurmArray(o: ArrayFollowOptions): ArrayFollower {
  const { store, target, arrayJobId, runIds } = o;
  const n = runIds.length;
  const shell = hostShell(target.ssh, store.workspace, o.controlDir);
  const phase: Array<'waiting' | 'attached' | 'settled'> = runIds.map(() => 'waiting');
  const handles: Array<RemoteRunHandle | undefined> = [];
  const resolvers: Array<(run: Run) => void> = [];
  const finals = runIds.map((_, i) => new Promise<Run>((r) => (resolvers[i] = r)));
  const pollMs = o.pollMs ?? 2000;
  let stopping = false;
  let wake: (() => void) | undefined;

  const attach = async (i: number): Promise<void> => {
    // Once the sweep is being cancelled, the tasks that vanish from squeue are the cancelled ones: stopAll records them.
    if (phase[i] !== 'waiting' || stopping) return;
    phase[i] = 'attached';
    const h = await attachRemoteRun({ ...o, target, runId: runIds[i] });
    handles[i] = h;
    o.onTrial?.(i, h);
    void h.done.then((run) => {
      phase[i] = 'settled';
      resolvers[i](run);
    });
    if (stopping) void h.stop();
  };

  const settleStopped = async (i: number, why?: string): Promise<void> => {
    if (phase[i] !== 'waiting') return;
    phase[i] = 'settled';
    const now = Date.now();
    const run = await store.updateRun(runIds[i], (r) => {
      r.status = 'stopped';
      r.endTime = now;
      r.durationMs = now - (r.startTime ?? now);
      if (why) r.error = why;
      const t = r.target as RunTargetState;
      t.state = 'CANCELLED';
      delete t.reason;
      t.lastContact = now;
    });
    resolvers[i](run);
  };

  const update = async (i: number, s: { state: string; reason?: string; node?: string } | undefined, down: boolean) => {
    const before = await store.readRawRun(runIds[i]);
    const t = before?.target;
    if (!t) return;
    const next: RunTargetState = { ...t };
    if (down) next.unreachableSince ??= Date.now();
    else {
      delete next.unreachableSince;
      if (s) {
        next.state = s.state;
        if (s.reason && s.reason !== 'None') next.reason = s.reason;
        else delete next.reason;
      }
    }
    if (JSON.stringify(next) === JSON.stringify(t)) return;
    await store.updateRun(runIds[i], (r) => {
      r.target = next;
    });
    try {
      o.onState?.({ ...next });
    } catch {
      /* a listener's problem */
    }
  };

  const loop = async (): Promise<void> => {
    let lastBeat = 0;
    while (!stopping && phase.some((p) => p === 'waiting')) {
      const waiting = [...phase.keys()].filter((i) => phase[i] === 'waiting');
      if (Date.now() - lastBeat > HEARTBEAT_INTERVAL_MS) {
        lastBeat = Date.now();
        await Promise.all(waiting.map((i) => store.touchHeartbeat(runIds[i]).catch(() => undefined)));
      }
      const asked = waiting.filter((i) => existsSync(path.join(store.runDir(runIds[i]), STOP_FILE)));
      if (asked.length) {
        const r = await shell.exec(`scancel ${asked.map((i) => shellQuote(`${arrayJobId}_${i}`)).join(' ')}`, { timeoutMs: 30_000 });
        if (!r.linkFailed) for (const i of asked) await settleStopped(i);
      }
      const r = await shell.exec(`squeue -h -r -j ${shellQuote(arrayJobId)} -o '%i|%T|%r|%N' 2>&1 || true`, { timeoutMs: 30_000 });
      const states = new Map<number, { state: string; reason?: string; node?: string }>();
      for (const line of r.stdout.split('\n')) {
        const m = /^(\d+)_(\d+)\|([A-Z_]+)\|([^|]*)\|(.*)$/.exec(line.trim());
        if (m && m[1] === arrayJobId) states.set(Number(m[2]), { state: m[3], reason: m[4], node: m[5] || undefined });
      }
      const listed = states.size > 0 || /Invalid job id/i.test(r.stdout) || r.stdout.trim() === '';
      for (const i of [...phase.keys()].filter((k) => phase[k] === 'waiting')) {
        if (r.linkFailed) await update(i, undefined, true);
        else if (!listed)
          continue; // squeue itself failed (controller restarting): ask again
        else {
          const s = states.get(i);
          if (!s || s.state !== 'PENDING' || ENDED.has(s.state)) await attach(i);
          else await update(i, s, false);
        }
      }
      if (!phase.some((p) => p === 'waiting')) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pollMs);
      });
    }
  };

  const done = loop()
    .catch(async () => {
      // Following them one by one still works (attachRemoteRun retries while the host does not answer).
      for (let i = 0; i < n; i++) await attach(i).catch(() => undefined);
    })
    .then(() => Promise.all(finals));
  return {
    done,
    async stopAll() {
      stopping = true;
      await shell.exec(`scancel ${shellQuote(arrayJobId)}`, { timeoutMs: 30_000 }).catch(() => undefined);
      for (let i = 0; i < n; i++) await settleStopped(i, 'Cancelled with its sweep before it started');
      await Promise.all(handles.map((h) => h?.stop()));
      wake?.();
      return done;
    },
  };
}
