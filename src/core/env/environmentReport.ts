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
}

export interface EnvironmentReport {
  generatedAt: string;
  checks: EnvironmentCheck[];
}
