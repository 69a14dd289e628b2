import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { containerizeModel } from '../../core/docker/containerizeModel';
import { LABELS, type DockerEngine, type RegistryAuth } from '../../core/docker/dockerEngine';
import { registryOf } from '../../core/docker/engineErrors';
import { DEFAULT_BASE_IMAGE, DEFAULT_CONTAINER_PORT } from '../../core/docker/renderDockerfile';
import { locateServerAssets } from '../../core/docker/serverAssets';
import { applyManifests, findKubectl, rolloutStatus } from '../../core/deploy/kubectl';
import { kubernetesName, renderKubernetesManifests } from '../../core/deploy/kubernetesManifests';
import { appendLineage, findPush, readLineage } from '../../core/deploy/lineage';
import { dockerLoginAuth, pushImage } from '../../core/deploy/pushImage';
import { runLocal } from '../../core/deploy/runLocal';
import { captureMount } from '../../core/deploy/captureMount';
import { UsageError, type CliCommand, type CliContext } from '../cliCommand';
import { CLOUD_USAGE, deployCloud } from './deployCloud';
import { buildLogger, connectEngine, packageRoot } from './containerize';
import { ALIAS_USAGE, deployAliasLocal, deployFront, deployStop } from './deployAlias';
import { parseRegistryRef } from '../../core/registry/registryRef';
import { deployAliasK8s, K8S_ALIAS_USAGE } from './deployAliasKubernetes';

const USAGE = `mlw deploy local <image|model.onnx|folder> [--port N] [--capture RATE] [--base-image IMG] [--docker-host URL] [--json]
mlw deploy push <image> <registry/name[:tag]> [--username U --password-stdin] [--docker-host URL] [--json]
mlw deploy k8s|kubernetes <image> [--name N] [--replicas N] [--cpu C] [--memory M] [--kserve] [--out DIR] [--apply] [--json]

local  runs the image (a model is containerized first) on 127.0.0.1, waits until the server is ready and sends a
       smoke request built from the model's signature. --port N picks the host port (default: a free one).
       --capture RATE (e.g. 0.1) captures that fraction of requests into .mlw/captures/MODEL/ (bind-mounted), and
       the server's drift state into .mlw/drift/ (see mlw serve --capture).
push   tags and pushes the image. Credentials: --username with the password on stdin, else what docker login left:
       the credential helper of ~/.docker/config.json (credHelpers, credsStore), else its inline auths.
k8s    writes a Deployment and a Service (and with --kserve a KServe InferenceService) to --out (default deploy/k8s);
       --apply applies them with kubectl to the current context and waits for the rollout.
${CLOUD_USAGE}

${ALIAS_USAGE}

${K8S_ALIAS_USAGE}`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function positiveInt(v: string | undefined, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > 65535)
    throw new UsageError(`--${name} must be a whole number >= ${min}, got '${v}'`);
  return Number(v);
}

/** Model facts from an image's labels (images built by containerize), with defaults for foreign images. */
async function imageFacts(
  engine: DockerEngine,
  image: string,
  workspace: string,
): Promise<{ modelName: string; modelHash: string; runId?: string; containerPort: number; modelPath: string }> {
  const info = await engine.inspectImage(image);
  if (!info) throw new Error(`The engine has no image ${image}: build it with mlw containerize, or pull it`);
  const l = info.labels;
  // The image record of this workspace's lineage knows the model's full path; the label only its file name.
  const built = (await readLineage(workspace).catch(() => []))
    .reverse()
    .find((r) => r.kind === 'image' && (r.imageId === info.id || r.image === image));
  return {
    modelName: l[LABELS.servedModels]?.split(',')[0] || l[LABELS.modelName] || path.basename(image.split(':')[0]),
    modelHash: l[LABELS.modelHash] ?? '',
    runId: l[LABELS.runId],
    containerPort: info.exposedPorts[0] ?? DEFAULT_CONTAINER_PORT,
    modelPath: built?.modelPath ?? l[LABELS.model] ?? image,
  };
}

async function deployLocal(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string' }, 'base-image': { type: 'string' }, 'docker-host': { type: 'string' }, capture: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError('deploy local: expected one image or model');
  const rate = values.capture === undefined ? undefined : Number(values.capture);
  if (rate !== undefined && !(values.capture!.trim() !== '' && rate > 0 && rate <= 1))
    throw new UsageError(`deploy local: --capture must be a fraction of requests in (0, 1], e.g. 0.1 for 10 %, got "${values.capture}"`);
  const hostPort = positiveInt(values.port, 'port');
  if (parseRegistryRef(positionals[0]) && !existsSync(path.resolve(ctx.workspace, positionals[0])))
    return deployAliasLocal(
      positionals[0],
      { port: hostPort, baseImage: values['base-image'], dockerHost: values['docker-host'], capture: rate },
      ctx,
    );
  const engine = await connectEngine(values['docker-host']);
  const arg = positionals[0];
  const asPath = path.resolve(ctx.workspace, arg);
  let image = arg;
  let facts;
  if (existsSync(asPath) && (statSync(asPath).isDirectory() || /\.onnx$/i.test(asPath))) {
    const built = await containerizeModel({
      engine,
      modelPath: asPath,
      workspace: ctx.workspace,
      assets: locateServerAssets(packageRoot()),
      baseImage: values['base-image'] ?? DEFAULT_BASE_IMAGE,
      signal: ctx.signal,
      onLog: buildLogger(ctx),
    });
    image = built.image;
    facts = {
      modelName: built.modelName,
      modelHash: built.modelHash,
      containerPort: built.containerPort,
      modelPath: asPath,
      runId: undefined as string | undefined,
    };
    await appendLineage(ctx.workspace, {
      at: new Date().toISOString(),
      kind: 'image',
      modelPath: asPath,
      modelHash: built.modelHash,
      image,
      imageId: built.imageId,
    }).catch(() => undefined);
  } else facts = await imageFacts(engine, image, ctx.workspace);
  const capture = rate === undefined ? undefined : captureMount(ctx.workspace, facts.modelName, rate);
  const r = await runLocal({
    engine,
    image,
    modelName: facts.modelName,
    containerPort: facts.containerPort,
    hostPort,
    signal: ctx.signal,
    capture,
  });
  await appendLineage(ctx.workspace, {
    at: new Date().toISOString(),
    kind: 'container',
    modelPath: facts.modelPath,
    modelHash: facts.modelHash,
    runId: facts.runId,
    image,
    containerId: r.container.id,
    endpoint: r.endpoint,
  }).catch(() => undefined);
  if (ctx.json)
    ctx.out(JSON.stringify({ image, container: r.container, endpoint: r.endpoint, readyMs: r.readyMs, smoke: r.smoke }, null, 2));
  else {
    ctx.out(
      `Container ${r.container.name} (${r.container.id.slice(0, 12)}) serves ${facts.modelName} at ${r.endpoint} (ready in ${r.readyMs} ms)`,
    );
    ctx.out(`Smoke request: ${r.smoke.ok ? 'ok' : 'FAILED'} in ${r.smoke.ms} ms: ${r.smoke.summary}`);
    if (capture) ctx.out(`Capturing ${rate! * 100} % of requests into ${capture.hostDir}`);
    ctx.out(`Stop it: docker stop ${r.container.id.slice(0, 12)}`);
  }
  return r.smoke.ok ? 0 : 1;
}

async function deployPush(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { username: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'docker-host': { type: 'string' } },
  });
  if (positionals.length !== 2) throw new UsageError('deploy push: expected <image> <target>');
  const [image, target] = positionals;
  const registry = registryOf(target);
  let auth: RegistryAuth | undefined;
  if (values.username) {
    if (!values['password-stdin'])
      throw new UsageError('--username needs --password-stdin (the password is read from stdin, never from the command line)');
    auth = { username: values.username, password: await readStdin(), serveraddress: registry };
  } else {
    const login = await dockerLoginAuth(registry);
    if (login.problem)
      ctx.err(
        `${login.problem}. ${login.auth ? 'Using the credentials in the Docker config file.' : 'Trying without credentials (or give --username U --password-stdin).'}`,
      );
    auth = login.auth;
    if (auth) ctx.err(`Credentials for ${registry}: ${login.source}`);
  }
  const engine = await connectEngine(values['docker-host']);
  const facts = await imageFacts(engine, image, ctx.workspace);
  const log = buildLogger(ctx);
  // Layer status changes only: the byte-count ticks of each layer would flood the terminal.
  const onProgress = (line: string) => (/: (Pushing|Downloading|Extracting) /.test(line) ? undefined : log(line));
  const pushed = await pushImage({ engine, image, target, auth, signal: ctx.signal, onProgress });
  await appendLineage(ctx.workspace, {
    at: new Date().toISOString(),
    kind: 'push',
    modelPath: facts.modelPath,
    modelHash: facts.modelHash,
    runId: facts.runId,
    image,
    digest: pushed.digest,
    reference: pushed.reference,
    target,
  }).catch(() => undefined);
  ctx.out(ctx.json ? JSON.stringify(pushed, null, 2) : `Pushed ${target}\n${pushed.reference}`);
  return 0;
}

async function deployK8s(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      replicas: { type: 'string' },
      cpu: { type: 'string' },
      memory: { type: 'string' },
      kserve: { type: 'boolean' },
      out: { type: 'string' },
      apply: { type: 'boolean' },
      'model-name': { type: 'string' },
      port: { type: 'string' },
    },
  });
  if (positionals.length !== 1)
    throw new UsageError('deploy k8s: expected one image reference (as pushed to a registry the cluster can pull from)');
  const image = positionals[0];
  const repoName = path.posix.basename(image.split('@')[0].replace(/:[^/:]*$/, ''));
  const name = kubernetesName(values.name ?? repoName);
  const modelName = values['model-name'] ?? repoName;
  const replicas = positiveInt(values.replicas, 'replicas', 0);
  const { yaml, files } = renderKubernetesManifests({
    name,
    image,
    modelName,
    containerPort: positiveInt(values.port, 'port') ?? DEFAULT_CONTAINER_PORT,
    replicas,
    cpu: values.cpu,
    memory: values.memory,
    kserve: values.kserve,
  });
  const outDir = path.resolve(ctx.workspace, values.out ?? path.join('deploy', 'k8s'));
  await mkdir(outDir, { recursive: true });
  const combined = path.join(outDir, `${name}.yaml`);
  await writeFile(combined, yaml);
  if (!ctx.json) ctx.err(`Wrote ${combined} (${files.map((f) => f.name.replace(`${name}-`, '').replace('.yaml', '')).join(', ')})`);
  if (values.apply) {
    const kubectl = await findKubectl();
    if (!kubectl) throw new Error(`kubectl was not found on PATH; apply the manifests where it is set up: kubectl apply -f ${combined}`);
    const onLog = buildLogger(ctx);
    await applyManifests({ kubectl, file: combined, signal: ctx.signal, onLog });
    await rolloutStatus({ kubectl, name, timeoutSeconds: 300, signal: ctx.signal, onLog });
  }
  const pushed = findPush(await readLineage(ctx.workspace).catch(() => []), image);
  await appendLineage(ctx.workspace, {
    at: new Date().toISOString(),
    kind: 'kubernetes',
    modelPath: pushed?.modelPath ?? modelName,
    modelHash: pushed?.modelHash ?? '',
    runId: pushed?.runId,
    image: pushed?.image ?? image,
    digest: pushed?.digest,
    reference: image,
    manifest: combined,
  }).catch(() => undefined);
  ctx.out(ctx.json ? JSON.stringify({ name, manifest: combined, applied: Boolean(values.apply), yaml }, null, 2) : yaml);
  return 0;
}

export const deployCommand: CliCommand = {
  name: 'deploy',
  summary: 'Run a model image locally, push it to a registry, or deploy it to Kubernetes, SageMaker, Vertex AI or Azure ML',
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'local':
        return deployLocal(rest, ctx);
      case 'stop': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            'docker-host': { type: 'string' },
            context: { type: 'string' },
            namespace: { type: 'string' },
            'keep-cluster': { type: 'boolean' },
          },
        });
        return deployStop(positionals, ctx, {
          dockerHost: values['docker-host'],
          context: values.context,
          namespace: values.namespace,
          keepCluster: values['keep-cluster'],
        });
      }
      case 'front': {
        const { values } = parseArgs({ args: rest, options: { port: { type: 'string' }, upstream: { type: 'string' } } });
        return deployFront({ port: positiveInt(values.port, 'port'), upstream: values.upstream }, ctx);
      }
      case 'push':
        return deployPush(rest, ctx);
      case 'k8s':
      case 'kubernetes': {
        // NAME@ALIAS (not a file of that name): the registry version, followed by promotions.
        if (rest.some((a) => !a.startsWith('-') && parseRegistryRef(a) && !existsSync(path.resolve(ctx.workspace, a))))
          return deployAliasK8s(rest, ctx);
        return deployK8s(rest, ctx);
      }
      case 'sagemaker':
      case 'vertex':
      case 'azureml':
        return deployCloud(sub, rest, ctx, imageFacts);
      default:
        throw new UsageError(
          sub
            ? `unknown target "${sub}": use local, push, k8s, sagemaker, vertex or azureml`
            : 'give a target: local, push, k8s, sagemaker, vertex or azureml',
        );
    }
  },
};
