/**
 * Messages between the extension and its webviews. Both the extension bundle and the browser bundles
 * compile it, so it imports types only, from src/core files that import nothing themselves. Every panel
 * follows one handshake: the webview posts `ready`, the extension answers with the whole state, later
 * messages are small updates. Messages arriving from a webview are untrusted: `parse*` functions validate them.
 */
import type { EnvironmentReport } from '../core/env/environmentReport';

// ---- Environment panel ----------------------------------------------------------------------

/** The report is core's own type, sent as checkEnvironment returns it. */
export type { CheckStatus, EnvironmentAction, EnvironmentCheck, EnvironmentReport } from '../core/env/environmentReport';

export type EnvironmentToWebview = { type: 'state'; report: EnvironmentReport; trusted: boolean } | { type: 'busy' };

export type EnvironmentFromWebview =
  | { type: 'ready' }
  | { type: 'recheck' }
  | { type: 'openSettings'; query: string }
  | { type: 'copyReport' }
  | { type: 'setWorkspacePythonPath' };

// ---- validation -----------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isShortString = (v: unknown, max = 200): v is string => typeof v === 'string' && v.length <= max;

/** Returns the message when it is a well-formed EnvironmentFromWebview, else undefined. */
export function parseEnvironmentMessage(raw: unknown): EnvironmentFromWebview | undefined {
  if (!isObj(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
    case 'recheck':
    case 'copyReport':
    case 'setWorkspacePythonPath':
      return { type: raw.type };
    case 'openSettings':
      return isShortString(raw.query) && /^[\w.@ :-]*$/.test(raw.query) ? { type: 'openSettings', query: raw.query } : undefined;
    default:
      return undefined;
  }
}
