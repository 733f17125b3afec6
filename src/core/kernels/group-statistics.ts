/**
 * The kernels that need a group's whole tensor at once (quantiles, correlations): run together,
 * in a worker when there is one.
 */
import { coMoments, correlationsOfMoments, type ICoMoments } from './co-moments';
import { romOverall, summaryStatistics, validateCycles } from './reference';
import type { ICorrelations, ICycleTensor, IKernelOptions, ISummaryStatistics, IValidation } from './types';

/** Results of `groupStatistics`. */
export interface IGroupStatistics {
  romOverall: Float64Array;
  summary: ISummaryStatistics;
  validation: IValidation;
  correlations: ICorrelations;
}

/** The parts: summary (ROM overall and summary statistics), validation, correlations. */
export type StatisticsPart = 'summary' | 'validation' | 'correlations';

/** Every part. */
export const ALL_PARTS: StatisticsPart[] = ['summary', 'validation', 'correlations'];

/** Some or all of ROM overall, summary statistics, validation and correlations of one group. */
export function groupStatistics(
  tensor: ICycleTensor,
  options: IKernelOptions,
  phaseCorrelations: boolean,
  parts: StatisticsPart[] = ALL_PARTS
): Partial<IGroupStatistics> {
  const out: Partial<IGroupStatistics> = {};
  if (parts.includes('summary')) {
    out.romOverall = romOverall(tensor, options);
    out.summary = summaryStatistics(tensor, options);
  }
  if (parts.includes('validation')) {
    out.validation = validateCycles(tensor);
  }
  if (parts.includes('correlations')) {
    out.correlations = correlationsOfMoments(tensor.features.length, coMoments(tensor, phaseCorrelations), tensor.cycles, options);
  }
  return out;
}

/** Validation flags and co-moments of one chunk. */
export interface IChunkStatistics {
  reasons: Uint8Array;
  moments: ICoMoments;
}

/** Validation flags and co-moments of one chunk of a streamed group (mergeable). */
export function chunkStatistics(tensor: ICycleTensor, phaseCorrelations: boolean): IChunkStatistics {
  return { reasons: validateCycles(tensor).reasons, moments: coMoments(tensor, phaseCorrelations) };
}
