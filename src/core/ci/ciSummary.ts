/** `mlw ci summary`: the candidate's metrics against the champion's, as a Markdown job summary (as CML reports do). */
import { formatMetric } from '../runs/formatRun';
import type { GateResult, ModelVersion, RegisteredModel } from '../registry/registryTypes';

const cell = (v: number | undefined) => (v === undefined ? '-' : formatMetric(v));

function delta(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return '-';
  const d = a - b;
  return `${d > 0 ? '+' : ''}${formatMetric(Number(d.toPrecision(6)))}`;
}

const label = (alias: string, v: ModelVersion) => `${alias} v${v.version}`;

/** Markdown: a header, one row per metric of either version (candidate, champion, difference), then the gates' results. */
export function ciSummaryMarkdown(
  model: RegisteredModel,
  opts: { candidate?: string; against?: string; gates?: GateResult[] } = {},
): string {
  const candAlias = opts.candidate ?? 'challenger';
  const champAlias = opts.against ?? 'champion';
  const find = (alias: string) => model.versions.find((v) => v.version === model.aliases[alias]);
  const cand = find(candAlias);
  const champ = find(champAlias);
  const lines = [
    `## ${model.name}: ${cand ? label(candAlias, cand) : `no ${candAlias}`} against ${champ ? label(champAlias, champ) : `no ${champAlias} yet`}`,
    '',
  ];
  if (!cand) {
    lines.push(
      `No version has the alias ${candAlias}. Register one: \`mlw registry register MODEL --name ${model.name} --alias ${candAlias}\``,
    );
    return lines.join('\n') + '\n';
  }
  const names = [...new Set([...Object.keys(cand.metrics), ...Object.keys(champ?.metrics ?? {})])].sort();
  const head = champ ? ['Metric', label(candAlias, cand), label(champAlias, champ), 'Δ'] : ['Metric', label(candAlias, cand)];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const n of names) {
    const a = cand.metrics[n];
    const b = champ?.metrics[n];
    lines.push(`| ${[n, cell(a), ...(champ ? [cell(b), delta(a, b)] : [])].join(' | ')} |`);
  }
  if (!names.length) lines.push(`| (no metrics recorded) |${champ ? ' | | |' : ' |'}`);
  lines.push('');
  if (opts.gates?.length) {
    lines.push('| Gate | Result | Numbers |', '| --- | --- | --- |');
    for (const g of opts.gates) lines.push(`| \`${g.gate}\` | ${g.passed ? 'pass' : '**FAIL**'} | ${g.detail.replace(/\|/g, '\\|')} |`);
    lines.push('');
  } else if (opts.gates) lines.push(`No promotion gates declared for ${model.name} in mlw.yaml.`, '');
  const src = (v: ModelVersion) => `${v.source.runId ? `run ${v.source.runId}, ` : ''}sha256 ${v.sha256.slice(0, 12)}`;
  lines.push(
    `Candidate: ${src(cand)}.${champ ? ` Champion: ${src(champ)}.` : ' No champion yet: the gates decide whether this version becomes it.'}`,
  );
  return lines.join('\n') + '\n';
}
