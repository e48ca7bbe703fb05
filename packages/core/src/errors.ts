// LbkitError: every error lbkit raises on purpose carries a stable code and a hint on how to fix it.

/**
 * An error raised by lbkit on purpose. `code` is stable across versions (`LBKIT_…`) and listed in
 * the README of the package that raises it; `hint` says how to fix the cause.
 */
export class LbkitError extends Error {
  /** Stable machine-readable code, for example `LBKIT_CLIENT_IP_TRUST_ALL_REFUSED`. */
  readonly code: string;
  /** How to fix it, when there is something the caller can do. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(
      options?.hint ? `${message} (${code}). ${options.hint}` : `${message} (${code})`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'LbkitError';
    this.code = code;
    this.hint = options?.hint;
  }
}

/** True when `error` is an {@link LbkitError}, optionally with the given code. */
export function isLbkitError(error: unknown, code?: string): error is LbkitError {
  return error instanceof LbkitError && (code === undefined || error.code === code);
}
