/**
 * Validation of a file against ranges, and its clean export: the entry points the CLI and the
 * tuner call. The samples are read on the worker pool (stride-samples.ts); the checks are pure
 * (validator.ts); a clean file is written by one worker, streamed (clean-writer.ts).
 */
import { LocolensError } from '../errors';
import { pinnedSpec, type SourceSpec } from '../io/byte-source';
import type { IDatasetSummary } from '../dataset/dataset-summary';
import type { DecodePool } from '../worker/decode-service';
import { throwIfCancelled } from '../analysis/cycle-stream';
import type { ICleanPlan } from './clean-writer';
import { phaseIndex, type IValidationRanges } from './ranges';
import { STRIDE_ROWS, readStrideSamples, taskStrides, type ITaskStrides } from './stride-samples';
import {
  checkedPhases,
  summarizeValidation,
  validateTask,
  validatedVariables,
  type ITaskSamples,
  type IValidationResult
} from './validator';

export interface IValidateOptions {
  /** Variables left out of the checks (LocoHub's `ignore_features` / `--exclude-columns`). */
  ignore?: string[];
  signal?: AbortSignal;
}

/** A validated file: the result, and the samples it was computed from (for the tuner). */
export interface IFileValidation {
  result: IValidationResult;
  samples: ITaskSamples[];
  strides: Map<string, ITaskStrides>;
  /** Tasks whose rows are not a multiple of 150. */
  badTasks: Array<{ task: string; rows: number }>;
}

/** The variables LocoHub's `LocomotionData` detects as features in a file. */
export function detectedFeatures(summary: IDatasetSummary): string[] {
  return summary.variables.filter(variable => variable.locohubFeature).map(variable => variable.name);
}

/** The tasks of a file whose rows are not a multiple of 150 (LocoHub's phase-structure check). */
export function badPhaseTasks(summary: IDatasetSummary): Array<{ task: string; rows: number }> {
  return [...summary.tasks]
    .sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : 0))
    .filter(task => task.rows % STRIDE_ROWS !== 0)
    .map(task => ({ task: task.task, rows: task.rows }));
}

/**
 * Read the samples of every task the ranges name (the file's tasks in sorted order, as LocoHub's
 * `get_tasks()`), at the ranges' phases, for the validated variables.
 *
 * @param override - per task, phases and variables to read instead of the ranges' (suggesting
 *   ranges for a file that has none yet).
 */
export async function readTaskSamples(
  pool: DecodePool,
  spec: SourceSpec,
  summary: IDatasetSummary,
  ranges: IValidationRanges,
  options: IValidateOptions = {},
  override?: Map<string, { phases: number[]; variables: string[] }>
): Promise<{ samples: ITaskSamples[]; strides: Map<string, ITaskStrides> }> {
  const features = detectedFeatures(summary);
  const tasks = summary.tasks
    .map(task => task.task)
    .sort()
    .filter(task => ranges.tasks.has(task) || override?.has(task));
  const strides = new Map(tasks.map(task => [task, taskStrides(summary, task)]));
  const samples: ITaskSamples[] = tasks.map(task => {
    const taskRanges = ranges.tasks.get(task);
    const chosen = override?.get(task);
    const { phases, indices } = chosen ? { phases: chosen.phases, indices: chosen.phases.map(phaseIndex) } : checkedPhases(taskRanges!);
    const ignored = new Set(options.ignore ?? []);
    const variables = chosen
      ? chosen.variables.filter(v => features.includes(v) && !ignored.has(v))
      : validatedVariables(taskRanges!, features, options.ignore);
    const taskStride = strides.get(task)!;
    const skipped =
      taskStride.rows % STRIDE_ROWS !== 0
        ? `${taskStride.rows} rows, not a multiple of 150: not checked (LocoHub's get_cycles refuses the task)`
        : !variables.length
          ? 'no variable of the ranges is in the file'
          : undefined;
    return {
      task,
      // LocoHub counts no strides for a task it cannot reshape or has no variable to check.
      strides: skipped ? 0 : taskStride.strides,
      strideSubjects: taskStride.strideSubjects,
      strideCycles: taskStride.strideCycles,
      subjects: taskStride.subjects,
      variables: skipped ? [] : variables,
      phases,
      phaseIndices: indices,
      values: new Float64Array(0),
      skipped
    };
  });
  const requests = samples
    .filter(sample => sample.variables.length && sample.strides)
    .map(sample => ({
      sample,
      request: { strides: strides.get(sample.task)!, variables: sample.variables, indices: sample.phaseIndices }
    }));
  const values = await readStrideSamples(
    pool,
    spec,
    summary,
    requests.map(({ request }) => request),
    options.signal
  );
  requests.forEach(({ sample }, i) => (sample.values = values[i]));
  return { samples, strides };
}

/**
 * Validate a file against ranges, as LocoHub's validator.
 *
 * @throws LocolensError `missing-columns` for an ignored column the file lacks; worker errors.
 */
export async function validateFile(
  pool: DecodePool,
  spec: SourceSpec,
  summary: IDatasetSummary,
  ranges: IValidationRanges,
  options: IValidateOptions = {}
): Promise<IFileValidation> {
  checkExcludedColumns(summary, options.ignore ?? []);
  const { samples, strides } = await readTaskSamples(pool, spec, summary, ranges, options);
  const badTasks = badPhaseTasks(summary);
  const tasks = samples.map(sample => validateTask(sample, ranges.tasks.get(sample.task)!));
  return { result: summarizeValidation(tasks, badTasks), samples, strides, badTasks };
}

/**
 * Check one task again after its ranges changed (the tuner's edit): only that task's samples are
 * compared again; the file's figures are summed anew. Updates and returns `validation.result`.
 */
export function recheckTask(validation: IFileValidation, ranges: IValidationRanges, task: string): IValidationResult {
  const tasks = validation.result.tasks.map(result => {
    const sample = validation.samples.find(candidate => candidate.task === task);
    return result.task === task && sample ? validateTask(sample, ranges.tasks.get(task)!) : result;
  });
  validation.result = summarizeValidation(tasks, validation.badTasks);
  return validation.result;
}

/** Ranges with every detected feature at `phases` for every task, unbounded: what suggesting for a file without ranges reads. */
export function unboundedRanges(summary: IDatasetSummary, phases: number[]): IValidationRanges {
  const variables = detectedFeatures(summary).sort();
  const tasks = new Map(
    summary.tasks.map(task => [
      task.task,
      {
        metadata: {},
        phases: new Map(phases.map(phase => [phase, new Map(variables.map(variable => [variable, { min: null, max: null }]))]))
      }
    ])
  );
  return { header: {}, tasks, warnings: [] };
}

/** Excluded columns must exist (LocoHub's cleaner refuses unknown ones). */
export function checkExcludedColumns(summary: IDatasetSummary, exclude: string[]): void {
  const known = new Set(summary.columns.map(column => column.name));
  const unknown = exclude.filter(name => !known.has(name));
  if (unknown.length) {
    throw new LocolensError(
      'missing-columns',
      `${summary.file.name}: no column ${unknown.map(name => JSON.stringify(name)).join(', ')} to exclude`
    );
  }
}

/** Where LocoHub's cleaner writes the clean file of `path`: `_dirty`/`_raw` → `_clean`, else `_clean` added. */
export function cleanFilePath(path: string): string {
  const slash = path.lastIndexOf('/');
  const folder = path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  const stem = name.replace(/\.parquet$/i, '');
  const cleanStem = stem.endsWith('_dirty')
    ? `${stem.slice(0, -6)}_clean`
    : stem.endsWith('_raw')
      ? `${stem.slice(0, -4)}_clean`
      : `${stem}_clean`;
  return `${folder}${cleanStem}.parquet`;
}

/** What a clean export keeps and removes. */
export interface ICleanSummary {
  source: string;
  output: string;
  rangesSource: string;
  excludedColumns: string[];
  keptRows: number;
  keptStrides: number;
  removedStrides: number;
  /** Rows after a task's last whole stride, dropped as LocoHub's cleaner drops them. */
  droppedRemainderRows: number;
  tasks: Array<{
    task: string;
    strides: number;
    kept: number;
    removed: Array<{ stride: number; subject: string; cycle: number }>;
  }>;
}

/**
 * The row-group plan of a clean export: every stride that passes (tasks the ranges do not name
 * pass whole), in file order; a task's rows after its last whole stride are dropped.
 */
export function cleanPlan(
  summary: IDatasetSummary,
  validation: IFileValidation,
  columns: string[]
): { plan: ICleanPlan; summary: Omit<ICleanSummary, 'source' | 'output' | 'rangesSource' | 'excludedColumns'> } {
  const ranges: Array<[number, number]> = [];
  const tasks: ICleanSummary['tasks'] = [];
  const byTask = new Map(validation.result.tasks.map(task => [task.task, task]));
  let keptStrides = 0;
  let removedStrides = 0;
  let droppedRemainderRows = 0;
  for (const { task } of summary.tasks) {
    const strides = validation.strides.get(task) ?? taskStrides(summary, task);
    const whole = Math.floor(strides.rows / STRIDE_ROWS);
    droppedRemainderRows += strides.rows - whole * STRIDE_ROWS;
    const failures = byTask.get(task)?.strideFailures;
    const removed: ICleanSummary['tasks'][number]['removed'] = [];
    let span = 0;
    let before = 0;
    for (let s = 0; s < whole; s++) {
      if (failures && failures[s]) {
        removed.push({ stride: s, subject: strides.subjects[strides.strideSubjects[s]], cycle: strides.strideCycles[s] });
        continue;
      }
      // Positions s·150 … s·150+149 of the task, mapped to file rows through its spans.
      let position = s * STRIDE_ROWS;
      const end = position + STRIDE_ROWS;
      while (position < end) {
        while (position >= before + strides.spans[span][1]) {
          before += strides.spans[span][1];
          span++;
        }
        const [firstRow, rows] = strides.spans[span];
        const take = Math.min(end - position, before + rows - position);
        ranges.push([firstRow + position - before, take]);
        position += take;
      }
    }
    keptStrides += whole - removed.length;
    removedStrides += removed.length;
    tasks.push({ task, strides: whole, kept: whole - removed.length, removed });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [first, rows] of ranges) {
    const last = merged[merged.length - 1];
    if (last && last[0] + last[1] === first) {
      last[1] += rows;
    } else {
      merged.push([first, rows]);
    }
  }
  // Cut by row group, local row numbers.
  const rowGroups: ICleanPlan['rowGroups'] = [];
  let start = 0;
  let cursor = 0;
  summary.file.rowGroupRows.forEach((groupRows, rowGroup) => {
    const end = start + groupRows;
    const keep: Array<[number, number]> = [];
    while (cursor < merged.length && merged[cursor][0] < end) {
      const [first, rows] = merged[cursor];
      const from = Math.max(first, start);
      const to = Math.min(first + rows, end);
      if (to > from) {
        keep.push([from - start, to - from]);
      }
      if (first + rows <= end) {
        cursor++;
      } else {
        break;
      }
    }
    rowGroups.push({ rowGroup, keep });
    start = end;
  });
  const keptRows = merged.reduce((sum, [, rows]) => sum + rows, 0);
  const largest = Math.max(1, ...summary.file.rowGroupRows);
  return {
    plan: { columns, rowGroups, rowGroupRows: largest, compression: summary.file.compression[0] },
    summary: { keptRows, keptStrides, removedStrides, droppedRemainderRows, tasks }
  };
}

/** Where a clean export's bytes go (a file written under a temporary name, then renamed). */
export interface ICleanSink {
  write(bytes: Uint8Array): Promise<void>;
  /** The file is complete: make it visible under its name. */
  close(): Promise<void>;
  /** Something failed: remove what was written. */
  abort(): Promise<void>;
}

let exportCounter = 0;

/**
 * Write the clean file of a validated file: the passing strides, every column but the excluded
 * ones, streamed by one worker (one decoded row group at a time).
 *
 * @returns what was kept and removed.
 * @throws LocolensError from the workers, or `cancelled`; the sink is aborted then.
 */
export async function writeCleanFile(
  pool: DecodePool,
  spec: SourceSpec,
  summary: IDatasetSummary,
  validation: IFileValidation,
  sink: ICleanSink,
  options: { exclude?: string[]; signal?: AbortSignal; onProgress?: (bytes: number) => void } = {}
): Promise<Omit<ICleanSummary, 'source' | 'output' | 'rangesSource'>> {
  const exclude = options.exclude ?? [];
  checkExcludedColumns(summary, exclude);
  const columns = summary.columns.map(column => column.name).filter(name => !exclude.includes(name));
  const { plan, summary: kept } = cleanPlan(summary, validation, columns);
  const id = `clean-${Date.now()}-${exportCounter++}`;
  spec = pinnedSpec(spec, summary.file.version);
  let written = 0;
  let worker: Awaited<ReturnType<typeof pool.run>>['worker'] | null = null;
  try {
    ({ worker } = await pool.run(api => api.cleanStart(id, spec, plan)));
    for (;;) {
      throwIfCancelled(options.signal);
      const { value } = await pool.run(api => api.cleanNext(id), { on: worker });
      if (!value) {
        break;
      }
      await sink.write(value);
      written += value.byteLength;
      options.onProgress?.(written);
    }
    await sink.close();
  } catch (error) {
    if (worker) {
      await pool.run(api => api.cleanCancel(id), { on: worker }).catch(() => undefined);
    }
    await sink.abort().catch(() => undefined);
    throw error;
  }
  return { ...kept, excludedColumns: exclude };
}

/** A clean export's report as JSON (written beside the clean file). */
export function cleanReportJSON(report: ICleanSummary, result: IValidationResult): Record<string, unknown> {
  return {
    source: report.source,
    output: report.output,
    ranges: report.rangesSource,
    excluded_columns: report.excludedColumns,
    kept_rows: report.keptRows,
    kept_strides: report.keptStrides,
    removed_strides: report.removedStrides,
    dropped_remainder_rows: report.droppedRemainderRows,
    stride_pass_rate: result.stridePassRate,
    tasks: report.tasks.map(task => ({
      task: task.task,
      strides: task.strides,
      kept: task.kept,
      removed: task.removed.map(({ stride, subject, cycle }) => ({ stride, subject, cycle }))
    }))
  };
}
