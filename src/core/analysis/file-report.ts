/**
 * The whole-file report: one row per subject × task of an analysis grouped by subject × task:
 * cycles, the fraction of cycles that pass LocoHub's validation, missing samples, outliers and
 * the cut, and the overall ROM of some chosen variables. A block that could not be analysed (its
 * rows are not a multiple of 150) is a failed row with its reason; the others are complete.
 */
import type { TableColumns } from '../io/arrow-tables';
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
    })
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
      rom: chosen.map(() => NaN)
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
    outlier_cut: Float64Array.from(report.rows, row => row.cut)
  };
  report.romFeatures.forEach((name, k) => {
    columns[`${name}__rom_overall`] = Float64Array.from(report.rows, row => row.rom[k]);
  });
  return columns;
}

/** The text of a report row's cells: subject, task, cycles, valid %, missing, outliers, ROM per variable. */
export function reportCells(row: IReportRow): string[] {
  const number = (value: number, digits = 4) => (Number.isFinite(value) ? value.toPrecision(digits) : '–');
  return [
    row.subject,
    row.task,
    String(row.cycles),
    number(100 * row.validFraction, 3),
    String(row.missingSamples),
    String(row.outliers),
    ...row.rom.map(v => number(v))
  ];
}
