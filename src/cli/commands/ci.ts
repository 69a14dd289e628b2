import { parseArgs } from 'node:util';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { CI_PROVIDERS, CI_WORKFLOW_FILE, renderWorkflow, type CiProject, type CiProvider } from '../../core/ci/renderWorkflow';
import { ciSummaryMarkdown } from '../../core/ci/ciSummary';
import { RegistryStore } from '../../core/registry/RegistryStore';
import { checkGates } from '../../core/registry/promoteVersion';
import { MODEL_NAME } from '../../core/registry/registryTypes';
import { isFile } from '../../core/isFile';

const usage = `mlw ci init github|gitlab [--force] [--model NAME] [--json]
mlw ci summary NAME [--candidate ALIAS] [--against ALIAS]

"init" writes the project's CI workflow: .github/workflows/mlw.yml (GitHub Actions) or .gitlab-ci.yml (GitLab CI).
It installs node, the ml-workbench package (mlw) and requirements.txt; runs the pipeline (mlw pipeline run, when
dvc.yaml exists) or the training script (mlw run train.py) and evaluate.py when there is one; registers the model
as challenger; writes the summary (mlw ci summary NAME) to the job summary ($GITHUB_STEP_SUMMARY) or a report
artifact (GitLab); then gates it (mlw registry promote NAME challenger exits 1 when a gate of mlw.yaml fails).
On the main branch only it containerizes the model and pushes the image (mlw deploy push) with the registry
address and credentials from the secrets / CI variables REGISTRY, REGISTRY_USERNAME and REGISTRY_PASSWORD.
An existing file is kept unless --force. --model NAME: the registered model's name (default: the project's
folder name). --json prints {provider, file, model, pipeline}.

"summary" prints Markdown: the metrics of NAME@challenger (or --candidate) against NAME@champion (or --against),
and each promotion gate of mlw.yaml with its numbers (what "mlw registry promote NAME challenger" will decide).

Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 usage.`;

async function modelFileOf(ws: string): Promise<string> {
  try {
    const t = JSON.parse(await fs.readFile(path.join(ws, 'template.json'), 'utf8')) as { model?: unknown };
    if (typeof t.model === 'string' && t.model) return t.model;
  } catch {
    /* not a template checkout: the scaffolded projects' default */
  }
  return 'model.onnx';
}

async function init(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { force: { type: 'boolean' }, model: { type: 'string' } },
  });
  const provider = positionals[0] as CiProvider;
  if (positionals.length !== 1 || !CI_PROVIDERS.includes(provider))
    throw new UsageError('expected github or gitlab: mlw ci init github|gitlab');
  const ws = ctx.workspace;
  const fallback =
    path
      .basename(ws)
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '') || 'model';
  const model = values.model ?? fallback;
  if (!MODEL_NAME.test(model)) throw new UsageError(`--model ${model}: use letters, digits and . _ - (starting with a letter or digit)`);
  const file = CI_WORKFLOW_FILE[provider];
  const target = path.join(ws, file);
  if (!values.force && (await isFile(target))) {
    ctx.err(`mlw ci: ${file} exists; keep it, or replace it with: mlw ci init ${provider} --force`);
    return 1;
  }
  const project: CiProject = {
    model,
    modelFile: await modelFileOf(ws),
    pipeline: await isFile(path.join(ws, 'dvc.yaml')),
    trainScript: 'train.py',
    evaluateScript: (await isFile(path.join(ws, 'evaluate.py'))) ? 'evaluate.py' : null,
    requirements: await isFile(path.join(ws, 'requirements.txt')),
  };
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, renderWorkflow(provider, project));
  if (ctx.json) ctx.out(JSON.stringify({ provider, file, model, pipeline: project.pipeline }));
  else ctx.out(`wrote ${file} (model ${model}, ${project.pipeline ? 'mlw pipeline run' : `mlw run ${project.trainScript}`})`);
  return 0;
}

async function summary(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { candidate: { type: 'string' }, against: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('expected NAME: mlw ci summary NAME');
  const model = await new RegistryStore(ctx.workspace).get(positionals[0]);
  const candidate = model.aliases[values.candidate ?? 'challenger'];
  const gates = candidate !== undefined ? await checkGates(ctx.workspace, model, candidate) : undefined;
  ctx.out(ciSummaryMarkdown(model, { candidate: values.candidate, against: values.against, gates }).trimEnd());
  return 0;
}

export const ciCommand: CliCommand = {
  name: 'ci',
  summary: 'Write a CI workflow (GitHub Actions, GitLab CI); print the candidate-against-champion summary',
  usage,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === 'init') return init(rest, ctx);
    if (sub === 'summary') return summary(rest, ctx);
    throw new UsageError(sub ? `unknown subcommand "${sub}": use init or summary` : 'expected init or summary');
  },
};
