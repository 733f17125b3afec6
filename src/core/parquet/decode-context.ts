/**
 * What a worker is decoding now, for the message of a decoder trap that escapes every `catch`.
 *
 * #### Notes
 * parquet-wasm decodes inside futures of its own: a panic there (a damaged page) traps as an
 * uncaught `RuntimeError: unreachable`, outside the promise we await, and the worker dies. Its
 * entry point turns that into an error naming the file, row group and columns being decoded, with
 * the same code as any other damaged file; the pool reads it from the worker's death.
 */

/** The decode in progress (one at a time per worker). */
let current: { file: string; rowGroup: number; columns: string[] } | null = null;
/** A damaged page found in the bytes of the decode in progress (page-checks.ts): the better message. */
let found: { code: string; message: string } | null = null;

/** Mark the decode in progress (until `clearDecodeContext`). */
export function setDecodeContext(file: string, rowGroup: number, columns: string[]): void {
  current = { file, rowGroup, columns };
  found = null;
}

export function clearDecodeContext(): void {
  current = null;
  found = null;
}

/** Note what is wrong with the bytes being decoded (the decoder may trap on them). */
export function noteDecodeFailure(code: string, message: string): void {
  found = { code, message };
}

/** The prefix of a crash message that carries a code: `locolens-error:<code>:<message>`. */
const MARK = 'locolens-error:';

/** The message a worker dies with after an uncaught error (a coded one during a decode). */
export function crashMessage(error: unknown): string {
  const original = error instanceof Error ? error.message : String(error);
  if (found) {
    return `${MARK}${found.code}:${found.message}`;
  }
  if (!current) {
    return original;
  }
  const { file, rowGroup, columns } = current;
  const named = columns.length > 4 ? `${columns.slice(0, 4).join(', ')} and ${columns.length - 4} more` : columns.join(', ');
  return `${MARK}corrupt-parquet:${file}: row group ${rowGroup} (columns ${named}) cannot be decoded: the file is damaged there (the decoder stopped: ${original})`;
}

/** The code and message carried by a worker's crash message, if any. */
export function codedCrash(message: string): { code: string; message: string } | null {
  const at = message.indexOf(MARK);
  if (at < 0) {
    return null;
  }
  const rest = message.slice(at + MARK.length);
  const colon = rest.indexOf(':');
  return colon > 0 ? { code: rest.slice(0, colon), message: rest.slice(colon + 1) } : null;
}
