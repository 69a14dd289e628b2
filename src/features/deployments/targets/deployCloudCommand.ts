import * as vscode from 'vscode';
import * as path from 'node:path';
import type { CloudDeployment, CloudPlatform } from '../../../core/deploy/cloud/cloudTypes';
import type { PushSteps } from '../../../core/deploy/cloud/cloudPushSteps';
import { shellQuote } from '../../../core/deploy/cloud/formatCommands';
import { UserError } from '../../../vscode/userError';
import { pickBuiltImage } from '../containers/containerCommands';
import type { BuiltImage } from '../containers/builtImages';
import { ReadonlyDocuments } from '../readonlyDocuments';
import { recordLineage, withCancellableProgress, workspaceRootFor, type DeployContext } from '../deployContext';
import type { CloudPlatformUi, RememberedInputs } from './cloudPlatforms';

type Probe = Awaited<ReturnType<typeof import('../../../core/deploy/cloud/probeCloudCli').probeCloudCli>>;

/** Asks the endpoint name, then each of the platform's questions, filled in with what was entered last time. */
async function askInputs(
  ctx: DeployContext,
  ui: CloudPlatformUi,
  built: BuiltImage,
  probe: Promise<Probe>,
): Promise<{ name: string; values: RememberedInputs } | undefined> {
  const { cloudEndpointName } = await import('../../../core/deploy/cloud/cloudNames');
  const { endpointNameProblem, rememberedKey } = await import('./cloudPlatforms');
  const remembered = ctx.context.workspaceState.get<RememberedInputs>(rememberedKey(ui.platform)) ?? {};
  const steps = 1 + ui.inputs.length;
  const title = (i: number) => `Deploy to ${ui.label} (${i}/${steps})`;
  const name = await vscode.window.showInputBox({
    title: title(1),
    prompt: `Endpoint name (the ${ui.label} resources of this deployment are named after it)`,
    value: cloudEndpointName(ui.platform, built.modelName),
    ignoreFocusOut: true,
    validateInput: (v) => endpointNameProblem(ui.platform, v),
  });
  if (!name) return undefined;
  const values: RememberedInputs = {};
  for (const [i, input] of ui.inputs.entries()) {
    // The CLI's account (when it is logged in) only makes suggestions: never wait long for it.
    const account = await Promise.race([probe.then((p) => p.account), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1500))]);
    const answer = await vscode.window.showInputBox({
      title: title(i + 2),
      prompt: input.prompt,
      placeHolder: input.placeHolder,
      value: remembered[input.key] ?? input.fallback(values, account),
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() && !input.optional ? 'Required' : input.validate(v)),
    });
    if (answer === undefined) return undefined;
    if (answer.trim()) values[input.key] = answer.trim();
  }
  await ctx.context.workspaceState.update(rememberedKey(ui.platform), values);
  return { name, values };
}

/** Appends the lineage record of a cloud endpoint (deployed, failed, or its files saved), and shows it in the view. */
export async function recordCloudEndpoint(
  ctx: DeployContext,
  e: { platform: CloudPlatform; built: BuiltImage; dep: CloudDeployment; outDir: string; status: string; endpoint?: string; url?: string },
): Promise<void> {
  await recordLineage(ctx, {
    at: new Date().toISOString(),
    kind: 'cloud',
    modelPath: e.built.modelPath,
    modelHash: e.built.modelHash,
    runId: e.built.runId,
    image: e.built.image,
    imageId: e.built.imageId,
    reference: e.dep.targetImage,
    platform: e.platform,
    region: e.dep.region,
    instanceType: e.dep.instanceType,
    endpoint: e.endpoint ?? e.dep.name,
    status: e.status,
    url: e.url,
    manifest: e.outDir,
  });
  await ctx.tree.reloadLineage();
}

const shellLine = (argv: string[]) => argv.map(shellQuote).join(' ');

/** The names of what is still missing (each hint starts with its name). */
function missingNames(dep: CloudDeployment): string[] {
  return dep.missing.map((m) => m.split(':')[0]);
}

/** One read-only Markdown document: what is deployed where, what still needs filling in, the commands, then every file. */
function reviewText(ui: CloudPlatformUi, dep: CloudDeployment, image: string, outRel: string, push: PushSteps, commands: string): string {
  const fence = (file: string) => ({ '.json': 'json', '.yaml': 'yaml', '.yml': 'yaml', '.sh': 'sh' })[path.extname(file)] ?? '';
  const lines = [
    `# ${dep.name} on ${ui.label}`,
    '',
    `- **Image**: \`${image}\`, to be pushed as \`${dep.targetImage}\``,
    `- **Region**: ${dep.region}`,
    `- **Instance type**: ${dep.instanceType}`,
    `- **Saved to**: \`${outRel}/\` (${[...dep.files.map((f) => f.path), 'commands.sh'].join(', ')})`,
  ];
  if (dep.missing.length)
    lines.push(
      '',
      '## Still to fill in',
      '',
      `Answer these when you run Deploy to ${ui.label}… again, or edit the saved files:`,
      '',
      ...dep.missing.map((m) => `- ${m}`),
    );
  lines.push('', '## Push the image', '', push.note, '', '```sh', ...push.commands.map(shellLine), '```');
  lines.push('', `## Then deploy (in ${outRel}/)`, '', '```sh', commands.replace(/\n$/, ''), '```');
  for (const f of dep.files) lines.push('', `## ${f.path}`, '', `\`\`\`${fence(f.path)}`, f.content.replace(/\n$/, ''), '```');
  lines.push('');
  return lines.join('\n');
}

function folderActions(outDir: string, commands: string, log: vscode.LogOutputChannel) {
  return {
    'Open Folder': () => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(outDir)),
    'Copy Commands': () => vscode.env.clipboard.writeText(commands),
    'Show Log': () => log.show(true),
  };
}

/**
 * "ML: Deploy to SageMaker… / Vertex AI… / Azure ML…": the platform's deployment of an image built here,
 * rendered for review, then run with the platform's CLI when it is installed and logged in (followed until
 * the endpoint is in service), or saved to deploy/<platform>/ with the commands to run. Resolves with the
 * folder the files were saved in.
 */
export async function deployCloudCommand(ctx: DeployContext, platform: CloudPlatform, arg: unknown): Promise<string | undefined> {
  const ui = (await import('./cloudPlatforms')).PLATFORM_INPUTS[platform];
  const built = await pickBuiltImage(ctx, arg, `Deploy to ${ui.label}`);
  if (!built) return undefined;
  const root = workspaceRootFor(built.modelPath || undefined);
  const [{ renderCloudDeployment }, { formatCommands }, { probeCloudCli }, { cloudPushSteps }] = await Promise.all([
    import('../../../core/deploy/cloud/renderCloudDeployment'),
    import('../../../core/deploy/cloud/formatCommands'),
    import('../../../core/deploy/cloud/probeCloudCli'),
    import('../../../core/deploy/cloud/cloudPushSteps'),
  ]);
  // Asked while the user answers: is the CLI there, and logged in?
  const probing = probeCloudCli(platform, process.env).catch((e: Error): Probe => ({ loggedIn: false, reason: e.message }));
  const answers = await askInputs(ctx, ui, built, probing);
  if (!answers) return undefined;

  let dep: CloudDeployment;
  try {
    dep = renderCloudDeployment({ platform, image: built.image, name: answers.name, modelName: built.modelName, ...answers.values });
  } catch (e) {
    throw new UserError(`Could not render the ${ui.label} deployment: ${(e as Error).message}`);
  }
  const outDir = path.join(root, 'deploy', platform);
  const outRel = vscode.workspace.asRelativePath(outDir, false);
  const push = cloudPushSteps(dep, built.image);
  const deployCommands = formatCommands(dep);
  // What Copy Commands gives: the push, then the deployment from the saved folder.
  const commands = [...push.commands.map(shellLine), `cd ${shellQuote(outDir)}`, deployCommands].join('\n');
  const review = ReadonlyDocuments.uri(`${dep.name} on ${ui.label}.md`, `cloud:${platform}:${dep.name}`);
  ctx.docs.set(review, reviewText(ui, dep, built.image, outRel, push, deployCommands));
  await ctx.docs.show(review, 'markdown', { preview: true });

  const probe = await probing;
  const canDeploy = !!probe.cli && probe.loggedIn && dep.missing.length === 0;
  const why = !probe.cli
    ? `${ui.cli} is not installed here (not found on PATH)`
    : !probe.loggedIn
      ? `${ui.cli} is not logged in${probe.reason ? ` (${probe.reason})` : ''}`
      : `still to fill in: ${missingNames(dep).join(', ')}`;
  ctx.log.info(
    `Deploy to ${ui.label}: ${canDeploy ? `${ui.cli} at ${probe.cli} is logged in${probe.account ? ` as ${probe.account}` : ''}` : why}`,
  );
  const choice = await vscode.window.showInformationMessage(
    `Deploy ${built.modelName} to ${ui.label} as "${dep.name}" (${dep.region}, ${dep.instanceType})?`,
    {
      modal: true,
      detail: canDeploy
        ? `The deployment is open for review. "Deploy" runs it with ${ui.cli}${probe.account ? ` as ${probe.account}` : ''} and follows the endpoint until it is in service; "Save Files" writes ${outRel}/.`
        : `The deployment is open for review. It cannot be run from here: ${why}. "Save Files" writes it to ${outRel}/ with the commands to run.`,
    },
    ...(canDeploy ? ['Deploy', 'Save Files'] : ['Save Files']),
  );
  if (!choice) return undefined;

  const { saveCloudDeployment } = await import('../../../core/deploy/cloud/saveCloudDeployment');
  const saved = await saveCloudDeployment(dep, outDir);
  ctx.log.info(`Saved the ${ui.label} deployment of ${dep.name}: ${saved.join(', ')}`);
  const actions = folderActions(outDir, commands, ctx.log);
  const base = { platform, built, dep, outDir };
  if (choice === 'Save Files') {
    await recordCloudEndpoint(ctx, { ...base, status: 'saved' });
    // Not awaited: the command is done once the files are saved; the message keeps its ways out.
    void vscode.window
      .showInformationMessage(
        canDeploy
          ? `Saved the ${ui.label} deployment of ${dep.name} to ${outRel}/.`
          : `Saved the ${ui.label} deployment of ${dep.name} to ${outRel}/: ${why}. Run the commands there where ${ui.cli} is set up.`,
        ...(Object.keys(actions) as (keyof typeof actions)[]),
      )
      .then((pick) => pick && actions[pick]());
    return outDir;
  }

  const [{ applyCloudDeployment }, { cloudRegistryAuth }, { pushImage }] = await Promise.all([
    import('../../../core/deploy/cloud/applyCloudDeployment'),
    import('../../../core/deploy/cloud/cloudRegistryAuth'),
    import('../../../core/deploy/pushImage'),
  ]);
  const cli = probe.cli as string;
  const engine = await ctx.docker.engine();
  const result = await withCancellableProgress(`Deploying ${dep.name} to ${ui.label}`, async (progress, signal) => {
    const log = (line: string) => ctx.log.info(`[${ui.cli}] ${line}`);
    try {
      progress.report({ message: `Pushing ${built.image} to ${dep.targetImage}…` });
      const auth = await cloudRegistryAuth(dep, { cli, log, signal });
      let lastReport = 0;
      const pushed = await pushImage({
        engine,
        image: built.image,
        target: dep.targetImage,
        auth,
        signal,
        onProgress: (line) => {
          ctx.log.debug(`[push] ${line}`);
          if (Date.now() - lastReport > 250) {
            lastReport = Date.now();
            progress.report({ message: line.slice(0, 80) });
          }
        },
      });
      ctx.log.info(`Pushed ${pushed.reference} (${pushed.digest})`);
      await ctx.images.recordPush(built.image, pushed.reference, pushed.digest);
      return await applyCloudDeployment(dep, {
        cli,
        cwd: outDir,
        signal,
        log,
        onStatus: (status: string) => {
          ctx.log.info(`[${ui.label}] ${dep.name}: ${status}`);
          progress.report({ message: status.slice(0, 100) });
        },
      });
    } catch (e) {
      if (signal.aborted) throw e;
      await recordCloudEndpoint(ctx, { ...base, status: (e as { status?: string }).status ?? 'Failed' });
      const detail = (e as Error).message
        .split('\n')
        .filter((l) => l.trim())
        .slice(-3)
        .join('\n');
      throw new UserError(`${ui.label} deployment of ${dep.name} failed: ${detail}\nThe files are saved in ${outRel}/.`, [
        { title: 'Open Folder', run: actions['Open Folder'] },
        { title: 'Copy Commands', run: actions['Copy Commands'] },
      ]);
    }
  });
  await recordCloudEndpoint(ctx, { ...base, status: result.status, endpoint: result.endpoint, url: result.url });
  const pick = await vscode.window.showInformationMessage(
    `${ui.label} endpoint ${result.endpoint} is ${result.status} (${dep.region}).`,
    ...(result.url ? ['Copy Endpoint URL'] : []),
    'Show Log',
  );
  if (pick === 'Copy Endpoint URL' && result.url) await vscode.env.clipboard.writeText(result.url);
  else if (pick === 'Show Log') ctx.log.show(true);
  return outDir;
}
