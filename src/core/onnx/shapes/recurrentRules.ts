/** LSTM, GRU, RNN: Y [seq, directions, batch, hidden] and the last states [directions, batch, hidden] (layout 1: batch first). */
import type { ShapeRule } from './nodeContext';
import type { Dim } from './shapeTypes';

const recurrent: ShapeRule = (ctx) => {
  const x = ctx.shape(0);
  const layout = ctx.int('layout', 0);
  const directions = ctx.str('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const hidden: Dim = ctx.attr('hidden_size') ? ctx.int('hidden_size', 0) : (ctx.shape(2)?.[2] ?? null);
  const seq = x ? x[layout === 0 ? 0 : 1] : null;
  const batch = x ? x[layout === 0 ? 1 : 0] : null;
  const elemType = ctx.elemType(0);
  ctx.set(0, { elemType, shape: layout === 0 ? [seq, directions, batch, hidden] : [batch, seq, directions, hidden] });
  const state: Dim[] = layout === 0 ? [directions, batch, hidden] : [batch, directions, hidden];
  for (let i = 1; i < ctx.outputCount; i++) ctx.set(i, { elemType, shape: state });
};

export const recurrentRules: Record<string, ShapeRule> = { LSTM: recurrent, GRU: recurrent, RNN: recurrent };
