import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLatency, formatMetrics, formatMove, formatWhen, gateSummary } from '../../../webview-ui/lib/registryFormat';

describe('registry page text', () => {
  it('writes moves, gate summaries, metrics and latency as the page shows them', () => {
    assert.equal(formatMove({ from: null, to: 1 }), 'new → v1');
    assert.equal(formatMove({ from: 1, to: 2 }), 'v1 → v2');
    assert.equal(gateSummary([]), 'none evaluated');
    assert.equal(
      gateSummary([
        { gate: 'a', passed: true, detail: '' },
        { gate: 'b', passed: false, detail: '' },
      ]),
      '1 of 2 passed',
    );
    assert.equal(gateSummary([{ gate: 'a', passed: true, detail: '' }]), 'all 1 passed');
    assert.equal(formatMetrics({ loss: 0.123456, accuracy: 0.9 }), 'accuracy 0.9 · loss 0.1235');
    assert.equal(formatMetrics({}), '—');
    assert.equal(formatMetrics({ a: 1, b: 2, c: 3 }, 2), 'a 1 · b 2 · +1 more');
    assert.equal(formatLatency({ p50_ms: 1.234567, p99_ms: 4 }), '1.235 / 4 ms');
    assert.equal(formatLatency(null), '—');
    assert.equal(formatWhen('2026-12-04T20:31:05.123Z'), '2026-12-04 20:31:05');
  });
});
