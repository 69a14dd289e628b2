/**
 * `mlw ci init`: the CI workflow of an ML project as YAML text (GitHub Actions or GitLab CI). Pure: the caller
 * says what the project holds (a dvc.yaml pipeline or a training script, requirements.txt) and writes the file.
 *
 * Steps, in order: install (node and the `ml-workbench` package for `mlw`, python deps), pipeline or training,
 * evaluation, register the model as `challenger`, the Markdown summary (candidate against champion), the gate
 * (`mlw registry promote NAME challenger`: exit 1 when a gate fails), then on the main branch only containerize
 * and push, with the registry credentials taken from secrets (GitHub) or CI variables (GitLab) by name.
 */
import { stringify } from 'yaml';

export type CiProvider = 'github' | 'gitlab';
export const CI_PROVIDERS: readonly CiProvider[] = ['github', 'gitlab'];

export interface CiProject {
  /** Registered model name (`mlw registry … NAME`). */
  model: string;
  /** The model file training writes, relative to the project (template.json `model`, else model.onnx). */
  modelFile: string;
  /** dvc.yaml exists: `mlw pipeline run` instead of the training script. */
  pipeline: boolean;
  /** The training script (`mlw run SCRIPT`), used when there is no pipeline. */
  trainScript: string;
  /** An evaluation script (`mlw run SCRIPT`) to run after training, when the project has one. */
  evaluateScript: string | null;
  /** requirements.txt exists. */
  requirements: boolean;
}

/** Where each provider's workflow lives, relative to the project. */
export const CI_WORKFLOW_FILE: Record<CiProvider, string> = {
  github: '.github/workflows/mlw.yml',
  gitlab: '.gitlab-ci.yml',
};

/** The Markdown summary file the workflow writes (a job artifact on GitLab). */
export const CI_SUMMARY_FILE = 'mlw-summary.md';

/** Names of the secrets / CI variables the push step reads. Only the names go into the workflow. */
export const CI_SECRET_NAMES = { registry: 'REGISTRY', username: 'REGISTRY_USERNAME', password: 'REGISTRY_PASSWORD' };

const NODE_VERSION = '20';
const PYTHON_VERSION = '3.11';

/** The `mlw` lines of the workflow, in order, without provider syntax. `main: true` marks the main-branch-only ones. */
export function ciMlwSteps(p: CiProject): Array<{ name: string; lines: string[]; main?: boolean }> {
  const steps: Array<{ name: string; lines: string[]; main?: boolean }> = [
    { name: p.pipeline ? 'Pipeline' : 'Train', lines: [p.pipeline ? 'mlw pipeline run' : `mlw run ${p.trainScript}`] },
  ];
  if (p.evaluateScript && !p.pipeline) steps.push({ name: 'Evaluate', lines: [`mlw run ${p.evaluateScript}`] });
  steps.push({ name: 'Register challenger', lines: [`mlw registry register ${p.modelFile} --name ${p.model} --alias challenger`] });
  steps.push({ name: 'Summary', lines: [`mlw ci summary ${p.model} > ${CI_SUMMARY_FILE}`] });
  steps.push({ name: 'Gates', lines: [`mlw registry promote ${p.model} challenger`] });
  return steps;
}

const installLines = (p: CiProject) => [
  'npm install --global ml-workbench',
  ...(p.requirements ? ['python -m pip install -r requirements.txt'] : []),
];

function github(p: CiProject): unknown {
  const onMain = "github.ref == 'refs/heads/main'";
  const s = CI_SECRET_NAMES;
  const steps: unknown[] = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': NODE_VERSION } },
    { uses: 'actions/setup-python@v5', with: { 'python-version': PYTHON_VERSION } },
    { name: 'Install', run: installLines(p).join('\n') },
  ];
  for (const st of ciMlwSteps(p)) {
    if (st.name === 'Summary')
      steps.push({ name: st.name, run: [...st.lines, `cat ${CI_SUMMARY_FILE} >> "$GITHUB_STEP_SUMMARY"`].join('\n') });
    else steps.push({ name: st.name, run: st.lines.join('\n') });
  }
  const image = `${p.model}:\${{ github.sha }}`;
  steps.push({ name: 'Containerize', if: onMain, run: `mlw containerize ${p.modelFile} --tag ${image}` });
  steps.push({
    name: 'Push',
    if: onMain,
    env: {
      [s.registry]: `\${{ secrets.${s.registry} }}`,
      [s.username]: `\${{ secrets.${s.username} }}`,
      [s.password]: `\${{ secrets.${s.password} }}`,
    },
    run: `printf '%s' "$${s.password}" | mlw deploy push ${image} "$${s.registry}/${image}" --username "$${s.username}" --password-stdin`,
  });
  return {
    name: 'mlw',
    on: { push: { branches: ['main'] }, pull_request: {} },
    permissions: { contents: 'read' },
    jobs: { mlw: { 'runs-on': 'ubuntu-latest', steps } },
  };
}

function gitlab(p: CiProject): unknown {
  const s = CI_SECRET_NAMES;
  const onMain = [{ if: '$CI_COMMIT_BRANCH == "main"' }];
  const before = ['apt-get update && apt-get install -y --no-install-recommends nodejs npm', ...installLines(p)];
  const steps = ciMlwSteps(p);
  const gate = steps.pop()!;
  const image = `${p.model}:$CI_COMMIT_SHORT_SHA`;
  return {
    stages: ['train', 'gate', 'deploy'],
    default: { image: `python:${PYTHON_VERSION}`, before_script: before },
    train: {
      stage: 'train',
      script: steps.flatMap((st) => st.lines),
      artifacts: { when: 'always', paths: [CI_SUMMARY_FILE, '.mlw/', p.modelFile] },
    },
    gate: { stage: 'gate', script: gate.lines, artifacts: { paths: ['.mlw/registry/'] } },
    deploy: {
      stage: 'deploy',
      rules: onMain,
      services: ['docker:dind'],
      variables: { DOCKER_HOST: 'tcp://docker:2375' },
      script: [
        `mlw containerize ${p.modelFile} --tag ${image}`,
        `printf '%s' "$${s.password}" | mlw deploy push ${image} "$${s.registry}/${image}" --username "$${s.username}" --password-stdin`,
      ],
    },
  };
}

/** The workflow file's text for PROVIDER. */
export function renderWorkflow(provider: CiProvider, p: CiProject): string {
  const doc = provider === 'github' ? github(p) : gitlab(p);
  const head = `# Written by mlw ci init ${provider}: train, evaluate, register as challenger, summary, promotion gates;\n# containerize and push on main. Registry credentials: secrets/variables ${Object.values(CI_SECRET_NAMES).join(', ')}.\n`;
  return head + stringify(doc, { lineWidth: 0 });
}
