// ML: Deploy to Kubernetes… of a registry alias from the editor, then Stop Registry Deployment on its row. No cluster
// can run here: kubectl is the STAND-IN of test/support/kubectlStandIn.ts (first on PATH of this extension host),
// which records the argv and answers config, apply, rollout status and delete -f as kubectl does. The version image
// is built on the real test engine (test/harness/dockerEngine.mjs) and pushed to its real registry, which the
// stand-in asks for the image before it reports the rollout done. The dialogs are answered by replacing the window
// functions the extension shares with this test (what a user would click), and the progress notification's lines
// are recorded.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Command } from '../../src/commandIds';
import { kubectlStandIn } from '../support/kubectlStandIn';
import { MLW, writeTwoVersions } from '../support/aliasRollSupport';
import { EXTENSION_ID } from './activation.test';
import { keepEnv, startTestEngine, type TestEngine } from './support';

type Win = Record<
  'showQuickPick' | 'showInputBox' | 'showInformationMessage' | 'showWarningMessage' | 'showErrorMessage' | 'withProgress',
  unknown
>;

/** What the dialogs asked and what the progress notification said while `body` ran; `answer` picks the replies. */
async function answering<T>(
  answer: {
    pick?: (items: vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined;
    input?: (o: vscode.InputBoxOptions) => string | undefined;
    modal?: (message: string, detail: string, buttons: string[]) => string | undefined;
  },
  body: () => PromiseLike<T>,
) {
  const win = vscode.window as unknown as Win;
  const keys = [
    'showQuickPick',
    'showInputBox',
    'showInformationMessage',
    'showWarningMessage',
    'showErrorMessage',
    'withProgress',
  ] as const;
  const saved = Object.fromEntries(keys.map((k) => [k, win[k]]));
  const seen = {
    picks: [] as string[][],
    inputs: [] as string[],
    modals: [] as { message: string; detail: string }[],
    errors: [] as string[],
    progress: [] as string[],
  };
  win.showQuickPick = async (items: vscode.QuickPickItem[] | Thenable<vscode.QuickPickItem[]>) => {
    const list = await items;
    seen.picks.push(list.map((i) => i.label));
    return answer.pick?.(list);
  };
  win.showInputBox = async (o: vscode.InputBoxOptions) => {
    seen.inputs.push(o.title ?? '');
    return answer.input?.(o);
  };
  const message = async (text: string, ...rest: unknown[]) => {
    const opts = rest[0] as vscode.MessageOptions | undefined;
    if (opts && typeof opts === 'object' && opts.modal) {
      seen.modals.push({ message: text, detail: opts.detail ?? '' });
      return answer.modal?.(text, opts.detail ?? '', rest.slice(1) as string[]);
    }
    return undefined;
  };
  win.showInformationMessage = message;
  win.showWarningMessage = message;
  win.showErrorMessage = async (text: string) => {
    seen.errors.push(text);
    return undefined;
  };
  win.withProgress = async (
    _o: vscode.ProgressOptions,
    task: (p: vscode.Progress<{ message?: string }>, t: vscode.CancellationToken) => Promise<unknown>,
  ) => task({ report: (v) => v.message && seen.progress.push(v.message) }, new vscode.CancellationTokenSource().token);
  try {
    return { result: await body(), seen };
  } finally {
    for (const k of keys) win[k] = saved[k];
  }
}

describe('Deploy to Kubernetes of a registry alias from the editor, and Stop Registry Deployment of it', function () {
  this.timeout(600_000);
  let folder = '';
  let engine: TestEngine | undefined;
  let dir = '';
  const restoreEnv = keepEnv(['PATH', 'FAKE_KUBECTL_DIR', 'FAKE_KUBECTL_REPO']);
  const config = () => vscode.workspace.getConfiguration('mlWorkbench');

  before(async function () {
    engine = await startTestEngine();
    if (!engine) this.skip();
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    dir = mkdtempSync(path.join(tmpdir(), 'mlw-k8s-editor-'));
    await config().update('docker.host', engine.dockerHost, vscode.ConfigurationTarget.Global);
    await config().update('docker.baseImage', engine.baseImage, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    restoreEnv();
    await config().update('docker.host', undefined, vscode.ConfigurationTarget.Global);
    await config().update('docker.baseImage', undefined, vscode.ConfigurationTarget.Global);
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (folder) {
      rmSync(path.join(folder, '.mlw', 'registry', 'edclf.json'), { force: true });
      rmSync(path.join(folder, '.mlw', 'deployments', 'edclf@champion.kubernetes-kind-ml-ml-edclf-champion.json'), { force: true });
      rmSync(path.join(folder, 'deploy', 'k8s', 'edclf-champion.yaml'), { force: true });
    }
  });

  it('pushes the version image, applies in the current context after confirming it, follows the rollout; Stop deletes it', async () => {
    const kubectl = kubectlStandIn(path.join(dir, 'kubectl'), { currentContext: 'kind-ml', contexts: { 'kind-ml': 'ml', 'kind-dev': '' } });
    const [v1] = writeTwoVersions(dir);
    execFileSync(process.execPath, [MLW, '--workspace', folder, 'registry', 'register', v1, '--name', 'edclf', '--alias', 'champion'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    Object.assign(process.env, kubectl.env);
    const reg = engine!.registry;
    const manifest = path.join(folder, 'deploy', 'k8s', 'edclf-champion.yaml');
    const recordFile = path.join(folder, '.mlw', 'deployments', 'edclf@champion.kubernetes-kind-ml-ml-edclf-champion.json');
    const K = ['--context', 'kind-ml', '--namespace', 'ml'];
    const scopeCalls = [
      ['config', 'current-context'],
      ['config', 'view', '--minify', '--context=kind-ml', '--output=jsonpath={..namespace}'],
    ];
    const rollout = [
      [...K, 'apply', '-f', manifest],
      [...K, 'rollout', 'status', 'deployment/edclf-champion', '--timeout=300s'],
    ];

    const first = await answering(
      {
        pick: (items) => items.find((i) => i.label === '$(library) edclf@champion'),
        input: () => reg,
        modal: (_m, _d, buttons) => (buttons.includes('Deploy and Apply') ? 'Deploy and Apply' : undefined),
      },
      () => vscode.commands.executeCommand<string | undefined>(Command.deployKubernetes),
    );
    assert.deepEqual(first.seen.errors, []);
    assert.equal(first.result, manifest);
    assert.ok(first.seen.picks[0].includes('$(library) edclf@champion'), `the picker offers the alias: ${first.seen.picks[0]}`);
    assert.deepEqual(first.seen.inputs, ['Deploy to Kubernetes: image registry']);
    assert.equal(first.seen.modals.length, 1);
    assert.equal(first.seen.modals[0].message, 'Deploy edclf@champion (version 1) to Kubernetes context kind-ml, namespace ml?');
    assert.match(first.seen.modals[0].detail, new RegExp(`pushed as ${reg.replace(/\./g, '\\.')}/edclf:v1`));
    assert.deepEqual(kubectl.argv(), [...scopeCalls, ...rollout]);
    assert.ok(first.seen.progress.includes('deployment "edclf-champion" successfully rolled out'), first.seen.progress.join('\n'));
    assert.ok(first.seen.progress.some((l) => /rollout to finish: 0 of 1 updated replicas are available/.test(l)));
    assert.match(readFileSync(manifest, 'utf8'), new RegExp(`image: ${reg.replace(/\./g, '\\.')}/edclf:v1\\n`));
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      [record.kind, record.context, record.namespace, record.deployment, record.applied, record.image],
      ['kubernetes', 'kind-ml', 'ml', 'edclf-champion', true, `${reg}/edclf:v1`],
    );
    assert.equal(kubectl.clusterImage('kind-ml', 'ml', 'edclf-champion'), `${reg}/edclf:v1`);
    const tags = ((await (await fetch(`http://${reg}/v2/edclf/tags/list`)).json()) as { tags: string[] }).tags;
    assert.deepEqual(tags, ['v1']);

    // Again: the registry is remembered (not asked), the same record re-applied.
    const seenBefore = kubectl.argv().length;
    const second = await answering(
      { pick: (items) => items.find((i) => i.label === '$(library) edclf@champion'), modal: () => 'Deploy and Apply' },
      () => vscode.commands.executeCommand<string | undefined>(Command.deployKubernetes),
    );
    assert.deepEqual(second.seen.errors, []);
    assert.deepEqual(second.seen.inputs, [], 'the registry is remembered for the workspace');
    assert.deepEqual(kubectl.argv().slice(seenBefore), [...scopeCalls, ...rollout]);

    // Stop Registry Deployment on its row: a modal naming context, namespace and Deployment, then kubectl delete -f.
    const deployment = JSON.parse(readFileSync(recordFile, 'utf8')) as unknown;
    const afterDeploy = kubectl.argv().length;
    const stop = await answering(
      { modal: (_m, _d, buttons) => (buttons.includes('Delete from Cluster') ? 'Delete from Cluster' : undefined) },
      () => vscode.commands.executeCommand(Command.stopRegistryDeployment, { type: 'aliasServing', serving: { folder, deployment } }),
    );
    assert.deepEqual(stop.seen.errors, []);
    assert.deepEqual(
      stop.seen.modals.map((m) => m.message),
      ['Delete deployment/edclf-champion in context kind-ml, namespace ml?'],
    );
    assert.match(
      stop.seen.modals[0].detail,
      /^kubectl --context kind-ml --namespace ml delete -f deploy\/k8s\/edclf-champion\.yaml deletes/,
    );
    assert.deepEqual(kubectl.argv().slice(afterDeploy), [[...K, 'delete', '-f', manifest]]);
    assert.equal(existsSync(recordFile), false, 'the record is removed');
    assert.deepEqual(kubectl.clusterObjects(), []);
    assert.ok(existsSync(manifest), 'the manifest stays');
  });
});
