import { installHint } from './executionProviders';
import { ortInstallScript } from './loadOrt';

/** The first line of an ORT error, whitespace collapsed. */
function firstLine(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return (
    text
      .split('\n')
      .find((l) => l.trim().length > 0)
      ?.replace(/\s+/g, ' ')
      .trim() ?? 'unknown error'
  );
}

/**
 * A requested execution provider that cannot load here (its libraries are not installed, no GPU, not this
 * platform). The message is one line: the provider, ORT's reason, how to install it, and, when the list did not
 * allow falling back, how to allow it.
 */
export class ExecutionProviderError extends Error {
  readonly reason: string;

  constructor(
    readonly provider: string,
    cause: unknown,
    readonly fallbackAllowed = false,
  ) {
    const reason = firstLine(cause);
    const hint = installHint(provider, ortInstallScript());
    super(
      `execution provider '${provider}' cannot load (${reason}): ${hint}${fallbackAllowed ? '' : `; list cpu too (--ep ${provider},cpu) to fall back to CPU`}`,
      { cause },
    );
    this.name = 'ExecutionProviderError';
    this.reason = reason;
  }
}
