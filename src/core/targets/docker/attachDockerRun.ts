import { existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { LABELS } from '../../docker/dockerEngine';
import { silentLogger } from '../../logger';
import type { ChildOutcome } from '../../runs/finishRun';
import { HEARTBEAT_INTERVAL_MS, processIdentity } from '../../runs/processLiveness';
import { DEFAULT_ARTIFACT_EXTENSIONS } from '../../runs/scanArtifacts';
import { STOP_FILE } from '../../runs/stopRunById';
import { METRICS_FILE, OUTPUT_FILE, type Run } from '../../runs/runTypes';
import { OUTPUTS_DIR, type AttachOptions, type RemoteRunHandle } from '../remoteRunTypes';
import { finishRemoteRun } from '../finishRemoteRun';
import { saveTargetState } from '../saveTargetState';
import { REMOTE_EXIT_FILE } from '../remoteJob';
import type { RunTargetState } from '../targetTypes';
import { connectTargetEngine, type TargetEngine } from './connectTargetEngine';
import { extractArchive, SHIPPED_BEFORE_MS } from './containerArchive';
import { DockerFollower } from './DockerFollower';
import { CONTAINER_DIR, readDockerTarget } from './dockerTargetSpec';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statusOf = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** The run's container: by its recorded id, else by the run-id label (re-attach after a restart). */
async function findContainer(docker: Docker, t: RunTargetState, runId: string): Promise<Docker.Container | undefined> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.runId}=${runId}`] } });
  const hit = list.find((c) => !t.jobId || c.Id.startsWith(t.jobId)) ?? list[0];
  return hit ? docker.getContainer(hit.Id) : undefined;
}

interface Probe {
  down?: boolean;
  state?: string;
  ended?: ChildOutcome;
}

async function probe(container: Docker.Container, stopRequested: boolean): Promise<Probe> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await container.inspect();
  } catch (e) {
    if (statusOf(e) === 404)
      return { state: 'REMOVED', ended: { code: null, signal: null, error: "The run's container was removed before it ended" } };
    return { down: true };
  }
  const s = info.State;
  if (s.Running || s.Status === 'created' || s.Status === 'restarting') return { state: s.Status.toUpperCase() };
  if (stopRequested) return { state: 'STOPPED', ended: { code: null, signal: 'SIGTERM' } };
  if (s.OOMKilled)
    return { state: 'OOMKILLED', ended: { code: s.ExitCode, signal: null, error: 'The container ran out of memory (OOM killed)' } };
  return { state: s.ExitCode === 0 ? 'EXITED' : 'FAILED', ended: { code: s.ExitCode, signal: null } };
}

/**
 * Follows a run in its container until it ends (right after submitDockerRun, or again after a restart): tails its
 * metrics and output into the local run while it runs, polls the container's state, marks "unreachable since" while
 * the engine does not answer, and at the end copies the run folder (getArchive of /mlw/run) and the model files the
 * run wrote in its code folder back, removes the container, and records the outcome as for a local run (exit status
 * → finished/failed; Stop → stopped).
 */
export async function attachDockerRun(o: AttachOptions): Promise<RemoteRunHandle> {
  const { store, target } = o;
  const logger = o.logger ?? silentLogger;
  const spec = readDockerTarget(target);
  const run0 = await store.readRawRun(o.runId);
  if (!run0?.target) throw new Error(`Run ${o.runId} is not a run on a compute target`);
  let run: Run = await store.updateRun(run0.id, (r) => {
    r.owner = { ...r.owner, launcher: processIdentity() };
  });
  const dir = store.runDir(run.id);
  const pollMs = o.pollMs ?? 2000;
  let engine: TargetEngine | undefined;
  let container: Docker.Container | undefined;
  let followers: DockerFollower[] = [];
  let stopRequested = false;
  let stopSent = false;
  let detached = false;
  let resolveStop: (() => void) | undefined;
  const wake = () => resolveStop?.();
  const heartbeat = setInterval(() => void store.touchHeartbeat(run.id).catch(() => undefined), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  await store.touchHeartbeat(run.id).catch(() => undefined);
  const label = () => engine?.label || run.target?.host || target.name;

  const save = async (change: (t: RunTargetState) => void) => {
    run = await saveTargetState(store, run, change, o.onState);
  };

  /** The engine and the container, (re)found; false while the engine does not answer. */
  const reach = async (): Promise<boolean> => {
    try {
      engine ??= await connectTargetEngine(spec, store.workspace, { controlDir: o.controlDir });
      if (!container) {
        container = await findContainer(engine.docker, run.target as RunTargetState, run.id);
        if (!container) return true;
        followers = [
          new DockerFollower(container, `${CONTAINER_DIR}/run/${METRICS_FILE}`, path.join(dir, METRICS_FILE)),
          new DockerFollower(container, `${CONTAINER_DIR}/run/${OUTPUT_FILE}`, path.join(dir, OUTPUT_FILE), o.onOutput),
        ].map((f) => f.start());
      }
      return true;
    } catch {
      return false;
    }
  };

  const loop = async (): Promise<ChildOutcome | 'detached'> => {
    let lastSaved = 0;
    for (;;) {
      if (detached) return 'detached';
      if (!stopRequested && existsSync(path.join(dir, STOP_FILE))) stopRequested = true;
      const up = await reach();
      let p: Probe;
      if (!up) p = { down: true };
      else if (!container)
        p = { state: 'GONE', ended: { code: null, signal: null, error: `No container of run ${run.id} on ${label()} (removed?)` } };
      else {
        if (stopRequested && !stopSent) {
          try {
            await container.stop({ t: 10 });
            stopSent = true;
          } catch (e) {
            stopSent = statusOf(e) === 304 || statusOf(e) === 404; // already stopped or gone
          }
        }
        p = await probe(container, stopRequested);
      }
      const now = Date.now();
      if (p.down) {
        if (!run.target?.unreachableSince) logger.warn(`Run ${run.id}: ${label()} does not answer; the run goes on there`);
        await save((s) => (s.unreachableSince ??= now));
      } else {
        const fresh = now - lastSaved > 15_000;
        await save((s) => {
          if (s.unreachableSince) logger.info(`Run ${run.id}: ${label()} answers again`);
          delete s.unreachableSince;
          if (p.state) s.state = p.state;
          if (fresh || p.ended) s.lastContact = now;
        });
        if (fresh) lastSaved = now;
        if (p.ended) return p.ended;
      }
      await new Promise<void>((resolve) => {
        resolveStop = resolve;
        setTimeout(resolve, pollMs);
      });
    }
  };

  const closeFollowers = () => Promise.all(followers.map((f) => f.close()));

  const finish = async (outcome: ChildOutcome): Promise<Run> => {
    await closeFollowers();
    const outputFile = path.join(dir, OUTPUT_FILE);
    for (let attempt = 0; container; attempt++) {
      try {
        const shown = await fsp.stat(outputFile).then(
          (s) => s.size,
          () => 0,
        );
        // The whole run folder: metrics.jsonl and stdout.log as the container has them (the local copies are prefixes).
        await extractArchive(
          await container.getArchive({ path: `${CONTAINER_DIR}/run` }),
          dir,
          (name) => name !== REMOTE_EXIT_FILE && !name.startsWith(`${REMOTE_EXIT_FILE}.`),
        );
        const rest = await fsp.readFile(outputFile).then(
          (b) => b.subarray(shown).toString('utf8'),
          () => '',
        );
        if (rest) o.onOutput?.(rest);
        await fsp.mkdir(path.join(dir, OUTPUTS_DIR), { recursive: true });
        await extractArchive(
          await container.getArchive({ path: `${CONTAINER_DIR}/code` }),
          path.join(dir, OUTPUTS_DIR),
          (name, mtime) => mtime > SHIPPED_BEFORE_MS && DEFAULT_ARTIFACT_EXTENSIONS.some((e) => name.endsWith(e)),
        );
        await container.remove({ force: true });
        break;
      } catch (e) {
        if (statusOf(e) === 404) break; // the container is gone: what was copied live is all there is
        logger.warn(`Run ${run.id}: copying the run back from ${label()}: ${(e as Error).message}; retrying`);
        await save((s) => (s.unreachableSince ??= Date.now()));
        await sleep(pollMs);
      }
    }
    engine?.close();
    await save((s) => {
      delete s.unreachableSince;
      s.lastContact = Date.now();
    });
    clearInterval(heartbeat);
    return finishRemoteRun({
      store,
      run,
      dir,
      outcome,
      stopRequested,
      targetName: target.name,
      snapshotMaxBytes: o.snapshotMaxBytes,
      logger,
    });
  };

  const done = loop()
    .then(async (outcome) => {
      if (outcome !== 'detached') return finish(outcome);
      clearInterval(heartbeat);
      await closeFollowers();
      engine?.close();
      return { ...run };
    })
    .catch(async (e: Error) => {
      clearInterval(heartbeat);
      await closeFollowers();
      engine?.close();
      logger.error(`Run ${run.id}: following it on ${target.name} failed: ${e.message}`);
      return { ...run };
    });
  return {
    id: run.id,
    dir,
    run: { ...run },
    done,
    stop() {
      stopRequested = true;
      wake();
      return done;
    },
    async detach() {
      detached = true;
      wake();
      await done;
    },
  };
}
