import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseGlobal } from '../../../src/cli/mlw';
import { commandList } from '../../../src/cli/commandList';

const MLW = path.resolve(__dirname, '../../../src/cli/mlw.js');
const mlw = (...args: string[]) => spawnSync(process.execPath, [MLW, ...args], { encoding: 'utf8', timeout: 60_000 });

test('--help lists every subcommand; --version prints the version', () => {
  const help = mlw('--help');
  assert.equal(help.status, 0);
  for (const c of commandList) assert.match(help.stdout, new RegExp(`^  ${c.name} `, 'm'));
  const v = mlw('--version', '--json');
  assert.equal(v.status, 0);
  assert.match(JSON.parse(v.stdout).version, /^\d+\.\d+\.\d+/);
});

test('every subcommand has its own --help', () => {
  for (const c of commandList) {
    const r = mlw(c.name, '--help');
    assert.equal(r.status, 0, `${c.name} --help`);
    assert.match(r.stdout, new RegExp(`mlw ${c.name}`));
  }
});

test('an unknown command, a bad workspace and no command are usage errors (exit 2)', () => {
  const unknown = mlw('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const ws = mlw('--workspace', '/nonexistent/ws', 'runs');
  assert.equal(ws.status, 2);
  assert.match(ws.stderr, /workspace is not a folder: \/nonexistent\/ws/);
  assert.equal(mlw().status, 2);
});

test('doctor --json prints one JSON report', () => {
  const r = spawnSync(process.execPath, [MLW, 'doctor', '--json', '--python', '/nonexistent/python'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const report = JSON.parse(r.stdout) as { checks: { id: string; status: string }[] };
  assert.equal(report.checks.find((c) => c.id === 'python')?.status, 'missing');
  assert.equal(r.status, 1, 'a missing component gives exit 1');
});

test('doctor prints each problem once, in its table', () => {
  const r = spawnSync(process.execPath, [MLW, 'doctor', '--python', '/nonexistent/python'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1);
  const all = `${r.stdout}\n${r.stderr}`;
  assert.equal(all.split('/nonexistent/python was not found').length - 1, 1, all);
  assert.match(r.stdout, /^MISS\s+Python interpreter\s+\/nonexistent\/python was not found/m);
  assert.match(r.stdout, /^\s+fix: Install Python 3/m);
});

test('global flags after the command are taken, but not those after --', () => {
  const g = parseGlobal(['--workspace', '/w', 'run', 'train.py', '--json', '--', '--verbose', '--json']);
  assert.equal(g.workspace, '/w');
  assert.equal(g.command, 'run');
  assert.equal(g.json, true);
  assert.equal(g.verbose, false);
  assert.deepEqual(g.rest, ['train.py', '--', '--verbose', '--json']);
});
