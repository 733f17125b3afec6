/**
 * Exact quantiles of samples spread over several workers, by radix selection on
 * order-preserving float32 keys: three rounds of histograms (12, 12 and 8 bits of the key),
 * summed over the workers, narrow each wanted rank to one value. numpy's linear interpolation
 * (`numpy.percentile`'s default) between the two ranks around each quantile gives the result.
 *
 * #### Notes
 * The key of a float32 maps its bits so that unsigned order is numeric order (−0 sorts just
 * before +0, both read back as 0); NaN has no key and is counted apart. The histograms here are
 * the reference (plain TypeScript); the wasm kernel computes the same counts.
 */

/** Bits of the key at each level, and where they start (from the top). */
export const RADIX_LEVELS = [
  { bits: 12, shift: 20 },
  { bits: 12, shift: 8 },
  { bits: 8, shift: 0 }
] as const;

/** Bins of a level's histogram. */
export function radixBins(level: number): number {
  return 1 << RADIX_LEVELS[level].bits;
}

/** The order-preserving key of a float32's bits. */
export function floatKey(bits: number): number {
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/** The float32 value of a key. */
export function keyValue(key: number): number {
  const bits = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
  scratchBits[0] = bits;
  return scratchFloat[0];
}

const scratchBits = new Uint32Array(1);
const scratchFloat = new Float32Array(scratchBits.buffer);

/**
 * Add one feature's samples to a level's histogram.
 *
 * @param samples - the feature's samples (float32).
 * @param level - 0, 1 or 2.
 * @param prefixes - levels 1 and 2: the key prefixes (the bits above this level) to count under;
 *   `counts` holds one histogram per prefix, in order.
 * @param counts - where to add (`prefixes.length` × bins, or bins at level 0).
 * @returns the NaN samples met (level 0 only counts them).
 */
export function addKeyHistogram(samples: Float32Array, level: number, prefixes: number[], counts: Uint32Array): number {
  const bits = new Uint32Array(samples.buffer, samples.byteOffset, samples.length);
  const { shift } = RADIX_LEVELS[level];
  const mask = radixBins(level) - 1;
  let nan = 0;
  if (level === 0) {
    for (let i = 0; i < bits.length; i++) {
      const v = samples[i];
      if (v !== v) {
        nan++;
        continue;
      }
      counts[floatKey(bits[i]) >>> shift]++;
    }
    return nan;
  }
  const prefixShift = shift + RADIX_LEVELS[level].bits;
  const slot = new Map<number, number>(prefixes.map((prefix, index) => [prefix, index * (mask + 1)]));
  for (let i = 0; i < bits.length; i++) {
    if (samples[i] !== samples[i]) {
      continue;
    }
    const key = floatKey(bits[i]);
    const at = slot.get(key >>> prefixShift);
    if (at !== undefined) {
      counts[at + ((key >>> shift) & mask)]++;
    }
  }
  return 0;
}

/** The ranks (0-based, ascending order) whose values give quantiles `qs` of `n` samples. */
export function quantileRanks(n: number, qs: readonly number[]): number[] {
  const ranks = new Set<number>();
  for (const q of qs) {
    const position = q * (n - 1);
    const lower = Math.floor(position);
    ranks.add(lower);
    ranks.add(Math.min(n - 1, lower + 1));
  }
  return [...ranks].sort((a, b) => a - b);
}

/** One feature's selection in progress: each wanted rank's key prefix so far and its rank within it. */
export class RankSelection {
  /**
   * @param n - the samples (without NaN).
   * @param qs - the quantiles wanted, in [0, 1].
   */
  constructor(
    readonly n: number,
    readonly qs: readonly number[]
  ) {
    this.ranks = n > 0 ? quantileRanks(n, qs) : [];
    this.prefix = this.ranks.map(() => 0);
    this.residual = this.ranks.slice();
  }

  readonly ranks: number[];
  /** Per rank: the key bits found so far. */
  private prefix: number[];
  /** Per rank: its rank among the samples under its prefix. */
  private residual: number[];

  /** The distinct prefixes to histogram under at the next level. */
  get prefixes(): number[] {
    return [...new Set(this.prefix)];
  }

  /**
   * Narrow each rank with a level's summed histogram.
   *
   * @param counts - bins at level 0, else one histogram per `prefixes` (in that order).
   */
  narrow(level: number, counts: Uint32Array, prefixes: number[]): void {
    const bins = radixBins(level);
    const { bits } = RADIX_LEVELS[level];
    // Running totals of each histogram that a rank falls in, then a binary search per rank.
    const totals = new Map<number, Float64Array>();
    this.ranks.forEach((_, r) => {
      const base = level === 0 ? 0 : prefixes.indexOf(this.prefix[r]) * bins;
      let cumulative = totals.get(base);
      if (!cumulative) {
        cumulative = new Float64Array(bins);
        let sum = 0;
        for (let bin = 0; bin < bins; bin++) {
          sum += counts[base + bin];
          cumulative[bin] = sum;
        }
        totals.set(base, cumulative);
      }
      const left = this.residual[r];
      // The first bin whose running total exceeds the rank (the last bin when none does).
      let lo = 0;
      let hi = bins - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > left) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      this.prefix[r] = ((this.prefix[r] << bits) | lo) >>> 0;
      this.residual[r] = left - (lo > 0 ? cumulative[lo - 1] : 0);
    });
  }

  /** The quantiles by linear interpolation, once the three levels are narrowed (NaN when n = 0). */
  values(): number[] {
    if (this.n === 0) {
      return this.qs.map(() => NaN);
    }
    const valueOf = (rank: number) => keyValue(this.prefix[this.ranks.indexOf(rank)]);
    return this.qs.map(q => {
      const position = q * (this.n - 1);
      const lower = Math.floor(position);
      const a = valueOf(lower);
      const b = valueOf(Math.min(this.n - 1, lower + 1));
      return a + (b - a) * (position - lower);
    });
  }
}
