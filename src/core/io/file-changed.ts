/**
 * The error of a file overwritten while a run reads it.
 */
import { LocolensError } from '../errors';

/** A run met another version of its file than the one it started with. */
export function fileChanged(name: string): LocolensError {
  return new LocolensError(
    'file-changed',
    `${name} changed while it was being read (its size or modification time changed); nothing of this run was kept: run it again`
  );
}
