import { checkDockerTarget } from './docker/checkDockerTarget';
import { hostShell } from './hostShell';
import { checkKubernetesTarget } from './kubernetes/checkKubernetesTarget';
import { shellQuote } from './shellQuote';
import type { Target, TargetCheck, TargetCheckItem } from './targetTypes';

export type { TargetCheck, TargetCheckItem };

const MARK = '@@mlw@@';

/**
 * Asks the target's host, in one command: is it reachable (and how fast), does its interpreter run (version), can the
 * workdir be made, is the scheduler there (SLURM: sinfo of the partition), and how many GPUs are free (SLURM: the
 * partition's gres minus what is used; an ssh host: nvidia-smi's idle GPUs).
 */
export async function checkTarget(target: Target, workspace: string, options: { timeoutMs?: number } = {}): Promise<TargetCheck> {
  const items: TargetCheckItem[] = [];
  if (target.kind === 'docker') return checkDockerTarget(target, workspace, options);
  if (target.kind === 'kubernetes') return checkKubernetesTarget(target, options);
  if (target.kind !== 'ssh' && target.kind !== 'slurm') {
    const t = target as { name: string; kind: string };
    return {
      target: t.name,
      ok: false,
      items: [{ name: 'reachable', ok: false, detail: `${t.kind} targets are not checked yet` }],
    };
  }
  const shell = hostShell(target.ssh, workspace);
  const part = target.kind === 'slurm' && target.partition ? `-p ${shellQuote(target.partition)}` : '';
  const sections: Array<[string, string]> = [
    ['interpreter', `${shellQuote(target.python)} -c 'import sys; print(sys.version.split()[0])' 2>&1`],
    [
      'workdir',
      `d=${target.workdir.startsWith('~/') ? `~/${shellQuote(target.workdir.slice(2))}` : shellQuote(target.workdir)}; mkdir -p "$d" && cd "$d" && pwd`,
    ],
  ];
  if (target.kind === 'slurm') {
    sections.push([
      'scheduler',
      `command -v sbatch >/dev/null || { echo 'sbatch not found'; exit 0; }; sinfo -h ${part} -o '%P %a %D %t' 2>&1`,
    ]);
    sections.push(['gpus', `sinfo -h ${part} -O 'Gres:40,GresUsed:60' 2>&1`]);
  } else {
    sections.push([
      'gpus',
      `command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader,nounits 2>&1 || echo none`,
    ]);
  }
  const command = sections.map(([name, cmd]) => `echo ${MARK}${name}; { ${cmd}; } </dev/null; echo "${MARK}rc=$?"`).join('; ');
  const t0 = Date.now();
  const r = await shell.exec(command, { timeoutMs: options.timeoutMs ?? 30_000 });
  const ms = Date.now() - t0;
  if (r.linkFailed) {
    items.push({ name: 'reachable', ok: false, detail: `${shell.label}: ${r.stderr.trim().split('\n').slice(-1)[0] || 'no answer'}` });
    return { target: target.name, ok: false, items };
  }
  items.push({ name: 'reachable', ok: true, detail: `${shell.label} answered in ${ms} ms` });
  const out = new Map<string, { text: string; rc: number }>();
  for (const block of r.stdout.split(MARK).slice(1)) {
    const nl = block.indexOf('\n');
    const name = block.slice(0, nl);
    if (name.startsWith('rc=')) continue;
    const rest = block.slice(nl + 1);
    out.set(name, { text: rest.trim(), rc: 0 });
  }
  const rcs = [...r.stdout.matchAll(new RegExp(`${MARK}rc=(\\d+)`, 'g'))].map((m) => Number(m[1]));
  [...out.keys()].forEach((k, i) => (out.get(k)!.rc = rcs[i] ?? 1));
  const interp = out.get('interpreter');
  items.push({
    name: 'interpreter',
    ok: !!interp && interp.rc === 0 && /^\d+\.\d+/.test(interp.text),
    detail:
      interp?.rc === 0 ? `${target.python} (Python ${interp.text})` : `${target.python}: ${interp?.text.split('\n')[0] || 'does not run'}`,
  });
  const wd = out.get('workdir');
  items.push({ name: 'workdir', ok: wd?.rc === 0, detail: wd?.rc === 0 ? wd.text : `${target.workdir}: ${wd?.text || 'cannot be made'}` });
  if (target.kind === 'slurm') {
    const s = out.get('scheduler');
    const lines = (s?.text ?? '').split('\n').filter(Boolean);
    const up = lines.filter((l) => / up /.test(l));
    items.push({
      name: 'scheduler',
      ok: s?.rc === 0 && up.length > 0,
      detail: up.length
        ? `SLURM: ${lines.join('; ')}`
        : `SLURM: ${s?.text || 'no answer'}${target.partition ? ` (partition ${target.partition})` : ''}`,
    });
    const g = out.get('gpus');
    let total = 0;
    let used = 0;
    for (const line of (g?.text ?? '').split('\n')) {
      const [gres = '', gresUsed = ''] = line.trim().split(/\s+/);
      for (const m of gres.matchAll(/gpu(?::[^:,(]+)?:(\d+)/g)) total += Number(m[1]);
      for (const m of gresUsed.matchAll(/gpu(?::[^:,(]+)?:(\d+)/g)) used += Number(m[1]);
    }
    items.push({
      name: 'gpus',
      ok: true,
      detail: total ? `${total - used} of ${total} GPUs free` : 'no GPUs (no gpu gres in the partition)',
    });
  } else {
    const g = out.get('gpus');
    const rows = (g?.text ?? '').split('\n').filter((l) => /^\d+,/.test(l));
    const free = rows.filter((l) => {
      const [, util, mem] = l.split(',').map((x) => Number(x.trim()));
      return util < 10 && mem < 500;
    });
    items.push({
      name: 'gpus',
      ok: true,
      detail: rows.length ? `${free.length} of ${rows.length} GPUs free` : 'no GPUs (nvidia-smi not found)',
    });
  }
  return { target: target.name, ok: items.every((i) => i.ok), items };
}
