import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupSystemMetrics, isSystemMetric, trainingFirst } from '../../../webview-ui/lib/groupSystemMetrics';

describe('groupSystemMetrics (the dashboard keeps system metrics apart)', () => {
  it('separates the script metrics from system/*, grouped: run processes, machine, each GPU by number, other', () => {
    const names = [
      'loss',
      'system/gpu_10_utilization_percentage',
      'system/system_memory_usage_megabytes',
      'system/gpu_1_memory_usage_megabytes',
      'acc',
      'system/process_rss_megabytes',
      'system/network_receive_megabytes',
      'system/gpu_1_utilization_percentage',
      'system/cpu_utilization_percentage',
      'system/process_cpu_percent',
      'systematic_error',
      'system/gpu_2_utilization_percentage',
      'system/gpu_1_power_usage_watts',
      'system/gpu_1_memory_usage_percentage',
    ];
    const { training, system } = groupSystemMetrics(names);
    assert.deepEqual(
      training,
      ['loss', 'acc', 'systematic_error'],
      'in the order given; a name merely starting with "system" is the script\'s',
    );
    assert.deepEqual(system, [
      { title: 'Run processes', metrics: ['system/process_cpu_percent', 'system/process_rss_megabytes'] },
      { title: 'Machine', metrics: ['system/cpu_utilization_percentage', 'system/system_memory_usage_megabytes'] },
      {
        title: 'GPU 1',
        metrics: [
          'system/gpu_1_utilization_percentage',
          'system/gpu_1_memory_usage_megabytes',
          'system/gpu_1_memory_usage_percentage',
          'system/gpu_1_power_usage_watts',
        ],
      },
      { title: 'GPU 2', metrics: ['system/gpu_2_utilization_percentage'] },
      { title: 'GPU 10', metrics: ['system/gpu_10_utilization_percentage'] },
      { title: 'Other', metrics: ['system/network_receive_megabytes'] },
    ]);
  });

  it('has no system groups for a run without system metrics, and no training ones for a run with only them', () => {
    assert.deepEqual(groupSystemMetrics(['loss', 'val_loss']), { training: ['loss', 'val_loss'], system: [] });
    const only = groupSystemMetrics(['system/process_cpu_percent']);
    assert.deepEqual(only.training, []);
    assert.equal(only.system.length, 1);
  });

  it('puts system metrics after the script metrics for Compare, keeping each side in order', () => {
    assert.deepEqual(trainingFirst(['acc', 'system/process_cpu_percent', 'system/cpu_utilization_percentage', 'val_loss']), [
      'acc',
      'val_loss',
      'system/process_cpu_percent',
      'system/cpu_utilization_percentage',
    ]);
    assert.equal(isSystemMetric('system/gpu_0_utilization_percentage'), true);
    assert.equal(isSystemMetric('systemloss'), false);
  });
});
