/**
 * Merges of partial results: what the page (or whichever worker holds a whole group) does with
 * the workers' partials. Exact (Chan's updates in float64) and in a fixed order.
 */
import { emptyCoMoments, mergeCoMoments, type ICoMoments } from '../kernels/co-moments';
import { mergePatternPartials } from '../kernels/reference';
import type { IPatternPartial } from '../kernels/types';
import type { IMomentsPart } from '../worker/protocol';

/**
 * Merge chunks' pattern moments and co-moments in cycle order (block, then first cycle), so that
 * a result does not depend on which worker decoded what, or when.
 */
export function mergeMomentParts(parts: IMomentsPart[], withPhases: boolean): { partial: IPatternPartial; moments: ICoMoments } {
  const sorted = [...parts].sort((a, b) => a.block - b.block || a.firstCycle - b.firstCycle);
  const partial = mergePatternPartials(sorted.map(part => part.partial));
  const moments = emptyCoMoments(sorted[0].partial.features, withPhases && sorted.every(part => !!part.moments.phases));
  for (const part of sorted) {
    mergeCoMoments(moments.features, part.moments.features);
    if (moments.phases && part.moments.phases) {
      mergeCoMoments(moments.phases, part.moments.phases);
    }
  }
  return { partial, moments };
}
