import { UsageError, type CliCommand } from '../cliCommand';
import { checkTarget } from '../../core/targets/checkTarget';
import { findTarget, loadTargets, TARGETS_FILE } from '../../core/targets/loadTargets';
import type { Target } from '../../core/targets/targetTypes';

const usage = `mlw targets list
mlw targets check NAME

Compute targets, declared in ${TARGETS_FILE} of the workspace:

  targets:
    gpu-box: { kind: ssh, host: gpubox, workdir: ~/mlw-runs, python: /usr/bin/python3 }
    cluster: { kind: slurm, host: login1, partition: gpu, gpus: 1, cpus: 8, mem: 32G, time: "04:00:00", sbatch: ["--account=ml"] }
    k8s:     { kind: kubernetes, namespace: ml, image: registry.example/train:1, gpus: 1, context: gke-ml }

host is an alias of your ssh config or a host name (with port, user, identityFile, sshConfig: a file for ssh -F);
hosts are reached with the system ssh client, host keys checked, never a password prompt (BatchMode). A slurm
target without host runs sbatch on this machine. Run on one with: mlw run SCRIPT --target NAME.

  list          the targets and any mistakes in their declarations
  check NAME    is the host reachable, does its interpreter run, can the workdir be made, is SLURM up, free GPUs
                (exit 1 when something is wrong)`;

function describe(t: Target): string {
  const where =
    t.kind === 'ssh' || t.kind === 'slurm'
      ? t.ssh
        ? t.ssh.host
        : 'this machine'
      : t.kind === 'kubernetes'
        ? `${t.context ?? 'current context'}/${t.namespace} ${t.image}${t.gpus ? ` (gpus ${t.gpus})` : ''}`
        : '';
  const extra =
    t.kind === 'slurm'
      ? [
          t.partition && `partition ${t.partition}`,
          t.gpus !== undefined && `gpus ${t.gpus}`,
          t.cpus && `cpus ${t.cpus}`,
          t.mem && `mem ${t.mem}`,
          t.time && `time ${t.time}`,
        ]
          .filter(Boolean)
          .join(', ')
      : '';
  return `${t.name.padEnd(16)} ${t.kind.padEnd(10)} ${where}${extra ? `  (${extra})` : ''}  [${t.origin}]`;
}

export const targetsCommand: CliCommand = {
  name: 'targets',
  summary: 'List and check compute targets (ssh hosts, SLURM clusters)',
  usage,
  async run(args, ctx) {
    const [verb, name, ...rest] = args;
    if (rest.length) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const parsed = await loadTargets(ctx.workspace);
    if (verb === 'list' || verb === undefined) {
      if (ctx.json) ctx.out(JSON.stringify(parsed, null, 2));
      else {
        if (!parsed.targets.length) ctx.out(`No targets: declare them in ${TARGETS_FILE}`);
        for (const t of parsed.targets) ctx.out(describe(t));
      }
      for (const e of parsed.errors) ctx.err(`mlw: ${e}`);
      return parsed.errors.length ? 1 : 0;
    }
    if (verb === 'check') {
      if (!name) throw new UsageError('mlw targets check needs a target name');
      let target: Target;
      try {
        target = findTarget(parsed, name);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const result = await checkTarget(target, ctx.workspace);
      if (ctx.json) ctx.out(JSON.stringify(result, null, 2));
      else for (const i of result.items) ctx.out(`${i.ok ? 'ok  ' : 'FAIL'}  ${i.name.padEnd(12)} ${i.detail}`);
      return result.ok ? 0 : 1;
    }
    throw new UsageError(`unknown targets command: ${verb} (list, check)`);
  },
};
