import { parseArgs } from 'node:util';
import { checkEnvironment } from '../../core/env/checkEnvironment';
import type { CliCommand } from '../cliCommand';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'Check Python, ONNX Runtime, Docker and git',
  usage: `mlw doctor [--python PATH] [--json]

Probes what ML Workbench needs and says how to fix what is missing.
  --python PATH   interpreter to check (default: $MLW_PYTHON, else python3)
Exit code: 0 when nothing is missing, 1 otherwise.`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { python: { type: 'string' } }, allowPositionals: false });
    // Each problem is in the report (its table, or the JSON): the logger's copy of it would print it twice.
    const logger = { ...ctx.logger, warn: () => undefined };
    const report = await checkEnvironment({ python: values.python ?? process.env.MLW_PYTHON, logger, signal: ctx.signal });
    if (ctx.json) ctx.out(JSON.stringify(report, null, 2));
    else {
      const width = Math.max(...report.checks.map((c) => c.label.length));
      for (const c of report.checks) {
        const mark = c.status === 'ok' ? 'ok  ' : c.status === 'warning' ? 'warn' : 'MISS';
        ctx.out(`${mark}  ${c.label.padEnd(width)}  ${c.detail}${c.fix ? `\n      ${' '.repeat(width)}  fix: ${c.fix}` : ''}`);
      }
    }
    return report.checks.some((c) => c.status === 'missing') ? 1 : 0;
  },
};
