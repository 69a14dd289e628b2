import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { addVersion, emptyModel, findVersion, moveAlias, rollbackAlias, checkAlias } from '../../core/registry/aliasMoves';
import { describeNewVersion, type RegisterSource } from '../../core/registry/registerVersion';
import { PromotionRefused, promoteVersion, type PromoteOutcome } from '../../core/registry/promoteVersion';
import { RegistryStore } from '../../core/registry/RegistryStore';
import { CHAMPION, MODEL_NAME, type ModelVersion, type RegisteredModel } from '../../core/registry/registryTypes';
import { whoAmI } from '../../core/registry/whoAmI';
import { formatMetric, textTable } from '../../core/runs/formatRun';
import { formatRolled, rollAlias, type RolledTarget } from '../../core/deploy/rollAlias';
import { containerEnvFor } from './deployAlias';
import { mirrorAfterChange, syncCommand } from './registryMirror';
import { RETRAIN_HELP, RETRAIN_USAGE, retrainCommand } from './registryRetrain';

/** Rolls what serves NAME@ALIAS in the workspace (local servers, containers, Kubernetes deployments) after a move. */
async function rollServing(ctx: CliContext, name: string, alias: string): Promise<RolledTarget[]> {
  return rollAlias({
    workspace: ctx.workspace,
    model: name,
    alias,
    containerEnv: (d) => containerEnvFor(ctx, { dockerHost: d.dockerHost, baseImage: d.baseImage }),
  });
}

/** Prints the rolls (text mode); exit code 1 when one failed (the alias has moved all the same). */
function reportRolled(ctx: CliContext, name: string, alias: string, rolled: RolledTarget[]): number {
  if (!ctx.json) for (const line of formatRolled(name, alias, rolled)) ctx.out(line);
  const failed = rolled.filter((r) => !r.ok);
  if (failed.length)
    ctx.err(
      `mlw registry: ${name}@${alias} moved, but ${failed.length} of ${rolled.length} deployments did not roll: ${failed.map((f) => f.endpoint).join(', ')}`,
    );
  return failed.length ? 1 : 0;
}

const usage = `mlw registry register (MODEL | --run ID [ARTIFACT]) --name NAME [--alias A] [--notes TEXT] [--json]
mlw registry list [--json]
mlw registry alias NAME VERSION A
mlw registry promote NAME VERSION [--to champion] [--force] [--json]
mlw registry rollback NAME [--json]
mlw registry sync [NAME] [--json]
${RETRAIN_USAGE}

The model registry of the workspace, kept in .mlw/registry/NAME.json (one plain JSON file per model, reviewable
in git): versions (number, source run, sha256, signature, metrics, optimisation recipe, benchmark, notes), aliases
(champion, challenger or your own) and the history of every alias move, with who (MLW_USER, git user.name or the
OS user) and when.

"register" adds the next version of NAME from a model file (its source run is found by sha256 among the
workspace's runs) or from a run's model artifact (name ARTIFACT when the run logged more than one). A recorded
benchmark beside the model (MODEL.bench.json, as mlw bench MODEL --json prints) gives p50_ms and p99_ms.
--alias champion goes through the promotion gates. A champion-relative gate compares only versions whose runs had
the same data inputs (mlw run --data FILE, by sha256); when either recorded none it says so.
"alias" points A at VERSION (champion moves only through promote).
"promote" evaluates the gates mlw.yaml declares for NAME:
    registry:
      NAME:
        gates: ["accuracy >= 0.8", "accuracy > champion + 0.01", "p99_ms <= 50", "no_drift"]
over the version's run metrics, p50_ms and p99_ms of its benchmark, size_mb of its file, and no_drift (the
drift state saved in .mlw/drift/NAME.json, a server's /v2/models/NAME/stats answer). It moves the alias when
every gate passes; otherwise it prints each gate with its numbers and exits 1. --force moves it anyway and
records that it was forced.
"rollback" moves champion back to the version it pointed to before, from the alias history.
${RETRAIN_HELP}
After promote and rollback move an alias, what serves it in the workspace rolls, and each roll is printed:
a local server (mlw serve NAME@ALIAS) swaps the version in with no failed request; a container
(mlw deploy local NAME@ALIAS) is replaced blue/green behind its stable port; a Kubernetes deployment
(mlw deploy k8s NAME@ALIAS) gets the new version's image pushed, the image in its manifest bumped on disk, applied
in its recorded context and namespace, and its rollout followed (kubectl's lines on stderr). Exit 1 when a roll
failed: the alias has moved all the same, and the line says kubectl's reason and how to undo it.
When MLFLOW_TRACKING_URI names an MLflow tracking server (http or https; MLFLOW_TRACKING_TOKEN, or
MLFLOW_TRACKING_USERNAME and _PASSWORD), register, alias, promote and rollback also write its Model Registry
through REST: the registered model, each version (source: the run's artifact on the server when the run was
pushed there, else the file's file:// URI; tags mlw.sha256, mlw.version, mlw.gates), and the aliases. The server
numbers versions itself: its number is kept as "mlflow" on the version (mlw registry list --json). The local
registry stays the source of truth: a server that is away or refuses gets a one-line warning and the local
change stands; "sync" sends what the server lacks of NAME (of every model without NAME).

Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 usage.`;

function need(args: string[], n: number, what: string): string[] {
  if (args.length !== n) throw new UsageError(`expected ${what}`);
  return args;
}

const aliasesOf = (m: RegisteredModel, version: number) =>
  Object.entries(m.aliases)
    .filter(([, v]) => v === version)
    .map(([a]) => a);

function printGates(o: PromoteOutcome, ctx: CliContext): void {
  if (!o.gates.length) {
    ctx.out(`no gates declared for ${o.name} in mlw.yaml`);
    return;
  }
  ctx.out(
    textTable(
      ['GATE', 'RESULT', 'NUMBERS'],
      o.gates.map((g) => [g.gate, g.passed ? 'pass' : 'FAIL', g.detail]),
    ),
  );
}

async function promote(
  store: RegistryStore,
  name: string,
  version: string,
  to: string | undefined,
  force: boolean,
  ctx: CliContext,
): Promise<number> {
  try {
    const o = await promoteVersion(store, name, version, { to, force, by: await whoAmI(ctx.workspace) });
    if (!ctx.json) {
      printGates(o, ctx);
      ctx.out(
        `${name}@${o.alias} -> version ${o.version}${o.previous !== null ? ` (was ${o.previous})` : ''}${o.forced ? ' (forced past failing gates: recorded)' : ''}`,
      );
    }
    const rolled = await rollServing(ctx, name, o.alias);
    if (ctx.json) ctx.out(JSON.stringify({ ...o, rolled }, null, 2));
    const code = reportRolled(ctx, name, o.alias, rolled);
    await mirrorAfterChange(ctx, store, name);
    return code;
  } catch (e) {
    if (!(e instanceof PromotionRefused)) throw e;
    if (ctx.json) ctx.out(JSON.stringify(e.outcome, null, 2));
    else printGates(e.outcome, ctx);
    ctx.err(`mlw registry: ${e.message}`);
    return 1;
  }
}

/** `; pipeline stage export, metrics from metrics.json (evaluate)` for a version made by a dvc.yaml stage. */
function pipelineNote(v: ModelVersion): string {
  if (!v.pipeline) return '';
  const from = v.pipeline.metricsFrom.map((m) => `${m.file} (${m.stage})`).join(', ');
  return `; pipeline stage ${v.pipeline.stage}${from ? `, metrics from ${from}` : ''}`;
}

async function register(args: string[], ctx: CliContext, store: RegistryStore): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { run: { type: 'string' }, name: { type: 'string' }, alias: { type: 'string' }, notes: { type: 'string' } },
  });
  const name = values.name ?? '';
  if (!name) throw new UsageError('--name NAME is required');
  if (!MODEL_NAME.test(name)) throw new UsageError(`--name ${name}: use letters, digits and . _ - (starting with a letter or digit)`);
  if (values.alias !== undefined) checkAlias(values.alias);
  let source: RegisterSource;
  if (values.run !== undefined) {
    if (positionals.length > 1) throw new UsageError('expected at most one ARTIFACT after --run ID');
    source = { runId: values.run, artifact: positionals[0] };
  } else {
    if (positionals.length !== 1) throw new UsageError('expected a MODEL file or --run ID');
    source = { file: positionals[0] };
  }
  const by = await whoAmI(ctx.workspace);
  const fields = await describeNewVersion(ctx.workspace, source, { by, notes: values.notes });
  const alias = values.alias;
  const { version, sameAs } = await store.update(name, async (m) => {
    const sameAs = m?.versions.find((v) => v.sha256 === fields.sha256)?.version;
    const added = addVersion(m ?? emptyModel(name), fields);
    const model =
      alias && alias !== CHAMPION
        ? moveAlias(added.model, alias, added.version.version, { action: 'register', at: fields.registeredAt, by })
        : added.model;
    return { model, result: { version: added.version, sameAs } };
  });
  if (ctx.json && alias !== CHAMPION) ctx.out(JSON.stringify({ name, ...version, aliases: alias ? [alias] : [] }, null, 2));
  else if (!ctx.json)
    ctx.out(
      `registered ${name} version ${version.version}${alias && alias !== CHAMPION ? ` as ${alias}` : ''} (sha256 ${version.sha256.slice(0, 12)}${version.source.runId ? `, run ${version.source.runId}` : ''}${sameAs !== undefined ? `; the same bytes as version ${sameAs}` : ''}${pipelineNote(version)})`,
    );
  await mirrorAfterChange(ctx, store, name);
  if (alias === CHAMPION) return promote(store, name, String(version.version), CHAMPION, false, ctx);
  return 0;
}

async function list(ctx: CliContext, store: RegistryStore): Promise<number> {
  const models = await store.list();
  if (ctx.json) {
    ctx.out(JSON.stringify(models, null, 2));
    return 0;
  }
  if (!models.length) {
    ctx.out('No registered models. Register one with: mlw registry register MODEL --name NAME');
    return 0;
  }
  const rows = models.flatMap((m) =>
    [...m.versions].reverse().map((v) => [
      m.name,
      String(v.version),
      aliasesOf(m, v.version).join(',') || '-',
      v.source.runId ?? '-',
      v.sha256.slice(0, 12),
      Object.entries(v.metrics)
        .slice(0, 3)
        .map(([k, x]) => `${k}=${formatMetric(x)}`)
        .join(' ') || '-',
      v.registeredAt.slice(0, 19).replace('T', ' '),
    ]),
  );
  ctx.out(textTable(['NAME', 'VERSION', 'ALIASES', 'RUN', 'SHA256', 'METRICS', 'REGISTERED'], rows));
  return 0;
}

export const registryCommand: CliCommand = {
  name: 'registry',
  summary: 'Register model versions, move aliases, promote through gates, roll back',
  usage,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    const store = new RegistryStore(ctx.workspace);
    switch (sub) {
      case 'register':
        return register(rest, ctx, store);
      case 'list':
        need(rest, 0, 'no arguments: mlw registry list [--json]');
        return list(ctx, store);
      case 'alias': {
        const [name, version, alias] = need(rest, 3, 'NAME VERSION A');
        checkAlias(alias);
        if (alias === CHAMPION) throw new UsageError(`champion moves through the gates: mlw registry promote ${name} ${version}`);
        const by = await whoAmI(ctx.workspace);
        const moved = await store.update(name, async (m) => {
          const model = m ?? (await store.get(name));
          const v = findVersion(model, version);
          const before = model.aliases[alias] ?? null;
          return {
            model: moveAlias(model, alias, v.version, { action: 'alias', at: new Date().toISOString(), by }),
            result: { version: v.version, before },
          };
        });
        ctx.out(
          ctx.json
            ? JSON.stringify({ name, alias, version: moved.version, previous: moved.before })
            : `${name}@${alias} -> version ${moved.version}${moved.before !== null ? ` (was ${moved.before})` : ''}`,
        );
        const code = reportRolled(ctx, name, alias, await rollServing(ctx, name, alias));
        await mirrorAfterChange(ctx, store, name);
        return code;
      }
      case 'promote': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { to: { type: 'string' }, force: { type: 'boolean' } },
        });
        const [name, version] = need(positionals, 2, 'NAME VERSION');
        return promote(store, name, version, values.to, !!values.force, ctx);
      }
      case 'rollback': {
        const [name] = need(rest, 1, 'NAME');
        const by = await whoAmI(ctx.workspace);
        const r = await store.update(name, async (m) => {
          const out = rollbackAlias(m ?? (await store.get(name)), by, new Date().toISOString());
          return { model: out.model, result: out };
        });
        if (!ctx.json) ctx.out(`${name}@champion -> version ${r.to} (rolled back from ${r.from})`);
        const rolled = await rollServing(ctx, name, CHAMPION);
        if (ctx.json) ctx.out(JSON.stringify({ name, alias: CHAMPION, from: r.from, to: r.to, rolled }));
        const code = reportRolled(ctx, name, CHAMPION, rolled);
        await mirrorAfterChange(ctx, store, name);
        return code;
      }
      case 'sync':
        return syncCommand(rest, ctx, store);
      case 'retrain':
        return retrainCommand(rest, ctx);
      default:
        throw new UsageError(
          sub ? `unknown subcommand "${sub}"` : 'expected a subcommand: register, list, alias, promote, rollback, retrain or sync',
        );
    }
  },
};
