import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, View } from '../../../src/commandIds';

const root = path.resolve(__dirname, '../../../..');

interface ManifestCommand {
  command: string;
  title?: string;
  category?: string;
  icon?: string;
}
interface Manifest {
  contributes: {
    commands: ManifestCommand[];
    menus: Record<string, { command?: string }[]>;
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
    customEditors: { viewType: string }[];
    keybindings?: { command: string }[];
  };
}
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const table = Object.values(Command) as string[];
const contributed = manifest.contributes.commands.map((c) => c.command);

test('every contributed command is in the command table, and every command in the table is contributed', () => {
  assert.deepEqual(
    contributed.filter((id) => !table.includes(id)),
    [],
    'contributed in package.json but missing from src/commandIds.ts',
  );
  assert.deepEqual(
    table.filter((id) => !contributed.includes(id)),
    [],
    'in src/commandIds.ts but not contributed in package.json',
  );
  assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
  for (const [name, id] of Object.entries(Command)) assert.equal(id, `mlWorkbench.${name}`, `Command.${name} does not match its id`);
});

test('every contributed command has a title, the ML category and a codicon', () => {
  for (const c of manifest.contributes.commands) {
    assert.ok(c.title && c.title.trim().length > 0, `${c.command} has no title`);
    assert.equal(c.category, 'ML', `${c.command} is not in category ML`);
    assert.match(c.icon ?? '', /^\$\([a-z0-9-]+\)$/, `${c.command} has no codicon`);
  }
});

test('menus, keybindings and welcome buttons name only contributed commands', () => {
  const named = [
    ...Object.values(manifest.contributes.menus).flatMap((items) => items.map((i) => i.command).filter((c): c is string => !!c)),
    ...(manifest.contributes.keybindings ?? []).map((k) => k.command),
    ...manifest.contributes.viewsWelcome.flatMap((w) => [...w.contents.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1])),
  ].filter((id) => id.startsWith('mlWorkbench.'));
  assert.ok(named.length > 0);
  assert.deepEqual(
    [...new Set(named.filter((id) => !contributed.includes(id)))],
    [],
    'named in a menu, keybinding or welcome text but not contributed',
  );
});

test('the view table matches the contributed views and the custom editor', () => {
  const views = Object.values(manifest.contributes.views).flatMap((v) => v.map((x) => x.id));
  const editors = manifest.contributes.customEditors.map((e) => e.viewType);
  assert.deepEqual([...views, ...editors].sort(), (Object.values(View) as string[]).sort());
});
