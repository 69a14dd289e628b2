/**
 * A running server follows the registry aliases it serves (`mlw serve clf@champion`): it watches the registry
 * file, and when the alias moves (promote, rollback) it rolls the model to the new version with no failed request
 * (RunningServer.replaceModel), prints {"event":"rolled",...} and updates its record in .mlw/deployments/, where
 * `mlw registry promote` waits to see it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from '../logger';
import { RegistryStore } from '../registry/RegistryStore';
import { removeDeployment, writeDeployment, type ServerDeployment } from '../registry/aliasDeployments';
import { refText, resolveRegistryRef } from '../registry/registryRef';
import { processIdentity } from '../runs/processLiveness';
import type { ModelSource } from './modelSources';
import type { RunningServer } from './startServer';

export interface RollEvent {
  event: 'rolled';
  model: string;
  ref: string;
  from: number;
  to: number;
  loadMs: number;
  warmMs: number;
}

/** Polls the file's mtime too: inotify can miss a rename on some filesystems (network mounts, some containers). */
const POLL_MS = 1000;

export function followAliases(
  server: RunningServer,
  sources: readonly ModelSource[],
  workspace: string,
  io: { out: (line: string) => void; logger: Logger },
): { close(): Promise<void> } {
  const followed = sources.filter((s) => s.registry?.follows);
  if (!followed.length) return { close: async () => undefined };
  const store = new RegistryStore(workspace);
  const records = new Map<string, ServerDeployment>();
  const current = new Map(followed.map((s) => [s.name, s.registry!.version]));
  let chain = Promise.resolve();
  let closed = false;

  const record = async (s: ModelSource, version: number) => {
    const r: ServerDeployment = {
      kind: 'server',
      model: s.registry!.name,
      alias: s.registry!.ref,
      version,
      since: new Date().toISOString(),
      url: server.url,
      served: s.name,
      process: processIdentity(),
      // The Deployments view says whether it captures requests.
      ...(server.handler.capture ? { capture: server.handler.capture.config.rate } : {}),
    };
    records.set(s.name, r);
    await writeDeployment(workspace, r).catch((e: unknown) => io.logger.warn(`cannot write the deployment record: ${String(e)}`));
  };

  const check = (s: ModelSource) => {
    chain = chain.then(async () => {
      if (closed) return;
      const ref = s.registry!;
      let resolved;
      try {
        resolved = await resolveRegistryRef(workspace, ref, store);
      } catch (e) {
        io.logger.warn(`${refText(ref)}: ${(e as Error).message}; still serving version ${current.get(s.name)}`);
        return;
      }
      const from = current.get(s.name)!;
      const to = resolved.version.version;
      if (to === from || closed) return;
      try {
        const { loadMs, warmMs } = await server.replaceModel(s.name, resolved.file);
        current.set(s.name, to);
        const e: RollEvent = {
          event: 'rolled',
          model: s.name,
          ref: refText(ref),
          from,
          to,
          loadMs: Math.round(loadMs),
          warmMs: Math.round(warmMs),
        };
        io.out(JSON.stringify(e));
        io.logger.info(`${refText(ref)} moved: rolled '${s.name}' from version ${from} to ${to}`);
        await record(s, to);
      } catch (e) {
        io.logger.error(
          `${refText(ref)} moved to version ${to}, but the roll failed; still serving version ${from}: ${(e as Error).message}`,
        );
      }
    });
  };

  const watchers: FSWatcher[] = [];
  const mtimes = new Map<string, number>();
  const timers: NodeJS.Timeout[] = [];
  let debounce: NodeJS.Timeout | undefined;
  // A registry write is several events (the temporary file, the rename, the lock file): collect, then check once.
  const dirty = new Set<ModelSource>();
  const onAnyChange = (file: string | null) => {
    for (const s of followed) if (!file || file === `${s.registry!.name}.json`) dirty.add(s);
    if (!dirty.size) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      for (const s of dirty) check(s);
      dirty.clear();
    }, 20);
  };
  for (const s of followed) {
    const file = store.file(s.registry!.name);
    void stat(file).then(
      (st) => mtimes.set(file, st.mtimeMs),
      () => undefined,
    );
  }
  try {
    const w = watch(store.dir, (_type, file) => onAnyChange(file ? String(file) : null));
    w.on('error', (e) => io.logger.warn(`watching ${store.dir}: ${e.message}; polling instead`));
    watchers.push(w);
  } catch (e) {
    io.logger.warn(`cannot watch ${store.dir}: ${(e as Error).message}; polling every ${POLL_MS} ms`);
  }
  const poll = setInterval(() => {
    for (const s of followed) {
      const file = store.file(s.registry!.name);
      void stat(file).then(
        (st) => {
          const before = mtimes.get(file);
          mtimes.set(file, st.mtimeMs);
          if (before !== undefined && before !== st.mtimeMs) check(s);
        },
        () => undefined,
      );
    }
  }, POLL_MS);
  poll.unref();
  timers.push(poll);
  for (const s of followed) {
    chain = chain.then(() => record(s, s.registry!.version));
    check(s); // a move between resolving the arguments and watching
  }

  return {
    async close() {
      closed = true;
      for (const w of watchers) w.close();
      for (const t of timers) clearInterval(t);
      clearTimeout(debounce);
      await chain;
      for (const r of records.values()) await removeDeployment(workspace, r).catch(() => undefined);
    },
  };
}
