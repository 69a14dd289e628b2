import { checkAlias, findVersion, moveAlias } from './aliasMoves';
import { readDriftState } from './driftState';
import { evaluateGates } from './evaluateGates';
import { readGates } from './registryConfig';
import type { RegistryStore } from './RegistryStore';
import { CHAMPION, type GateResult, type RegisteredModel } from './registryTypes';

export interface PromoteOptions {
  /** The alias to move (default champion). */
  to?: string;
  force?: boolean;
  by: string;
  now?: Date;
}

export interface PromoteOutcome {
  name: string;
  version: number;
  alias: string;
  /** The version the alias pointed to before (null when it was new). */
  previous: number | null;
  gates: GateResult[];
  /** Every gate passed (true when there are none). */
  passed: boolean;
  /** The alias moved: the gates passed, or --force overrode them. */
  moved: boolean;
  forced: boolean;
}

/** Gate results of `version` of `model` against its current champion, with the workspace's mlw.yaml and drift state. */
export async function checkGates(workspace: string, model: RegisteredModel, version: number): Promise<GateResult[]> {
  const gates = await readGates(workspace, model.name);
  const v = findVersion(model, version);
  const championNumber = model.aliases[CHAMPION];
  const champion = championNumber !== undefined ? model.versions.find((x) => x.version === championNumber) : undefined;
  const drift = gates.some((g) => g.kind === 'no_drift')
    ? await readDriftState(workspace, model.name)
    : { recorded: false as const, why: '' };
  return evaluateGates(gates, v, champion, drift);
}

/**
 * Evaluates the model's promotion gates for `versionRef` and moves the alias when they all pass, or when forced
 * (the move then records `forced: true` and every gate's result). A refused promotion changes nothing.
 */
export async function promoteVersion(
  store: RegistryStore,
  name: string,
  versionRef: string,
  options: PromoteOptions,
): Promise<PromoteOutcome> {
  const alias = options.to ?? CHAMPION;
  checkAlias(alias);
  return store.update(name, async (existing) => {
    const model = existing ?? (await store.get(name));
    const v = findVersion(model, versionRef);
    const gates = await checkGates(store.workspace, model, v.version);
    const passed = gates.every((g) => g.passed);
    const forced = !passed && !!options.force;
    const outcome: PromoteOutcome = {
      name,
      version: v.version,
      alias,
      previous: model.aliases[alias] ?? null,
      gates,
      passed,
      moved: passed || forced,
      forced,
    };
    if (!outcome.moved) throw new PromotionRefused(outcome);
    const moved = moveAlias(model, alias, v.version, {
      action: 'promote',
      at: (options.now ?? new Date()).toISOString(),
      by: options.by,
      gates,
      forced,
    });
    return { model: moved, result: outcome };
  });
}

/** Thrown out of the store's update (so nothing is written) when a gate fails without --force. */
export class PromotionRefused extends Error {
  constructor(readonly outcome: PromoteOutcome) {
    const failed = outcome.gates.filter((g) => !g.passed);
    super(
      `promotion of ${outcome.name} version ${outcome.version} to ${outcome.alias} refused: ${failed.length} of ${outcome.gates.length} gate${outcome.gates.length === 1 ? '' : 's'} failed: ${failed.map((g) => `${g.gate} (${g.detail})`).join('; ')}`,
    );
    this.name = 'PromotionRefused';
  }
}
