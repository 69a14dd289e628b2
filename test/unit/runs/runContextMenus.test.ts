import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, View } from '../../../src/commandIds';
import type { RunSource, RunStatus } from '../../../src/core/runs/runTypes';
import { runContextValue } from '../../../src/features/runs/runContextValue';

// Which commands a run's context menu in the Runs view shows: package.json's `view/item/context` menus,
// their `when` clauses evaluated against the contextValue the tree gives a run of each source.

const root = path.resolve(__dirname, '../../../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { menus: Record<string, { command?: string; when?: string }[]> };
};
const itemMenus = manifest.contributes.menus['view/item/context'];

/**
 * Evaluates the subset of VS Code's when-clause language the manifest uses: `a && b`, `a || b`,
 * `key == value`, `key != value`, `key =~ /regex/flags`. Anything else throws, so a clause this
 * cannot read fails the test instead of being guessed at.
 */
function evaluate(when: string, context: Record<string, string>): boolean {
  return when.split('||').some((alternative) =>
    alternative.split('&&').every((raw) => {
      const term = raw.trim();
      const match = /^([\w.]+)\s*(==|!=|=~)\s*(.+)$/.exec(term);
      if (!match) throw new Error(`when clause term not understood: ${term}`);
      const [, key, op, operand] = match;
      const value = context[key] ?? '';
      if (op === '==') return value === operand.trim();
      if (op === '!=') return value !== operand.trim();
      const re = /^\/(.*)\/([a-z]*)$/.exec(operand.trim());
      if (!re) throw new Error(`not a regular expression: ${operand}`);
      return new RegExp(re[1], re[2]).test(value);
    }),
  );
}

/** The commands shown in the context menu (inline buttons included) of a run of this source and status. */
function shownFor(source: RunSource, status: RunStatus): Set<string> {
  const context = { view: View.runs, viewItem: runContextValue({ source, status }) };
  return new Set(itemMenus.filter((m) => m.command && m.when && evaluate(m.when, context)).map((m) => m.command as string));
}

const EDITING = [Command.renameRun, Command.editRunTags, Command.editRunNotes, Command.rerun, Command.deleteRun, Command.stopRun];
const READ_ONLY: RunSource[] = ['mlflow-file', 'mlflow-sqlite', 'tensorboard', 'mlflow-server'];
const ENDED: RunStatus[] = ['finished', 'failed', 'stopped', 'interrupted'];

describe('Runs view context menus by run source', () => {
  it('the evaluator reads the clauses as VS Code does', () => {
    assert.equal(evaluate('view == a && viewItem =~ /^run\\./', { view: 'a', viewItem: 'run.finished' }), true);
    assert.equal(evaluate('view == a && viewItem =~ /^run\\./', { view: 'a', viewItem: 'readonlyRun.finished' }), false);
    assert.equal(evaluate('viewItem != run.running', { viewItem: 'run.running' }), false);
    assert.equal(evaluate('viewItem == x || viewItem == y', { viewItem: 'y' }), true);
    assert.throws(() => evaluate('!viewItem', {}), /not understood/);
  });

  it('an ML Workbench run shows rename, tags, notes, rerun and delete, and stop while it runs', () => {
    for (const status of ENDED) {
      const shown = shownFor('mlw', status);
      for (const id of [Command.renameRun, Command.editRunTags, Command.editRunNotes, Command.rerun, Command.deleteRun])
        assert.ok(shown.has(id), `${id} is shown for an mlw ${status} run`);
      assert.ok(!shown.has(Command.stopRun), `stop is not shown for an mlw ${status} run`);
      assert.ok(shown.has(Command.pushRunToMlflow), `push is shown for an mlw ${status} run`);
    }
    const running = shownFor('mlw', 'running');
    for (const id of [Command.stopRun, Command.renameRun, Command.editRunTags, Command.editRunNotes])
      assert.ok(running.has(id), `${id} is shown for a running mlw run`);
    assert.ok(!running.has(Command.deleteRun), 'a running run cannot be deleted from the menu');
  });

  for (const source of READ_ONLY) {
    it(`a ${source} run shows no editing command, and still opens and compares`, () => {
      for (const status of [...ENDED, 'running' as const]) {
        const shown = shownFor(source, status);
        const editing = EDITING.filter((id) => shown.has(id));
        assert.deepEqual(editing, [], `editing commands shown for a ${source} ${status} run`);
        assert.ok(shown.has(Command.openRunDashboard), `open is shown for a ${source} ${status} run`);
        assert.ok(shown.has(Command.compareRuns), `compare is shown for a ${source} ${status} run`);
      }
    });
  }

  it('a local run of another tool can be pushed, browsed and checked out; a server run cannot be pushed', () => {
    for (const source of ['mlflow-file', 'mlflow-sqlite', 'tensorboard'] as const) {
      const shown = shownFor(source, 'finished');
      for (const id of [Command.pushRunToMlflow, Command.openRunArtifacts, Command.checkoutRunCode])
        assert.ok(shown.has(id), `${id} is shown for a ${source} run`);
    }
    assert.ok(!shownFor('mlflow-server', 'finished').has(Command.pushRunToMlflow));
  });

  it('every run context value the tree gives is matched by some menu item', () => {
    for (const source of ['mlw', ...READ_ONLY] as const)
      assert.ok(shownFor(source, 'finished').size > 0, `${source} runs have a context menu`);
  });
});
