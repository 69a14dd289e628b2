import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { UsageError, type CliCommand } from '../cliCommand';
import { listTemplates, TEMPLATE_IDS, isTemplateId } from '../../core/scaffold/projectTemplates';
import { suggestProjectName, validateProjectName } from '../../core/scaffold/projectName';
import { ScaffoldConflictError } from '../../core/scaffold/renderTemplate';
import { scaffoldProject } from '../../core/scaffold/scaffoldProject';
import { checkInterpreter, describeInterpreterCheck } from '../../core/env/checkInterpreter';
import { InterpreterNotFoundError, resolveInterpreter } from '../../core/runs/resolveInterpreter';

const usage = `mlw new <template> <folder> [options]
mlw new --list [--json]

Creates a small, complete ML project from a template: train.py reading params.yaml and logging
through the run helper, an evaluation step, ONNX export (model.onnx), tests, README, .gitignore,
.dockerignore, requirements.txt and a sample inference request. Then git init and a first commit.
Existing files are never replaced unless asked: with a file in the way, nothing is written and
the clashes are listed (exit 1).

Templates: ${TEMPLATE_IDS.join(', ')}

Options:
  --name NAME        project name (default: the folder's name)
  --no-git           no git init / first commit
  --force            replace files that already exist
  --skip-existing    keep files that already exist, write the others
  --python PATH      check this interpreter for the project's modules (default: $MLW_PYTHON, else python3)
  --no-check         do not check the interpreter
  --list             list the templates
  --json             print the result as JSON

Example:
  mlw new tabular-classifier fraud-model && cd fraud-model && mlw run train.py --params-file params.yaml`;

export const newCommand: CliCommand = {
  name: 'new',
  summary: 'Create an ML project from a template (tabular, image, text, recommender)',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        'no-git': { type: 'boolean' },
        force: { type: 'boolean' },
        'skip-existing': { type: 'boolean' },
        python: { type: 'string' },
        'no-check': { type: 'boolean' },
        list: { type: 'boolean' },
      },
    });
    if (values.list) {
      const templates = await listTemplates();
      if (ctx.json)
        ctx.out(
          JSON.stringify(
            templates.map(({ dir: _dir, ...t }) => t),
            null,
            2,
          ),
        );
      else for (const t of templates) ctx.out(`${t.id.padEnd(20)} ${t.description}`);
      return 0;
    }
    const [template, folder, ...extra] = positionals;
    if (!template || !folder)
      throw new UsageError('give a template and a folder: mlw new <template> <folder> (mlw new --list shows the templates)');
    if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
    if (!isTemplateId(template)) throw new UsageError(`unknown template "${template}"; templates: ${TEMPLATE_IDS.join(', ')}`);
    if (values.force && values['skip-existing']) throw new UsageError('--force and --skip-existing exclude each other');
    const dir = path.resolve(ctx.workspace, folder);
    const name = values.name ?? path.basename(dir);
    const invalid = validateProjectName(name);
    if (invalid) {
      throw new UsageError(
        `"${name}" is not a valid project name: ${invalid}${values.name ? '' : ` Pass --name, e.g. --name ${suggestProjectName(name)}`}`,
      );
    }
    let result;
    try {
      result = await scaffoldProject({
        template,
        dir,
        name,
        git: !values['no-git'],
        onConflict: values.force ? 'overwrite' : values['skip-existing'] ? 'skip' : 'fail',
        logger: ctx.logger,
        signal: ctx.signal,
      });
    } catch (e) {
      if (!(e instanceof ScaffoldConflictError)) throw e;
      ctx.err(`mlw new: ${e.message}`);
      ctx.err('Nothing was written. Pass --skip-existing to keep those files and write the others, or --force to replace them.');
      if (ctx.json) ctx.out(JSON.stringify({ dir, conflicts: e.conflicts }, null, 2));
      return 1;
    }
    let check;
    if (!values['no-check']) {
      // Not found: check the name that was tried, so the report says it is missing.
      const interpreter = await resolveInterpreter(values.python, process.env, dir).catch((e: unknown) => {
        if (e instanceof InterpreterNotFoundError) return e.interpreter;
        throw e;
      });
      check = await checkInterpreter(interpreter, result.template.requires, { signal: ctx.signal });
    }
    if (ctx.json) {
      const { dir: _dir, ...template } = result.template;
      ctx.out(JSON.stringify({ ...result, template, interpreter: check }, null, 2));
      return 0;
    }
    const rel = path.relative(process.cwd(), result.dir) || '.';
    ctx.out(
      `Created ${result.name} (${result.template.title}) in ${result.dir}: ${result.written.length} files${result.skipped.length ? `, ${result.skipped.length} existing kept (${result.skipped.join(', ')})` : ''}.`,
    );
    if (result.git.status === 'committed')
      ctx.out(
        `git: first commit ${result.git.commit.slice(0, 12)} on ${result.git.branch}${result.git.identitySet ? ' (no git identity was configured: a local one was set in .git/config)' : ''}`,
      );
    else if (result.git.status === 'failed') ctx.err(`git: ${result.git.error}`);
    else if (!values['no-git']) ctx.out(`git: not initialised, ${result.git.reason}`);
    if (check) (check.ok ? ctx.out : ctx.err)(`python: ${describeInterpreterCheck(check)}`);
    ctx.out(`Next: cd ${rel} && mlw run train.py --params-file params.yaml${check?.ok ? ` --python ${check.interpreter}` : ''}`);
    return 0;
  },
};
