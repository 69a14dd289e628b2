import { DEFAULT_EXECUTION_PROVIDERS, executionProvidersFromSettings } from '../core/ort/executionProviders';
import { setting } from './config';

/**
 * `--ep LIST` for `mlw bench`, `mlw try` and the model server, from mlWorkbench.executionProviders and
 * mlWorkbench.executionProviderFallback; nothing when that is the default, CPU alone. Throws for an unknown
 * provider in the setting.
 */
export function executionProviderArgs(): string[] {
  const list = executionProvidersFromSettings(setting('executionProviders'), setting('executionProviderFallback'));
  return list.join(',') === DEFAULT_EXECUTION_PROVIDERS.join(',') ? [] : ['--ep', list.join(',')];
}
