import type * as vscode from 'vscode';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';
import type { ContainerWatcher } from './containerWatcher';
import type { DriftWatch } from '../serving/driftWatch';
import { containerEndpoint, LABEL_MODEL_NAME } from './containerNodes';

/**
 * The drift warning for containers as for local servers: each running managed container that publishes a port and
 * names its model is watched (DriftWatch polls its /stats until it warned or has no reference profile), whether or
 * not its monitor is open; "Open Monitor" opens the container's monitor.
 */
export function watchContainerDrift(watcher: ContainerWatcher, drift: DriftWatch): vscode.Disposable {
  return watcher.onDidChange(() => {
    for (const c of watcher.containers) {
      const endpoint = containerEndpoint(c);
      const model = c.labels[LABEL_MODEL_NAME];
      if (c.state !== 'running' || !endpoint || !model) continue;
      const id = c.id;
      drift.watch(
        { key: `container:${id}`, label: c.name },
        endpoint,
        [model],
        () => watcher.byId(id)?.state === 'running',
        () => runCommand(Command.openContainerMonitor, id),
      );
    }
  });
}
