import { Command } from '../../commandIds';
import { openSettings } from '../../vscode/config';
import type { Feature, FeatureContext } from '../feature';
import { EnvironmentPanel } from './environmentPanel';

/** The extension itself: its log, its settings, and Check Environment. */
export function activate({ extension, log }: FeatureContext): Feature {
  return {
    commands: {
      [Command.showLog]: { run: () => log.show() },
      [Command.openSettings]: { run: () => openSettings() },
      [Command.checkEnvironment]: { run: () => EnvironmentPanel.show(extension.extensionUri, log) },
    },
    disposables: [],
  };
}
