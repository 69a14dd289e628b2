/**
 * Worker processes of one container (SageMaker's SAGEMAKER_MODEL_SERVER_WORKERS): the primary forks N copies of the
 * server (node:cluster, which shares the listening port between them and hands each new connection to the next
 * worker), forwards SIGTERM/SIGINT so each drains, and exits with the worst exit code. A worker that dies on its own
 * stops the others and the container exits 1, so the platform restarts it rather than serving with fewer workers.
 */
import cluster from 'node:cluster';
import type { Logger } from '../../logger';

/** True in the primary process when `workers` > 1 (then call runServerWorkers instead of serving). */
export function isWorkerPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

export function runServerWorkers(workers: number, opts: { signal: AbortSignal; logger: Logger }): Promise<number> {
  return new Promise((resolve) => {
    let left = workers;
    let stopping = false;
    let code = 0;
    const stopAll = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill('SIGTERM');
    };
    opts.signal.addEventListener('abort', stopAll, { once: true });
    cluster.on('exit', (worker, exitCode, signal) => {
      left--;
      const failed = exitCode !== 0 || (signal !== null && !stopping);
      if (failed) code = Math.max(code, exitCode || 1);
      if (!stopping) {
        opts.logger.error(`worker ${worker.process.pid} exited (${signal ?? `code ${exitCode}`}); stopping the other workers`);
        code = Math.max(code, 1);
        stopAll();
      }
      if (left === 0) resolve(code);
    });
    opts.logger.info(`starting ${workers} server worker processes`);
    for (let i = 0; i < workers; i++) cluster.fork();
  });
}
