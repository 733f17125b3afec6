/**
 * The whole-file report: one row per subject × task of an analysis grouped by subject × task:
 * cycles, the fraction of cycles that pass LocoHub's validation, missing samples, outliers and
 * the cut, and the overall ROM of some chosen variables. A block that could not be analysed (its
 * rows are not a multiple of 150) is a failed row with its reason; the others are complete.
 */
import { describeError, errorCode } from '../errors';
import type { TableColumns } from '../io/arrow-tables';
import type { ISelection } from '../kernels/cycle-tensor';
import { missingSamples, type IAnalysisResult } from './result';

/** One row of the report. */
export interface IReportRow {
  subject: string;
  task: string;
  state: 'ok' | 'failed';
  /** Why the row failed (state 'failed'). */
  reason: string | null;
  cycles: number;
  /** Cycles that pass LocoHub's validation ÷ cycles. */
  validFraction: number;
  missingSamples: number;
  outliers: number;
  cut: number;
  /** Overall ROM (max − min over every sample) per chosen variable, in `romFeatures` order. */
  rom: number[];
  /** Time the group was in flight, from its first cycles to its result (groups overlap). */
  seconds: number;
}

/** The report of a file. */
export interface IFileReport {
  file: string;
  romFeatures: string[];
  rows: IReportRow[];
  /** The analysis behind it: its options, backend and time. */
  options: IAnalysisResult['options'];
  backend: string;
  totalMs: number;
}

/** The variables whose ROM a report shows by default: the sagittal joint angles of the ipsi side. */
export function defaultReportFeatures(features: string[]): string[] {
  const preferred = ['hip_flexion_angle_ipsi_rad', 'knee_flexion_angle_ipsi_rad', 'ankle_dorsiflexion_angle_ipsi_rad'];
  const chosen = preferred.filter(name => features.includes(name));
  return chosen.length ? chosen : features.slice(0, 3);
}

/**
 * The report of an analysis grouped by subject × task (`groupBy: 'subject-task'`).
 *
 * @param romFeatures - the variables whose overall ROM to show (default: defaultReportFeatures).
 */
export function fileReport(result: IAnalysisResult, romFeatures?: string[]): IFileReport {
  const features = result.groups[0]?.features ?? result.selection.features ?? [];
  const chosen = romFeatures?.length ? romFeatures : defaultReportFeatures(features);
  const rows: IReportRow[] = result.groups.map(group => ({
    subject: group.subjects.join(', '),
    task: group.task,
    state: 'ok',
    reason: null,
    cycles: group.cycles,
    validFraction: group.cycles ? group.validation.valid.reduce((sum, v) => sum + v, 0) / group.cycles : NaN,
    missingSamples: missingSamples(group).missing,
    outliers: group.outliers.cycles.length,
    cut: group.outliers.cut,
    rom: chosen.map(name => {
      const f = group.features.indexOf(name);
      return f < 0 ? NaN : group.romOverall[f];
    }),
    seconds: (group.elapsedMs ?? NaN) / 1000
  }));
  for (const skipped of result.skipped) {
    rows.push({
      subject: skipped.subject,
      task: skipped.task,
      state: 'failed',
      reason: skipped.reason,
      cycles: 0,
      validFraction: NaN,
      missingSamples: NaN,
      outliers: NaN,
      cut: NaN,
      rom: chosen.map(() => NaN),
      seconds: NaN
    });
  }
  rows.sort((a, b) => a.subject.localeCompare(b.subject) || a.task.localeCompare(b.task));
  return {
    file: result.file.name,
    romFeatures: chosen,
    rows,
    options: result.options,
    backend: result.backend,
    totalMs: result.timings.totalMs
  };
}

/** The report as a table (parquet, CSV, Arrow). */
export function reportColumns(report: IFileReport): TableColumns {
  const columns: TableColumns = {
    subject: report.rows.map(row => row.subject),
    task: report.rows.map(row => row.task),
    state: report.rows.map(row => row.state),
    reason: report.rows.map(row => row.reason ?? ''),
    cycles: Int32Array.from(report.rows, row => row.cycles),
    valid_fraction: Float64Array.from(report.rows, row => row.validFraction),
    missing_samples: Float64Array.from(report.rows, row => row.missingSamples),
    outliers: Float64Array.from(report.rows, row => row.outliers),
    outlier_cut: Float64Array.from(report.rows, row => row.cut),
    seconds: Float64Array.from(report.rows, row => row.seconds)
  };
  report.romFeatures.forEach((name, k) => {
    columns[`${name}__rom_overall`] = Float64Array.from(report.rows, row => row.rom[k]);
  });
  return columns;
}

/** The text of a report row's cells: subject, task, cycles, valid %, missing, outliers, ROM per variable, seconds. */
export function reportCells(row: IReportRow): string[] {
  const number = (value: number, digits = 4) => (Number.isFinite(value) ? value.toPrecision(digits) : '–');
  return [
    row.subject,
    row.task,
    String(row.cycles),
    number(100 * row.validFraction, 3),
    String(row.missingSamples),
    String(row.outliers),
    ...row.rom.map(v => number(v)),
    number(row.seconds, 2)
  ];
}

/**
 * The report of a file, one analysis by subject × task; if that fails on damaged data, each
 * subject × task is analysed on its own, so that only the blocks that cannot be read are failed
 * rows (with the reason) and the others complete.
 *
 * @param analyze - runs an analysis of a selection (the CLI's or the browser's engine).
 * @param blocks - the file's subject × task blocks (from its summary).
 */
export async function isolatedFileReport(
  analyze: (selection: ISelection) => Promise<IAnalysisResult>,
  blocks: Array<{ subject: string; task: string }>,
  romFeatures?: string[]
): Promise<IFileReport> {
  try {
    return fileReport(await analyze({ groupBy: 'subject-task' }), romFeatures);
  } catch (error) {
    if (errorCode(error) === 'cancelled' || !blocks.length) {
      throw error;
    }
  }
  let report: IFileReport | null = null;
  const failed: IReportRow[] = [];
  const unique = Array.from(new Map(blocks.map(block => [`${block.subject}\u0000${block.task}`, block])).values());
  for (const block of unique) {
    try {
      const one = fileReport(await analyze({ subjects: [block.subject], task: block.task, groupBy: 'subject-task' }), romFeatures);
      if (!report) {
        report = one;
      } else {
        report.rows.push(...one.rows);
        report.totalMs += one.totalMs;
      }
    } catch (error) {
      if (errorCode(error) === 'cancelled') {
        throw error;
      }
      failed.push({
        subject: block.subject,
        task: block.task,
        state: 'failed',
        reason: describeError(error),
        cycles: 0,
        validFraction: NaN,
        missingSamples: NaN,
        outliers: NaN,
        cut: NaN,
        rom: [],
        seconds: NaN
      });
    }
  }
  if (!report) {
    throw new Error(`no subject × task of the file could be analysed (${failed[0]?.reason ?? 'no blocks'})`);
  }
  const width = report.romFeatures.length;
  report.rows.push(...failed.map(row => ({ ...row, rom: new Array<number>(width).fill(NaN) })));
  report.rows.sort((a, b) => a.subject.localeCompare(b.subject) || a.task.localeCompare(b.task));
  return report;
}
