/**
 * What Check Environment finds: one row per tool or package, and when the report was made. Plain data with no
 * imports, so the environment webview can take the type as it is (src/shared/protocol.ts re-exports it).
 */

export type CheckStatus = 'ok' | 'warning' | 'missing';

export interface EnvironmentCheck {
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /** How to fix it, when status is not ok. */
  fix?: string;
  /** A button beside the row that does the fix (the extension knows what each id does). */
  action?: EnvironmentAction;
}

/** The fixes Check Environment can do itself. */
export interface EnvironmentAction {
  id: 'setWorkspacePythonPath';
  label: string;
}

export interface EnvironmentReport {
  generatedAt: string;
  checks: EnvironmentCheck[];
}
