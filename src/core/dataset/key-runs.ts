/**
 * Runs of (subject, task, task_id) in file order, computed per row group and merged exactly.
 *
 * #### Notes
 * LocoHub identifies cycles by position: the rows of one subject×task, in file order, cut in
 * blocks of 150. A row group boundary can fall anywhere, inside a run and inside a cycle, so
 * each row group yields a partial (its runs, and the offsets where the phase restarts), and
 * `mergeKeyRuns` joins the last run of one group with the first of the next when their keys match.
 */
import { codeValue, type ColumnData, type IColumnBatch } from '../parquet/column-data';

/** A maximal run of consecutive rows with the same subject, task and task_id. */
export interface IKeyRun {
  subject: string | null;
  task: string | null;
  taskId: string | null;
  /** First row (in the file). */
  firstRow: number;
  rows: number;
  /** Offsets inside the run (0 = its first row) where a new cycle starts by the phase column. */
  phaseStarts: number[];
}

/** What one row group contributes. */
export interface IKeyRunsPartial {
  rowGroup: number;
  runs: IKeyRun[];
  /** Phase value of the group's first and last row (NaN when no phase column). */
  firstPhase: number;
  lastPhase: number;
  phaseMin: number;
  phaseMax: number;
  /** Rows whose phase is outside [0, 100] or not finite. */
  phaseOutOfRange: number;
  /** Distinct phase values seen on the first 150 rows (to tell the phase grid). */
  phaseSample: number[];
}

/** Column names of the keys in a file (null where the file has none). */
export interface IKeyColumns {
  subject: string | null;
  task: string | null;
  taskId: string | null;
  phase: string | null;
}

/**
 * The runs of one decoded row group.
 *
 * A phase restart is a row whose phase is lower than the previous row's; the first row of every
 * run counts as a start (corrected by `mergeKeyRuns` when the run continues the previous group).
 */
export function keyRunsOfBatch(batch: IColumnBatch, keys: IKeyColumns): IKeyRunsPartial {
  const n = batch.numRows;
  const subject = pick(batch, keys.subject);
  const task = pick(batch, keys.task);
  const taskId = pick(batch, keys.taskId);
  const phaseColumn = keys.phase ? batch.columns[keys.phase] : undefined;
  const phase = phaseColumn && phaseColumn.kind !== 'codes' ? phaseColumn.values : undefined;
  const runs: IKeyRun[] = [];
  let current: IKeyRun | null = null;
  let currentCodes: [number, number, number] = [-2, -2, -2];
  let phaseMin = Infinity;
  let phaseMax = -Infinity;
  let outOfRange = 0;
  for (let i = 0; i < n; i++) {
    const s = subject ? subject.codes[i] : -1;
    const t = task ? task.codes[i] : -1;
    const d = taskId ? taskId.codes[i] : -1;
    if (!current || s !== currentCodes[0] || t !== currentCodes[1] || d !== currentCodes[2]) {
      current = {
        subject: subject ? codeValue(subject, i) : null,
        task: task ? codeValue(task, i) : null,
        taskId: taskId ? codeValue(taskId, i) : null,
        firstRow: batch.firstRow + i,
        rows: 0,
        phaseStarts: [0]
      };
      currentCodes = [s, t, d];
      runs.push(current);
    } else if (phase && phase[i] < phase[i - 1]) {
      current.phaseStarts.push(current.rows);
    }
    current.rows += 1;
    if (phase) {
      const p = phase[i];
      if (p < phaseMin) {
        phaseMin = p;
      }
      if (p > phaseMax) {
        phaseMax = p;
      }
      if (!(p >= 0 && p <= 100)) {
        outOfRange += 1;
      }
    }
  }
  const sample: number[] = [];
  if (phase) {
    for (let i = 0; i < Math.min(n, 150); i++) {
      sample.push(phase[i]);
    }
  }
  return {
    rowGroup: batch.rowGroup,
    runs,
    firstPhase: phase && n ? phase[0] : NaN,
    lastPhase: phase && n ? phase[n - 1] : NaN,
    phaseMin,
    phaseMax,
    phaseOutOfRange: outOfRange,
    phaseSample: sample
  };
}

function pick(batch: IColumnBatch, name: string | null): Extract<ColumnData, { kind: 'codes' }> | undefined {
  if (!name) {
    return undefined;
  }
  const column = batch.columns[name];
  return column && column.kind === 'codes' ? column : undefined;
}

/** The merged runs of a whole file, and its phase statistics. */
export interface IMergedKeyRuns {
  runs: IKeyRun[];
  phaseMin: number;
  phaseMax: number;
  phaseOutOfRange: number;
  phaseSample: number[];
}

/**
 * Merge the partials of consecutive row groups (in any order given; sorted here).
 */
export function mergeKeyRuns(partials: IKeyRunsPartial[], hasPhase: boolean): IMergedKeyRuns {
  const sorted = [...partials].sort((a, b) => a.rowGroup - b.rowGroup);
  const runs: IKeyRun[] = [];
  let lastPhase = NaN;
  let phaseMin = Infinity;
  let phaseMax = -Infinity;
  let outOfRange = 0;
  let phaseSample: number[] = [];
  for (const partial of sorted) {
    if (partial.runs.length === 0) {
      continue;
    }
    const [first, ...rest] = partial.runs;
    const previous = runs[runs.length - 1];
    if (
      previous &&
      previous.subject === first.subject &&
      previous.task === first.task &&
      previous.taskId === first.taskId &&
      previous.firstRow + previous.rows === first.firstRow
    ) {
      const restartsHere = hasPhase && partial.firstPhase < lastPhase;
      const starts = first.phaseStarts.slice(1).map(offset => offset + previous.rows);
      if (restartsHere) {
        starts.unshift(previous.rows);
      }
      previous.phaseStarts.push(...starts);
      previous.rows += first.rows;
    } else {
      runs.push({ ...first, phaseStarts: [...first.phaseStarts] });
    }
    for (const run of rest) {
      runs.push({ ...run, phaseStarts: [...run.phaseStarts] });
    }
    lastPhase = partial.lastPhase;
    phaseMin = Math.min(phaseMin, partial.phaseMin);
    phaseMax = Math.max(phaseMax, partial.phaseMax);
    outOfRange += partial.phaseOutOfRange;
    if (phaseSample.length < 150) {
      phaseSample = phaseSample.concat(partial.phaseSample).slice(0, 150);
    }
  }
  return { runs, phaseMin, phaseMax, phaseOutOfRange: outOfRange, phaseSample };
}
