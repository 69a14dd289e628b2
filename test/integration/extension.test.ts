import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './activation.test';
import { waitFor } from './support';

interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
    configuration: { properties: Record<string, { markdownDescription?: string; description?: string }> };
  };
}

async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  await ext.activate();
  return ext;
}

describe('extension manifest and registration', () => {
  it('registers every declared command, and declares every registered one', async () => {
    const ext = await activated();
    const manifest = ext.packageJSON as Manifest;
    const declared = manifest.contributes.commands.map((c) => c.command);
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('mlWorkbench.'));
    // VS Code adds <viewId>.focus/.resetViewLocation/... for each view; those are not ours to declare.
    const ours = registered.filter((c) => !/^mlWorkbench\.(runs|models|deployments)\.[a-zA-Z]+$/.test(c));
    assert.deepEqual(
      declared.filter((c) => !registered.includes(c)),
      [],
      'declared but not registered',
    );
    assert.deepEqual(
      ours.filter((c) => !declared.includes(c)),
      [],
      'registered but not declared',
    );
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'ML', `${c.command} is not in category ML`);
  });

  it('contributes the Runs, Models and Deployments views with welcome content', async () => {
    const manifest = (await activated()).packageJSON as Manifest;
    assert.deepEqual(
      manifest.contributes.views.mlWorkbench.map((v) => v.name),
      ['Runs', 'Models', 'Deployments'],
    );
    for (const v of manifest.contributes.views.mlWorkbench) {
      assert.ok(
        manifest.contributes.viewsWelcome.some((w) => w.view === v.id && /\(command:mlWorkbench\./.test(w.contents)),
        `${v.id} has no welcome button`,
      );
      // The generated focus command only exists for a real, registered view.
      await vscode.commands.executeCommand(`${v.id}.focus`);
    }
  });

  it('describes every setting', async () => {
    const manifest = (await activated()).packageJSON as Manifest;
    for (const [key, p] of Object.entries(manifest.contributes.configuration.properties)) {
      assert.ok((p.markdownDescription ?? p.description ?? '').length > 20, `${key} has no description`);
    }
  });

  it('opens the environment report as a webview from the command', async () => {
    await activated();
    await vscode.commands.executeCommand('mlWorkbench.checkEnvironment');
    const tab = await waitFor('the ML Environment tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.label === 'ML Environment' && t.input instanceof vscode.TabInputWebview),
    );
    assert.ok(tab.isActive);
    await vscode.window.tabGroups.close(tab);
  });
});
