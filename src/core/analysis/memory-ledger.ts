/**
 * One memory budget for every analysis on a worker pool together: an analysis reserves the bytes
 * its plan holds at once (its cycle tensors and its read window, at most the whole budget: a larger
 * analysis streams within it) before it decodes anything, and gives them back when it ends. An
 * analysis that does not fit waits; one that fits what is left starts at once. So that a small
 * analysis (at most 1/16 of the budget) is never queued behind a large one holding the budget, the
 * small ones also have an allowance of a quarter of the budget on top: together, analyses hold at
 * most 1.25 budgets. One that needs the whole budget runs when the others have ended (alone it
 * always runs).
 */
import { LocolensError } from '../errors';

interface IWaiting {
  bytes: number;
  grant: (fromAllowance: boolean) => void;
  fail: (error: unknown) => void;
}

/** What a ledger holds, for gauges and tests. */
export interface IMemoryLedgerStats {
  capacity: number;
  reserved: number;
  /** The most reserved at once since the ledger was made. */
  peak: number;
  running: number;
  waiting: number;
}

export class MemoryLedger {
  constructor(public capacity: number) {}

  private reserved = 0;
  /** Reserved by small analyses beyond the budget (their allowance). */
  private allowance = 0;
  private peak = 0;
  private running = 0;
  private readonly queue: IWaiting[] = [];

  get stats(): IMemoryLedgerStats {
    return {
      capacity: this.capacity,
      reserved: this.reserved + this.allowance,
      peak: this.peak,
      running: this.running,
      waiting: this.queue.length
    };
  }

  /**
   * Reserve `bytes` (at most the capacity) for one analysis; resolves with its release.
   *
   * @throws LocolensError `cancelled` when `signal` aborts while it waits.
   */
  reserve(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const amount = Math.max(0, Math.min(this.capacity, Math.ceil(bytes)));
    return new Promise((resolve, reject) => {
      let released = false;
      let small = false;
      const release = () => {
        if (!released) {
          released = true;
          if (small) {
            this.allowance -= amount;
          } else {
            this.reserved -= amount;
          }
          this.running--;
          this.admit();
        }
      };
      const waiting: IWaiting = {
        bytes: amount,
        grant: fromAllowance => {
          signal?.removeEventListener('abort', onAbort);
          small = fromAllowance;
          if (fromAllowance) {
            this.allowance += amount;
          } else {
            this.reserved += amount;
          }
          this.running++;
          this.peak = Math.max(this.peak, this.reserved + this.allowance);
          resolve(release);
        },
        fail: reject
      };
      const onAbort = () => {
        const at = this.queue.indexOf(waiting);
        if (at >= 0) {
          this.queue.splice(at, 1);
          reject(new LocolensError('cancelled', 'the analysis was cancelled while it waited for memory'));
          this.admit();
        }
      };
      if (signal?.aborted) {
        reject(new LocolensError('cancelled', 'the analysis was cancelled'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiting);
      this.admit();
    });
  }

  /** Start every waiting analysis that fits what is left (or, small, its allowance), oldest first. */
  private admit(): void {
    for (let i = 0; i < this.queue.length;) {
      const next = this.queue[i];
      if (this.running === 0 || this.reserved + next.bytes <= this.capacity) {
        this.queue.splice(i, 1);
        next.grant(false);
      } else if (next.bytes <= this.capacity / 16 && this.allowance + next.bytes <= this.capacity / 4) {
        this.queue.splice(i, 1);
        next.grant(true);
      } else {
        i++;
      }
    }
  }
}

const ledgers = new WeakMap<object, MemoryLedger>();

/** The ledger of a pool (made on first use); its capacity follows the latest budget asked. */
export function memoryLedgerOf(pool: object, capacity: number): MemoryLedger {
  let ledger = ledgers.get(pool);
  if (!ledger) {
    ledger = new MemoryLedger(capacity);
    ledgers.set(pool, ledger);
  }
  ledger.capacity = capacity;
  return ledger;
}
