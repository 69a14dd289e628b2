/**
 * What the registry page of the run dashboard shows (registryPage.ts builds it): plain data that crosses to the
 * webview. Imports types only, so the browser bundle can compile it.
 */
import type { AliasAction, GateResult } from './registryTypes';

export interface RegistryEvaluationView {
  data: string;
  sha256: string;
  at: string;
  metrics: Record<string, number>;
}

export interface RegistryVersionView {
  version: number;
  aliases: string[];
  registeredAt: string;
  registeredBy: string;
  /** The source run, linked to its dashboard when the workspace has it. */
  runId: string | null;
  path: string;
  sha256: string;
  sizeBytes: number;
  metrics: Record<string, number>;
  benchmark: { p50_ms: number; p99_ms: number } | null;
  recipe: string | null;
  evaluations: RegistryEvaluationView[];
  notes: string;
}

export interface RegistryMoveView {
  alias: string;
  from: number | null;
  to: number;
  action: AliasAction;
  at: string;
  by: string;
  forced: boolean;
  gates: GateResult[];
}

/** The gates of mlw.yaml evaluated for the candidate against the champion, as `promote` would, without moving anything. */
export interface RegistryGatesView {
  /** The version judged: the challenger, else the newest version that is not the champion; null when there is none. */
  candidate: number | null;
  /** Why that one (`challenger alias`, `newest non-champion version`). */
  why: string;
  champion: number | null;
  declared: string[];
  results: GateResult[];
  /** mlw.yaml could not be read or a gate did not parse. */
  error?: string;
}

export interface RegistryModelView {
  name: string;
  aliases: Record<string, number>;
  /** Newest first. */
  versions: RegistryVersionView[];
  gates: RegistryGatesView;
  /** Newest first. */
  history: RegistryMoveView[];
  /** Aliases a rollback can move back (their history has a previous version). */
  rollbackable: string[];
}

export interface RegistryPageView {
  workspace: string;
  models: RegistryModelView[];
  /** A registry file that could not be read. */
  errors: string[];
}
