/**
 * The dataset model of a LocoHub phase-indexed file: subjects, tasks, task_id values, cycles per
 * subject×task, variables grouped by joint / measurement / side / unit, and conformance findings.
 */
import type { IColumnInfo, IParquetFileInfo } from '../parquet/footer';
import type { IKeyColumns, IMergedKeyRuns } from './key-runs';
import {
  LEGACY_METADATA_NAMES,
  METADATA_COLUMNS,
  PREFERRED_UNITS,
  isLocoHubFeature,
  parseVariableName,
  suggestStandardName,
  type IVariableParts
} from './variable-names';

/** Samples per gait cycle in the standard. */
export const POINTS_PER_CYCLE = 150;

/** Task families of LocoHub's registry (category "phase"); others are reported, not rejected. */
export const REGISTRY_TASKS = new Set([
  'level_walking',
  'incline_walking',
  'decline_walking',
  'stair_ascent',
  'stair_descent',
  'run',
  'transition',
  'sit_to_stand',
  'stand_to_sit',
  'squats',
  'step_up',
  'step_down',
  'jump',
  'weighted_walk',
  'dynamic_walk',
  'walk_backward'
]);

/** How bad a finding is. */
export type Severity = 'error' | 'warning' | 'info';

/** One conformance finding. */
export interface IFinding {
  severity: Severity;
  code: string;
  message: string;
  column?: string;
  subject?: string;
  task?: string;
  /** A standard name to use instead. */
  suggestion?: string;
}

/** One subject×task: its rows in file order, cut in cycles of 150. */
export interface ISubjectTaskBlock {
  subject: string;
  task: string;
  taskIds: string[];
  rows: number;
  /** Whole cycles (rows / 150, rounded down). */
  cycles: number;
  /** Rows left over when rows is not a multiple of 150 (0 when it conforms). */
  remainderRows: number;
  /** Number of separate runs of rows in the file (1 when contiguous). */
  runs: number;
  /** First row of each run and its length (position is cycle identity). */
  spans: Array<[firstRow: number, rows: number]>;
  /** Cycles whose first row is not where the phase restarts (needs a phase column). */
  misalignedCycles: number;
}

/** A task with its variants and totals. */
export interface ITaskSummary {
  task: string;
  taskIds: string[];
  subjects: string[];
  cycles: number;
  rows: number;
}

/** One variable column. */
export interface IVariableSummary {
  name: string;
  type: string;
  /** Whether the name follows the standard pattern with known vocabulary. */
  standard: boolean;
  parts?: IVariableParts;
  /** Why the name is not standard. */
  reason?: string;
  suggestion?: string;
  /** Whether LocoHub's LocomotionData would detect it as a feature. */
  locohubFeature: boolean;
  /** Nulls from the footer statistics (undefined when the writer kept none). */
  nullCount?: number;
  /** Missing values (NaN or null) found by a value scan (undefined until scanned). */
  nanCount?: number;
}

/** Overall verdict. */
export type ConformanceStatus = 'conforms' | 'conforms-with-warnings' | 'does-not-conform';

/** Everything the dataset browser shows about a file. */
export interface IDatasetSummary {
  /** Version of this structure. */
  schemaVersion: 1;
  file: {
    name: string;
    sizeBytes: number;
    rows: number;
    rowGroups: number;
    rowGroupRows: number[];
    compression: string[];
    createdBy?: string;
    /** The version of the file summarized (a local file's size and modification time): runs read only it. */
    version?: string;
  };
  columns: Array<Pick<IColumnInfo, 'name' | 'type' | 'physicalType' | 'nullable' | 'nullCount' | 'compressedBytes' | 'dictionaryEncoded'>>;
  keyColumns: IKeyColumns;
  subjects: string[];
  tasks: ITaskSummary[];
  blocks: ISubjectTaskBlock[];
  totalCycles: number;
  variables: IVariableSummary[];
  groups: {
    byJoint: Record<string, string[]>;
    byMeasurement: Record<string, string[]>;
    bySide: Record<string, string[]>;
    byUnit: Record<string, string[]>;
  };
  phase?: { column: string; min: number; max: number; grid: 'i/150' | 'i/149' | 'other'; outOfRange: number };
  status: ConformanceStatus;
  findings: IFinding[];
  /** Bytes read from the file to build this summary, and the time it took. */
  io: { bytesRead: number; requests: number; millis: number; cached?: boolean };
  /** The footer's hash (part of the file's identity for caches). */
  footerHash?: string;
}

/** The columns as table rows: name, type, parquet type (dictionary), nulls, compressed bytes. */
export function columnRows(summary: IDatasetSummary, formatBytes: (bytes: number) => string): Array<Array<string | number>> {
  return summary.columns.map(column => [
    column.name,
    column.type,
    column.physicalType + (column.dictionaryEncoded ? ' (dictionary)' : ''),
    column.nullCount ?? '?',
    formatBytes(column.compressedBytes)
  ]);
}

/** Which columns hold the keys, with the findings about their names. */
export function findKeyColumns(columns: IColumnInfo[]): { keys: IKeyColumns; findings: IFinding[] } {
  const byName = new Map(columns.map(column => [column.name, column]));
  const findings: IFinding[] = [];
  const stringColumn = (name: string) => (byName.get(name)?.type === 'string' ? name : null);
  const keys: IKeyColumns = {
    subject: stringColumn('subject'),
    task: stringColumn('task'),
    taskId: stringColumn('task_id'),
    phase: null
  };
  for (const [name, label] of [
    ['subject', 'subject'],
    ['task', 'task']
  ] as const) {
    if (!keys[label]) {
      findings.push({
        severity: 'error',
        code: `missing-${label}`,
        column: name,
        message: byName.has(name)
          ? `column "${name}" is not a string column`
          : `required column "${name}" is missing: cycles cannot be grouped by ${label}`
      });
    }
  }
  const numeric = (name: string) => {
    const type = byName.get(name)?.type;
    return type === 'float32' || type === 'float64' || type === 'int32' || type === 'int64';
  };
  if (numeric('phase_ipsi')) {
    keys.phase = 'phase_ipsi';
  } else {
    const legacy = ['phase_percent', 'phase', 'phase_r'].find(numeric);
    if (legacy) {
      keys.phase = legacy;
      findings.push({
        severity: 'warning',
        code: 'legacy-phase-name',
        column: legacy,
        suggestion: 'phase_ipsi',
        message: `phase column "${legacy}" uses a legacy name; the standard name is "phase_ipsi"`
      });
    } else {
      findings.push({
        severity: 'error',
        code: 'missing-phase',
        column: 'phase_ipsi',
        message: 'required column "phase_ipsi" is missing: this is not a phase-indexed file'
      });
    }
  }
  if (!keys.taskId) {
    findings.push({
      severity: 'warning',
      code: 'missing-task-id',
      column: 'task_id',
      message: 'column "task_id" is missing (required by the current standard)'
    });
  }
  if (!byName.has('step')) {
    const legacy = ['step_number', 'cycle_id'].find(name => byName.has(name));
    findings.push({
      severity: 'warning',
      code: legacy ? 'legacy-step-name' : 'missing-step',
      column: legacy ?? 'step',
      suggestion: legacy ? 'step' : undefined,
      message: legacy
        ? `column "${legacy}" uses a legacy name; the standard name is "step"`
        : 'column "step" is missing (required by the current standard)'
    });
  }
  return { keys, findings };
}

/** The key columns to decode for a summary (subject, task, task_id, phase). */
export function keyColumnNames(keys: IKeyColumns): string[] {
  return [keys.subject, keys.task, keys.taskId, keys.phase].filter((name): name is string => !!name);
}

/**
 * Build the dataset summary from the footer and the merged key runs.
 *
 * @param info - the footer.
 * @param keys - key columns and the findings about them (from `findKeyColumns`).
 * @param merged - the merged runs of all row groups (undefined when subject/task are missing).
 */
export function buildDatasetSummary(
  info: IParquetFileInfo,
  keys: { keys: IKeyColumns; findings: IFinding[] },
  merged: IMergedKeyRuns | undefined,
  io: IDatasetSummary['io']
): IDatasetSummary {
  const findings: IFinding[] = [...keys.findings];
  const blocks = merged ? buildBlocks(merged, keys.keys) : [];
  const tasks = buildTasks(blocks);
  const subjects = [...new Set(blocks.map(block => block.subject))].sort();
  const variables = buildVariables(info.columns, keys.keys);
  findings.push(...blockFindings(blocks, !!keys.keys.phase));
  findings.push(...variableFindings(variables));
  for (const task of tasks) {
    if (!REGISTRY_TASKS.has(task.task.replace(/_(stroke|cva|pd|sci|cp|ms|oa|tfa|tta|tka|tha|amputee|parkinsons)$/, ''))) {
      findings.push({
        severity: 'info',
        code: 'task-not-in-registry',
        task: task.task,
        message: `task "${task.task}" is not a task family of LocoHub's registry`
      });
    }
  }
  let phase: IDatasetSummary['phase'];
  if (merged && keys.keys.phase && Number.isFinite(merged.phaseMin)) {
    phase = {
      column: keys.keys.phase,
      min: merged.phaseMin,
      max: merged.phaseMax,
      grid: phaseGrid(merged.phaseSample),
      outOfRange: merged.phaseOutOfRange
    };
    if (merged.phaseOutOfRange > 0) {
      findings.push({
        severity: 'warning',
        code: 'phase-out-of-range',
        column: keys.keys.phase,
        message: `${merged.phaseOutOfRange} rows have a phase outside 0–100 % or missing`
      });
    }
  }
  const status: ConformanceStatus = findings.some(f => f.severity === 'error')
    ? 'does-not-conform'
    : findings.some(f => f.severity === 'warning')
      ? 'conforms-with-warnings'
      : 'conforms';
  return {
    schemaVersion: 1,
    file: {
      name: info.name,
      sizeBytes: info.sizeBytes,
      rows: info.numRows,
      rowGroups: info.rowGroups.length,
      rowGroupRows: info.rowGroups.map(group => group.numRows),
      compression: info.compression,
      createdBy: info.createdBy,
      version: info.version
    },
    columns: info.columns.map(({ name, type, physicalType, nullable, nullCount, compressedBytes, dictionaryEncoded }) => ({
      name,
      type,
      physicalType,
      nullable,
      nullCount,
      compressedBytes,
      dictionaryEncoded
    })),
    keyColumns: keys.keys,
    subjects,
    tasks,
    blocks,
    totalCycles: blocks.reduce((sum, block) => sum + block.cycles, 0),
    variables,
    groups: groupVariables(variables),
    phase,
    status,
    findings,
    io,
    footerHash: info.footerHash
  };
}

function buildBlocks(merged: IMergedKeyRuns, keys: IKeyColumns): ISubjectTaskBlock[] {
  const blocks = new Map<string, ISubjectTaskBlock & { taskIdSet: Set<string> }>();
  for (const run of merged.runs) {
    const subject = run.subject ?? '(missing)';
    const task = run.task ?? '(missing)';
    const key = JSON.stringify([subject, task]);
    let block = blocks.get(key);
    if (!block) {
      block = {
        subject,
        task,
        taskIds: [],
        taskIdSet: new Set(),
        rows: 0,
        cycles: 0,
        remainderRows: 0,
        runs: 0,
        spans: [],
        misalignedCycles: 0
      };
      blocks.set(key, block);
    }
    if (run.taskId !== null) {
      block.taskIdSet.add(run.taskId);
    }
    const last = block.spans[block.spans.length - 1];
    if (last && last[0] + last[1] === run.firstRow) {
      last[1] += run.rows;
    } else {
      block.spans.push([run.firstRow, run.rows]);
    }
    if (keys.phase) {
      // Cycle starts by position (multiples of 150 in the block) vs by phase restarts.
      const offset = block.rows;
      const starts = new Set(run.phaseStarts.map(start => start + offset));
      for (
        let position = Math.ceil(offset / POINTS_PER_CYCLE) * POINTS_PER_CYCLE;
        position < offset + run.rows;
        position += POINTS_PER_CYCLE
      ) {
        if (!starts.has(position)) {
          block.misalignedCycles += 1;
        }
      }
    }
    block.rows += run.rows;
  }
  return [...blocks.values()].map(({ taskIdSet, ...block }) => ({
    ...block,
    taskIds: [...taskIdSet].sort(),
    cycles: Math.floor(block.rows / POINTS_PER_CYCLE),
    remainderRows: block.rows % POINTS_PER_CYCLE,
    runs: block.spans.length
  }));
}

function buildTasks(blocks: ISubjectTaskBlock[]): ITaskSummary[] {
  const tasks = new Map<string, { taskIds: Set<string>; subjects: Set<string>; cycles: number; rows: number }>();
  for (const block of blocks) {
    let task = tasks.get(block.task);
    if (!task) {
      task = { taskIds: new Set(), subjects: new Set(), cycles: 0, rows: 0 };
      tasks.set(block.task, task);
    }
    block.taskIds.forEach(id => task!.taskIds.add(id));
    task.subjects.add(block.subject);
    task.cycles += block.cycles;
    task.rows += block.rows;
  }
  return [...tasks.entries()]
    .map(([task, value]) => ({
      task,
      taskIds: [...value.taskIds].sort(),
      subjects: [...value.subjects].sort(),
      cycles: value.cycles,
      rows: value.rows
    }))
    .sort((a, b) => a.task.localeCompare(b.task));
}

function buildVariables(columns: IColumnInfo[], keys: IKeyColumns): IVariableSummary[] {
  const keyNames = new Set(Object.values(keys).filter(Boolean));
  const variables: IVariableSummary[] = [];
  for (const column of columns) {
    const numeric = ['float32', 'float64', 'int32', 'int64'].includes(column.type);
    if (!numeric || keyNames.has(column.name) || METADATA_COLUMNS.has(column.name) || column.name in LEGACY_METADATA_NAMES) {
      continue;
    }
    if (['cycle_id', 'step_number', 'cycle', 'activity_number', 'leading_leg_step'].includes(column.name)) {
      continue;
    }
    const parsed = parseVariableName(column.name);
    const suggestion = parsed.ok && PREFERRED_UNITS.has(parsed.parts.unit) ? null : suggestStandardName(column.name);
    variables.push({
      name: column.name,
      type: column.type,
      standard: parsed.ok,
      parts: parsed.ok ? parsed.parts : undefined,
      reason: parsed.ok ? undefined : parsed.reason,
      suggestion: suggestion?.name,
      locohubFeature: isLocoHubFeature(column.name),
      nullCount: column.nullCount
    });
  }
  return variables;
}

function blockFindings(blocks: ISubjectTaskBlock[], hasPhase: boolean): IFinding[] {
  const findings: IFinding[] = [];
  for (const block of blocks) {
    if (block.remainderRows !== 0) {
      findings.push({
        severity: 'error',
        code: 'cycle-remainder',
        subject: block.subject,
        task: block.task,
        message: `${block.subject} × ${block.task}: ${block.rows} rows is not a multiple of 150 (${block.cycles} cycles + ${block.remainderRows} rows); LocoHub refuses to reshape it`
      });
    }
    if (hasPhase && block.misalignedCycles > 0) {
      findings.push({
        severity: 'warning',
        code: 'phase-misaligned',
        subject: block.subject,
        task: block.task,
        message: `${block.subject} × ${block.task}: ${block.misalignedCycles} of ${Math.ceil(block.rows / POINTS_PER_CYCLE)} 150-row blocks do not start where the phase restarts`
      });
    }
    if (block.runs > 1) {
      findings.push({
        severity: 'info',
        code: 'non-contiguous',
        subject: block.subject,
        task: block.task,
        message: `${block.subject} × ${block.task}: rows come in ${block.runs} separate runs; cycles are taken in file order`
      });
    }
  }
  return findings;
}

function variableFindings(variables: IVariableSummary[]): IFinding[] {
  const findings: IFinding[] = [];
  for (const variable of variables) {
    if (!variable.standard) {
      findings.push({
        severity: 'warning',
        code: variable.suggestion ? 'legacy-name' : 'nonstandard-name',
        column: variable.name,
        suggestion: variable.suggestion,
        message: variable.suggestion
          ? `"${variable.name}" is a legacy name; the standard name is "${variable.suggestion}"`
          : `"${variable.name}" is not a standard variable name: ${variable.reason}`
      });
    } else if (variable.parts && !PREFERRED_UNITS.has(variable.parts.unit)) {
      findings.push({
        severity: 'warning',
        code: 'non-preferred-unit',
        column: variable.name,
        suggestion: variable.suggestion,
        message: `"${variable.name}" is in ${variable.parts.unit}; the standard stores ${variable.suggestion ? `"${variable.suggestion}"` : 'rad, rad_s, Nm_kg, BW'}`
      });
    }
    const missing = variable.nanCount ?? variable.nullCount ?? 0;
    if (missing > 0) {
      findings.push({
        severity: 'info',
        code: 'missing-values',
        column: variable.name,
        message: `"${variable.name}": ${missing} missing values (NaN)`
      });
    }
  }
  return findings;
}

function groupVariables(variables: IVariableSummary[]): IDatasetSummary['groups'] {
  const groups: IDatasetSummary['groups'] = { byJoint: {}, byMeasurement: {}, bySide: {}, byUnit: {} };
  const add = (group: Record<string, string[]>, key: string, name: string) => {
    (group[key] ??= []).push(name);
  };
  for (const variable of variables) {
    const parts = variable.parts;
    add(groups.byJoint, parts?.body ?? 'non-standard', variable.name);
    add(groups.byMeasurement, parts?.measurement ?? 'non-standard', variable.name);
    add(groups.bySide, parts ? (parts.side ?? 'none') : 'non-standard', variable.name);
    add(groups.byUnit, parts?.unit ?? 'non-standard', variable.name);
  }
  return groups;
}

function phaseGrid(sample: number[]): 'i/150' | 'i/149' | 'other' {
  if (sample.length < 150) {
    return 'other';
  }
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  if (sample.every((value, i) => near(value, (i * 100) / 150))) {
    return 'i/150';
  }
  if (sample.every((value, i) => near(value, (i * 100) / 149))) {
    return 'i/149';
  }
  return 'other';
}

/** Apply NaN counts from a value scan to a summary (returns a new summary). */
export function withNanCounts(summary: IDatasetSummary, nanCounts: Record<string, number>): IDatasetSummary {
  const variables = summary.variables.map(variable =>
    variable.name in nanCounts ? { ...variable, nanCount: nanCounts[variable.name] } : variable
  );
  const findings = summary.findings.filter(finding => finding.code !== 'missing-values');
  findings.push(...variableFindings(variables).filter(finding => finding.code === 'missing-values'));
  return { ...summary, variables, findings };
}
