/**
 * A small JSON digest of an analysis: enough to compare runs (CLI, browser, benchmarks) without
 * shipping every per-cycle number: counts, outliers, checksums of the patterns and per-cycle
 * means, and the run's provenance (backend, timings, bytes, memory mode, cache).
 */
import type { IAnalysisResult } from './result';
import { formatBytes } from '../format';

/** The digest of one analysis. */
export interface IAnalysisDigest {
  groups: number;
  cycles: number;
  outliers: number;
  invalid: number;
  /** Σ over groups of the mean pattern (NaN left out), and of the per-cycle means. */
  patternSum: number;
  perCycleMeanSum: number;
  /** Σ over groups of the feature correlation matrix (NaN left out). */
  correlationSum: number;
  backend: string;
  adapter?: string;
  timings: IAnalysisResult['timings'];
  io: IAnalysisResult['io'];
  /** Bytes read ÷ the file's size: 1.0 when every byte was decoded once (all its columns analysed). */
  readRatio: number;
  memory: IAnalysisResult['memory'];
  tensorSource: IAnalysisResult['tensorSource'];
  cached: boolean;
}

function finiteSum(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      sum += values[i];
    }
  }
  return sum;
}

/** The digest of `result`. */
export function analysisDigest(result: IAnalysisResult): IAnalysisDigest {
  let cycles = 0;
  let outliers = 0;
  let invalid = 0;
  let patternSum = 0;
  let perCycleMeanSum = 0;
  let correlationSum = 0;
  for (const group of result.groups) {
    cycles += group.cycles;
    outliers += group.outliers.cycles.length;
    invalid += group.cycles - group.validation.valid.reduce((sum, v) => sum + v, 0);
    patternSum += finiteSum(group.patterns.mean);
    perCycleMeanSum += finiteSum(group.perCycle.mean);
    correlationSum += finiteSum(group.correlations.features);
  }
  return {
    groups: result.groups.length,
    cycles,
    outliers,
    invalid,
    patternSum,
    perCycleMeanSum,
    correlationSum,
    backend: result.backend,
    adapter: result.adapter,
    timings: result.timings,
    io: result.io,
    readRatio: result.file.sizeBytes > 0 ? Math.round((result.io.bytesRead / result.file.sizeBytes) * 1000) / 1000 : 0,
    memory: result.memory,
    tensorSource: result.tensorSource,
    cached: !!result.cached
  };
}

/** The gauges of a finished run: throughput and what served it (the notebook strip, the status bar). */
export function runGauges(result: IAnalysisResult): { mbPerSecond: number | null; cyclesPerSecond: number | null; text: string } {
  const cycles = result.groups.reduce((sum, group) => sum + group.cycles, 0);
  const mbPerSecond =
    result.io.bytesRead > 0 && result.timings.decodeMs > 0 ? result.io.bytesRead / 1e6 / (result.timings.decodeMs / 1000) : null;
  const cyclesPerSecond = result.timings.totalMs > 0 ? cycles / (result.timings.totalMs / 1000) : null;
  const parts = [
    `backend ${result.backend}${result.adapter ? ` on ${result.adapter}` : ''}`,
    `${Math.round(result.timings.totalMs)} ms`,
    result.cached ? 'from the browser cache' : `read ${formatBytes(result.io.bytesRead)}`,
    mbPerSecond !== null && !result.cached ? `${mbPerSecond.toFixed(0)} MB/s decoded` : null,
    cyclesPerSecond !== null && !result.cached ? `${Math.round(cyclesPerSecond).toLocaleString('en-US')} cycles/s` : null,
    result.memory.mode === 'streamed' ? `streamed under ${Math.round(result.memory.budgetBytes / 2 ** 20)} MB` : null
  ];
  return { mbPerSecond, cyclesPerSecond, text: parts.filter(Boolean).join(' · ') };
}
