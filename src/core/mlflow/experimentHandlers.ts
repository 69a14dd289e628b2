import { validateExperimentName } from './mlflowLimits';
import { optionalString, requiredString, type MlflowInput } from './mlflowInput';
import type { MlflowSession } from './MlflowSession';

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

  async 'experiments/search'(s: MlflowSession) {
    return { experiments: await s.experiments.all() };
  },
};
