/**
 * The kernels that need a group's whole tensor at once (quantiles, correlations): run together,
 * in a worker when there is one.
 */
import { correlations, romOverall, summaryStatistics, validateCycles } from './reference';
import type { ICorrelations, ICycleTensor, IKernelOptions, ISummaryStatistics, IValidation } from './types';

/** Results of `groupStatistics`. */
export interface IGroupStatistics {
  romOverall: Float64Array;
  summary: ISummaryStatistics;
  validation: IValidation;
  correlations: ICorrelations;
}

/** ROM overall, summary statistics, validation and correlations of one group. */
export function groupStatistics(tensor: ICycleTensor, options: IKernelOptions, phaseCorrelations: boolean): IGroupStatistics {
  const corr = correlations(tensor, options, phaseCorrelations);
  return {
    romOverall: romOverall(tensor, options),
    summary: summaryStatistics(tensor, options),
    validation: validateCycles(tensor),
    correlations: corr
  };
}
