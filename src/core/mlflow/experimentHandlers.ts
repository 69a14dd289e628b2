import { validateExperimentName } from './mlflowLimits';
import { optionalString, requiredString, type MlflowInput } from './mlflowInput';
import type { MlflowSession } from './MlflowSession';
import { invalidParameter } from './mlflowErrors';
import { pageOf } from './pageToken';

const MAX_EXPERIMENTS_PAGE = 50_000;
const NAME_CLAUSE = /^\s*(?:attributes?\.)?name\s*(=|!=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i;

/** The `name` clauses of experiments/search's filter: `name = 'x'`, `name != 'x'`, `name LIKE '%x%'`, `name ILIKE ...`. */
function nameFilter(filter: string | undefined): (name: string) => boolean {
  if (!filter?.trim()) return () => true;
  const tests = filter.split(/\s+AND\s+/i).map((part) => {
    const m = NAME_CLAUSE.exec(part);
    if (!m) throw invalidParameter(`Invalid filter '${filter}': this server filters experiments by name (=, !=, LIKE, ILIKE).`);
    const value = m[2].replace(/''/g, "'");
    const op = m[1].toUpperCase();
    if (op === '=') return (n: string) => n === value;
    if (op === '!=') return (n: string) => n !== value;
    const body = value
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/%/g, '.*')
      .replace(/_/g, '.');
    const re = new RegExp(`^${body}$`, op === 'ILIKE' ? 'is' : 's');
    return (n: string) => re.test(n);
  });
  return (name) => tests.every((t) => t(name));
}

/** experiments/get-by-name, experiments/create, experiments/get (and search, which MLflow's UI-less clients use to list). */
export const experimentHandlers = {
  async 'experiments/get-by-name'(s: MlflowSession, input: MlflowInput) {
    const experiment = await s.experiments.getByName(requiredString(input, 'experiment_name'));
    s.noteExperiment(experiment);
    return { experiment };
  },

  async 'experiments/create'(s: MlflowSession, input: MlflowInput) {
    const experiment = await s.experiments.create(validateExperimentName(optionalString(input, 'name')));
    s.noteExperiment(experiment);
    return { experiment_id: experiment.experiment_id };
  },

  async 'experiments/get'(s: MlflowSession, input: MlflowInput) {
    return { experiment: await s.experiments.get(requiredString(input, 'experiment_id')) };
  },

  async 'experiments/search'(s: MlflowSession, input: MlflowInput) {
    const keep = nameFilter(optionalString(input, 'filter'));
    const all = (await s.experiments.all()).filter((e) => keep(e.name));
    const { page, next } = pageOf(all, input, 1000, MAX_EXPERIMENTS_PAGE);
    return next ? { experiments: page, next_page_token: next } : { experiments: page };
  },
};
