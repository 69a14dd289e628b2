import * as vscode from 'vscode';
import type { PasswordAuth, RegistryAuth } from '../../../core/docker/dockerEngine';
import { RegistryAuthError, RegistryUnreachableError, registryOf } from '../../../core/docker/engineErrors';
import { UserError } from '../../../vscode/userError';
import { pickBuiltImage } from './containerCommands';
import { recordLineage, withCancellableProgress, type DeployContext } from '../deployContext';
import type { BuiltImage } from './builtImages';
import { Command } from '../../../commandIds';
import { runCommand } from '../../../commands';

const LAST_REGISTRY_KEY = 'mlWorkbench.lastRegistry';

/** The suggested target: the last registry used, the image's repository name and tag. */
export function suggestTarget(image: string, lastRegistry: string | undefined): string {
  const nameTag = image.split('/').pop() ?? image;
  return lastRegistry ? `${lastRegistry.replace(/\/+$/, '')}/${nameTag}` : nameTag;
}

/** The registry part of a target a user types, as the credentials key: "ghcr.io/team" → "ghcr.io/team" minus repo. */
function registryPrefix(target: string): string | undefined {
  const parts = target.split('/');
  return parts.length > 1 ? parts.slice(0, -1).join('/') : undefined;
}

async function askCredentials(registry: string): Promise<PasswordAuth | undefined> {
  const username = await vscode.window.showInputBox({
    title: `Log in to ${registry} (1/2)`,
    prompt: `User name for ${registry}`,
    ignoreFocusOut: true,
  });
  if (!username) return undefined;
  const password = await vscode.window.showInputBox({
    title: `Log in to ${registry} (2/2)`,
    prompt: `Password or access token for ${username}@${registry}; kept in VS Code's secret storage`,
    password: true,
    ignoreFocusOut: true,
  });
  if (!password) return undefined;
  return { username, password, serveraddress: registry };
}

/** "ML: Push Image…": tag and push an image built here to a registry; resolves with the pushed reference and digest. */
export async function pushImageCommand(
  ctx: DeployContext,
  arg: unknown,
  target?: unknown,
): Promise<{ reference: string; digest: string } | undefined> {
  const built = await pickBuiltImage(ctx, arg, 'Push Image');
  if (!built) return undefined;
  const last = ctx.context.workspaceState.get<string>(LAST_REGISTRY_KEY);
  const reference =
    typeof target === 'string' && target
      ? target
      : await vscode.window.showInputBox({
          title: `Push ${built.image}`,
          prompt:
            'Target reference: registry/repository:tag (Docker Hub: user/repo:tag; GHCR: ghcr.io/owner/repo:tag; local: 127.0.0.1:5000/repo:tag)',
          value: suggestTarget(built.image, last),
          ignoreFocusOut: true,
          validateInput: (v) =>
            /^[a-z0-9]([\w.\-/:@]*[\w])?$/i.test(v.trim()) && !/\s/.test(v)
              ? undefined
              : 'A reference like registry.example.com/team/model:1.0',
        });
  if (!reference) return undefined;
  const registry = registryOf(reference.trim());
  const prefix = registryPrefix(reference.trim());
  if (prefix) await ctx.context.workspaceState.update(LAST_REGISTRY_KEY, prefix);
  return push(ctx, built, reference.trim(), registry, false);
}

async function push(
  ctx: DeployContext,
  built: BuiltImage,
  reference: string,
  registry: string,
  askedNow: boolean,
): Promise<{ reference: string; digest: string } | undefined> {
  const engine = await ctx.docker.engine(() => runCommand(Command.pushImage, built.image, reference));
  const { pushImage, dockerLoginAuth } = await import('../../../core/deploy/pushImage');
  // Credentials typed into ML Workbench come first (so "Re-enter Credentials" wins over a stale docker login),
  // then what `docker login` left: the credential helper's (credHelpers / credsStore), else the config file's.
  let auth: RegistryAuth | undefined = await ctx.credentials.get(registry);
  let source = auth ? (askedNow ? 'entered now' : 'saved credentials') : '';
  if (!auth) {
    const login = await dockerLoginAuth(registry);
    if (login.problem) ctx.log.warn(login.problem);
    auth = login.auth;
    source = login.source ?? 'no credentials';
  }
  ctx.log.info(`Pushing ${built.image} to ${reference} (${source})`);
  let result: { reference: string; digest: string };
  try {
    result = await withCancellableProgress(`Pushing ${built.image} to ${reference}`, async (progress, signal) => {
      let lastReport = 0;
      return pushImage({
        engine,
        image: built.image,
        target: reference,
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
    });
  } catch (e) {
    if (e instanceof RegistryAuthError || (e instanceof Error && e.name === 'RegistryAuthError')) {
      if (!auth) {
        // The registry wants credentials and none are known: ask once, keep them, push again.
        const entered = await askCredentials(registry);
        if (!entered) throw new vscode.CancellationError();
        await ctx.credentials.store(registry, entered);
        return push(ctx, built, reference, registry, true);
      }
      throw new UserError(`${(e as Error).message}`, [
        {
          title: 'Re-enter Credentials',
          run: async () => {
            await ctx.credentials.delete(registry);
            const entered = await askCredentials(registry);
            if (!entered) return;
            await ctx.credentials.store(registry, entered);
            await runCommand(Command.pushImage, built.image, reference);
          },
        },
      ]);
    }
    if (e instanceof RegistryUnreachableError || (e instanceof Error && e.name === 'RegistryUnreachableError')) {
      throw new UserError((e as Error).message, [{ title: 'Try Another Registry', run: () => runCommand(Command.pushImage, built.image) }]);
    }
    throw e;
  }
  ctx.log.info(`Pushed ${result.reference} (${result.digest})`);
  await ctx.images.recordPush(built.image, result.reference, result.digest);
  await recordLineage(ctx, {
    at: new Date().toISOString(),
    kind: 'push',
    modelPath: built.modelPath,
    modelHash: built.modelHash,
    runId: built.runId,
    image: built.image,
    imageId: built.imageId,
    reference: result.reference,
    digest: result.digest,
  });
  ctx.tree.refresh();
  void vscode.window
    .showInformationMessage(`Pushed ${built.image} as ${result.reference}.`, 'Deploy to Kubernetes…', 'Copy Reference')
    .then((choice) => {
      if (choice === 'Copy Reference') return vscode.env.clipboard.writeText(result.reference);
      if (choice === 'Deploy to Kubernetes…') return runCommand(Command.deployKubernetes, result.reference);
      return undefined;
    });
  return result;
}
