/**
 * Errors that locolens reports to people: one clear line, a stable code, no stack trace.
 */

/** What went wrong, as a stable machine-readable code. */
export type LocolensErrorCode =
  | 'file-not-found'
  | 'empty-file'
  | 'not-parquet'
  | 'corrupt-parquet'
  | 'unsupported-parquet'
  | 'missing-columns'
  | 'not-phase-indexed'
  | 'io-error'
  | 'file-changed'
  | 'worker-crashed'
  | 'cancelled'
  | 'bad-argument';

/**
 * An error whose message is meant to be shown as is (panel, CLI, API).
 *
 * #### Notes
 * It survives a trip through a worker: `toJSON()`/`fromJSON()` keep code and message.
 */
export class LocolensError extends Error {
  constructor(
    readonly code: LocolensErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'LocolensError';
  }

  toJSON(): { name: string; code: LocolensErrorCode; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/**
 * Turn anything thrown into a one-line message for a person.
 *
 * @param error - what was thrown (a LocolensError, an Error, a string, a wasm panic).
 * @param context - what was being done, e.g. the file name, prefixed to the message.
 */
export function describeError(error: unknown, context?: string): string {
  let text: string;
  if (error instanceof Error) {
    text = error.message || error.name;
  } else if (typeof error === 'string') {
    text = error;
  } else if (error && typeof error === 'object' && 'message' in error) {
    text = String((error as { message: unknown }).message);
  } else {
    text = String(error);
  }
  text = text.split('\n')[0].trim();
  return context ? `${context}: ${text}` : text;
}

/** The error code of anything thrown, or undefined when it is not a LocolensError. */
export function errorCode(error: unknown): LocolensErrorCode | undefined {
  if (error instanceof LocolensError) {
    return error.code;
  }
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? (code as LocolensErrorCode) : undefined;
  }
  return undefined;
}

/** Bytes and requests one worker call read from its source. */
export interface IIoCount {
  bytesRead: number;
  requests: number;
}

/**
 * A result or an error, as sent between threads: errors keep their code and one-line message.
 * `fatal` marks a worker whose wasm instance is poisoned (the pool replaces it).
 */
export type Envelope<T> =
  { ok: true; value: T; io: IIoCount } | { ok: false; code: LocolensErrorCode | 'internal'; message: string; fatal: boolean };
