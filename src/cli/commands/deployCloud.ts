/** `mlw deploy sagemaker|vertex|azureml IMAGE`: render, save, and with --apply push, deploy and follow the endpoint. */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { applyCloudDeployment } from '../../core/deploy/cloud/applyCloudDeployment';
import { cloudEndpointName, repositoryName } from '../../core/deploy/cloud/cloudNames';
import { cloudPushSteps } from '../../core/deploy/cloud/cloudPushSteps';
import { cloudRegistryAuth } from '../../core/deploy/cloud/cloudRegistryAuth';
import { CLOUD_READY_STATUS } from '../../core/deploy/cloud/cloudStatusCommand';
import { CLOUD_TITLE, type CloudDeployment, type CloudPlatform } from '../../core/deploy/cloud/cloudTypes';
import { formatCommands, shellQuote } from '../../core/deploy/cloud/formatCommands';
import { probeCloudCli, type CloudCliProbe } from '../../core/deploy/cloud/probeCloudCli';
import { renderCloudDeployment } from '../../core/deploy/cloud/renderCloudDeployment';
import { SAGEMAKER_DEFAULTS } from '../../core/deploy/cloud/renderSagemaker';
import { runCloudCli } from '../../core/deploy/cloud/runCloudCli';
import { saveCloudDeployment } from '../../core/deploy/cloud/saveCloudDeployment';
import { appendLineage, type LineageRecord } from '../../core/deploy/lineage';
import { pushImage } from '../../core/deploy/pushImage';
import { UsageError, type CliContext } from '../cliCommand';
import { buildLogger, connectEngine } from './containerize';
import type { DockerEngine } from '../../core/docker/dockerEngine';

export const CLOUD_USAGE = `mlw deploy sagemaker|vertex|azureml <image> [--region R] [--instance-type T] [--apply] [--name N] [--registry R]
    [--role ARN] [--project P] [--resource-group G --workspace-name W] [--out DIR] [--poll-seconds S] [--docker-host URL] [--json]

sagemaker|vertex|azureml  render the platform's deployment to --out (default deploy/<platform>): SageMaker's
       CreateModel, CreateEndpointConfig and CreateEndpoint requests; Vertex AI's Model; Azure ML's endpoint.yml and
       deployment.yml, with commands.sh. Without --apply, or when the platform's CLI (aws, gcloud, az) is missing or
       not logged in, it prints the exact commands to run. --apply pushes the image to the platform registry (ECR,
       Artifact Registry, ACR), runs the commands and follows the endpoint until it is in service.
       --role ARN: SageMaker's execution role; --project P: Vertex AI's project; --resource-group and
       --workspace-name: the Azure ML workspace; --registry: ACCOUNT.dkr.ecr.REGION.amazonaws.com,
       REGION-docker.pkg.dev/PROJECT/REPO or NAME.azurecr.io (SageMaker's and Vertex AI's follow from the login).`;

const line = (argv: string[]) => argv.map(shellQuote).join(' ');

async function firstValue(cli: string, args: string[]): Promise<string | undefined> {
  const r = await runCloudCli(cli, args, { timeoutMs: 30_000 }).catch(() => undefined);
  const v = r?.code === 0 ? r.stdout.trim().split('\n')[0]?.trim() : undefined;
  return v && v !== '(unset)' ? v : undefined;
}

/** What deploy.ts's imageFacts tells of an image (passed in, so this file does not import deploy.ts back). */
export type ImageFacts = (
  engine: DockerEngine,
  image: string,
  workspace: string,
) => Promise<{ modelName: string; modelHash: string; runId?: string; modelPath: string }>;

export async function deployCloud(platform: CloudPlatform, args: string[], ctx: CliContext, imageFacts: ImageFacts): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      region: { type: 'string' },
      'instance-type': { type: 'string' },
      apply: { type: 'boolean' },
      role: { type: 'string' },
      project: { type: 'string' },
      'resource-group': { type: 'string' },
      'workspace-name': { type: 'string' },
      registry: { type: 'string' },
      name: { type: 'string' },
      'model-name': { type: 'string' },
      out: { type: 'string' },
      'docker-host': { type: 'string' },
      'poll-seconds': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`deploy ${platform}: expected one image (as built by mlw containerize)`);
  const image = positionals[0];
  const pollSeconds = values['poll-seconds'] === undefined ? 15 : Number(values['poll-seconds']);
  if (!(pollSeconds > 0 && pollSeconds <= 3600))
    throw new UsageError(`--poll-seconds must be a number of seconds in (0, 3600], got '${values['poll-seconds']}'`);
  const title = CLOUD_TITLE[platform];
  const log = buildLogger(ctx);

  // Model facts from the image's labels when an engine has it; rendering alone needs no engine.
  let facts: Awaited<ReturnType<typeof imageFacts>> | undefined;
  let engine: DockerEngine | undefined;
  let engineProblem: Error | undefined;
  try {
    engine = await connectEngine(values['docker-host']);
    facts = await imageFacts(engine, image, ctx.workspace);
  } catch (e) {
    engineProblem = e as Error;
    if (!ctx.json && !values.apply) ctx.err(`Rendering without the image's labels: ${engineProblem.message.split('\n')[0]}`);
  }
  const modelName = values['model-name'] ?? facts?.modelName ?? repositoryName(image);

  const probe: CloudCliProbe = await probeCloudCli(platform);
  const env = process.env;
  let region = values.region;
  let registry = values.registry;
  let project = values.project;
  if (platform === 'sagemaker') {
    region ??=
      env.AWS_REGION ||
      env.AWS_DEFAULT_REGION ||
      (probe.loggedIn && probe.cli ? await firstValue(probe.cli, ['configure', 'get', 'region']) : undefined);
    if (!registry && probe.loggedIn && probe.account)
      registry = `${probe.account}.dkr.ecr.${region ?? SAGEMAKER_DEFAULTS.region}.amazonaws.com`;
  } else if (platform === 'vertex') {
    project ??=
      env.CLOUDSDK_CORE_PROJECT ||
      (probe.loggedIn && probe.cli ? await firstValue(probe.cli, ['config', 'get-value', 'project']) : undefined);
  }
  const dep: CloudDeployment = renderCloudDeployment({
    platform,
    image,
    name: values.name ?? cloudEndpointName(platform, repositoryName(image)),
    modelName,
    region,
    instanceType: values['instance-type'],
    role: values.role,
    project,
    resourceGroup: values['resource-group'],
    workspaceName: values['workspace-name'],
    registry,
  });
  const outDir = path.resolve(ctx.workspace, values.out ?? path.join('deploy', platform));
  const written = await saveCloudDeployment(dep, outDir);
  if (!ctx.json) ctx.err(`Wrote ${written.map((f) => path.relative(ctx.workspace, f) || f).join(', ')}`);

  // One lineage record per status the endpoint passes through (the Deployments view shows the latest).
  let recorded = '';
  const record = async (status: string, url?: string): Promise<void> => {
    if (status === recorded && !url) return;
    recorded = status;
    const r: LineageRecord = {
      at: new Date().toISOString(),
      kind: 'cloud',
      modelPath: facts?.modelPath ?? modelName,
      modelHash: facts?.modelHash ?? '',
      runId: facts?.runId,
      image,
      reference: dep.targetImage,
      endpoint: dep.name,
      platform,
      region: dep.region,
      instanceType: dep.instanceType,
      status,
      url,
      manifest: outDir,
    };
    await appendLineage(ctx.workspace, r).catch(() => undefined);
  };

  // Not logged in first: a login also fills what follows from it (SageMaker's registry from the account).
  const why = !values.apply
    ? undefined
    : !probe.cli || !probe.loggedIn
      ? `Cannot deploy from here: ${probe.reason ?? `${title}'s CLI is not logged in`}`
      : dep.missing.length
        ? `Cannot deploy yet: ${dep.missing.join('; ')}`
        : undefined;
  if (!values.apply || why) {
    const steps = cloudPushSteps(dep, image);
    await record('saved');
    if (ctx.json)
      ctx.out(JSON.stringify({ ...dep, files: written, outDir, applied: false, reason: why ?? probe.reason, push: steps }, null, 2));
    else {
      if (why) ctx.err(why);
      if (dep.missing.length && !why?.startsWith('Cannot deploy yet')) ctx.err(`Still needed before --apply: ${dep.missing.join('; ')}`);
      if (!why && !probe.loggedIn)
        ctx.err(`${probe.reason} — the commands below run wherever ${probe.cli ? 'it is logged in' : 'it is set up'}.`);
      ctx.out(`# ${title}: push the image (${steps.note})`);
      ctx.out(steps.commands.map(line).join('\n'));
      ctx.out(`# then deploy it (the files are in ${path.relative(ctx.workspace, outDir) || '.'})`);
      ctx.out(`cd ${shellQuote(outDir)}`);
      ctx.out(formatCommands(dep).trimEnd());
    }
    return why ? 1 : 0;
  }

  const cli = probe.cli as string;
  if (!engine || !facts) throw engineProblem ?? new Error(`The engine has no image ${image}`);
  ctx.err(`${title}: ${probe.account ? `logged in as ${probe.account}; ` : ''}pushing ${image} to ${dep.targetImage}`);
  const auth = await cloudRegistryAuth(dep, { cli, log, signal: ctx.signal });
  const onProgress = (l: string) => (/: (Pushing|Downloading|Extracting) /.test(l) ? undefined : log(l));
  const pushed = await pushImage({ engine, image, target: dep.targetImage, auth, signal: ctx.signal, onProgress });
  log(`Pushed ${pushed.reference}`);
  try {
    const done = await applyCloudDeployment(dep, {
      cli,
      cwd: outDir,
      log,
      signal: ctx.signal,
      pollMs: pollSeconds * 1000,
      onStatus: (s) => (s === CLOUD_READY_STATUS[platform] ? undefined : void record(s)),
    });
    await record(done.status, done.url);
    ctx.out(
      ctx.json
        ? JSON.stringify({ ...dep, files: written, outDir, applied: true, pushed, ...done }, null, 2)
        : `${title} endpoint ${done.endpoint} is ${done.status}${done.url ? `: ${done.url}` : ''}`,
    );
    return 0;
  } catch (e) {
    const status = (e as { status?: string }).status ?? 'Failed';
    await record(status);
    throw e;
  }
}
