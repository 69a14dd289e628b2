/** A PyTorch or safetensors file that cannot be summarised: the one error the weights readers throw, with a one-line message. */
export class WeightsFormatError extends Error {
  override readonly name = 'WeightsFormatError';
}

export const isWeightsFormatError = (e: unknown): e is WeightsFormatError => e instanceof Error && e.name === 'WeightsFormatError';
