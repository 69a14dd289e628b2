/** The readers under system metrics: /proc/<pid>/stat and status (proc(5)), /proc/meminfo, ps times, nvidia-smi's csv. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseProcStat, parsePsTime, parseVmRss, readProcessTree } from '../../../src/core/runs/systemMetrics/readProcessTree';
import { parseMeminfo } from '../../../src/core/runs/systemMetrics/readSystemUsage';
import { parseNvidiaSmiCsv } from '../../../src/core/runs/systemMetrics/queryNvidiaSmi';
import { parseSystemMetricsInterval } from '../../../src/core/runs/systemMetrics/parseSystemMetricsInterval';

describe('system metric readers', () => {
  it('reads pid, parent, group, CPU ticks and start from /proc/<pid>/stat, a command name with spaces and parentheses included', () => {
    const line =
      '4242 (python3 (w) 1) S 4200 4200 4200 0 -1 4194560 500 0 0 0 250 50 3 1 20 0 3 0 987654 123456789 5000 18446744073709551615';
    assert.deepEqual(parseProcStat(line, 100), { pid: 4242, ppid: 4200, pgrp: 4200, start: 987654, cpuSeconds: 3 });
    assert.equal(parseProcStat('garbage', 100), undefined);
  });

  it('reads this very process from the real /proc, and finds it as the root of its tree', async (t) => {
    if (process.platform !== 'linux') return t.skip('Linux only (/proc)');
    const me = parseProcStat(readFileSync('/proc/self/stat', 'latin1'), 100);
    assert.equal(me?.pid, process.pid);
    assert.equal(me?.ppid, process.ppid);
    assert.ok(parseVmRss(readFileSync('/proc/self/status', 'latin1')) > 10e6, 'a Node process holds more than 10 MB');
    const tree = await readProcessTree(process.pid);
    const self = tree?.find((p) => p.pid === process.pid);
    assert.ok(self && self.cpuSeconds > 0 && self.rssBytes > 10e6);
  });

  it('reads VmRSS in kB, and none for a kernel thread', () => {
    assert.equal(parseVmRss('Name:\tpython3\nVmPeak:\t  900 kB\nVmRSS:\t  204800 kB\nRssAnon:\t1 kB\n'), 204800 * 1024);
    assert.equal(parseVmRss('Name:\tkthreadd\nState:\tS (sleeping)\n'), 0);
  });

  it('reads used memory as MemTotal minus MemAvailable', () => {
    const m = parseMeminfo('MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    6000000 kB\n');
    assert.deepEqual(m, { totalBytes: 16000000 * 1024, usedBytes: 10000000 * 1024 });
    assert.equal(parseMeminfo('MemTotal: 1 kB\n'), undefined, 'kernels before 3.14 have no MemAvailable');
  });

  it("reads ps's cumulative CPU times (Linux and macOS forms)", () => {
    assert.equal(parsePsTime('00:01:05'), 65);
    assert.equal(parsePsTime('2-03:00:01'), 2 * 86400 + 3 * 3600 + 1);
    assert.equal(parsePsTime('1:02.50'), 62.5);
  });

  it("reads nvidia-smi's csv: [N/A] values are left out, other output is an error", () => {
    assert.deepEqual(parseNvidiaSmiCsv('0, 87, 10240, 40960\n1, [N/A], 512, 40960\n\n'), [
      { index: 0, utilizationPercent: 87, memoryUsedMiB: 10240, memoryTotalMiB: 40960 },
      { index: 1, utilizationPercent: undefined, memoryUsedMiB: 512, memoryTotalMiB: 40960 },
    ]);
    assert.throws(() => parseNvidiaSmiCsv('No devices were found\n'), /unexpected nvidia-smi output: No devices were found/);
  });

  it('takes an interval of 0 or more seconds', () => {
    assert.equal(parseSystemMetricsInterval('0.5'), 0.5);
    assert.equal(parseSystemMetricsInterval('0'), 0);
    assert.equal(parseSystemMetricsInterval(5), 5);
    for (const bad of ['', 'fast', '-1', 'Infinity']) assert.equal(parseSystemMetricsInterval(bad), undefined, bad);
  });
});
