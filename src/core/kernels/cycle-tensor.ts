/**
 * Cycle extraction (LocoHub `get_cycles`): which rows make the cycles of a selection, and the
 * cycles × 150 × features tensor assembled from decoded row groups.
 *
 * #### Notes
 * Cycle identity is position: the rows of a subject×task in file order, cut in blocks of 150.
 * A subject×task whose row count is not a multiple of 150 is reported and left out, never
 * reshaped. "All subjects of a task" concatenates the subjects' cycles in file order.
 */
import type { IDatasetSummary, ISubjectTaskBlock } from '../dataset/dataset-summary';
import { LocolensError } from '../errors';
import type { IColumnBatch } from '../parquet/column-data';
import { PHASES, type ICycleTensor } from './types';

/** What to analyse. */
export interface ISelection {
  /** One task, or every task when undefined. */
  task?: string;
  /** Some subjects, or every subject when undefined or empty. */
  subjects?: string[];
  /** Features, or every standard variable when undefined or empty. */
  features?: string[];
  /**
   * 'subject-task': one group per subject×task; 'task': one group per task with all its
   * (selected) subjects. Default: 'subject-task' when subjects are given, else 'task'.
   */
  groupBy?: 'subject-task' | 'task';
}

/** One group of cycles analysed together: one subject×task, or all subjects of a task. */
export interface ICycleGroup {
  task: string;
  /** The subjects whose cycles are in the group, in file order. */
  subjects: string[];
  /** Row spans in file order; together a multiple of 150 rows each block. */
  spans: Array<[firstRow: number, rows: number]>;
  cycles: number;
  /** For each cycle: its subject and its index within that subject×task. */
  cycleSubjects: string[];
  cycleIndex: number[];
  /** The subject×task blocks whose cycles the group holds, in order. */
  blocks: ISubjectTaskBlock[];
}

/** The plan of an analysis: groups, features, and the blocks left out. */
export interface ICyclePlan {
  groups: ICycleGroup[];
  features: string[];
  /** Subject×task blocks left out because their rows are not a multiple of 150. */
  skipped: Array<{ subject: string; task: string; rows: number; reason: string }>;
}

/**
 * Group the blocks of a summary by the selection (see `ISelection.groupBy`).
 *
 * @throws LocolensError `bad-argument` for an unknown subject, task or feature, or when nothing
 *   is left to analyse.
 */
export function planCycles(summary: IDatasetSummary, selection: ISelection): ICyclePlan {
  const known = new Set(summary.variables.map(variable => variable.name));
  const features = selection.features?.length
    ? selection.features
    : summary.variables.filter(variable => variable.standard && variable.locohubFeature).map(variable => variable.name);
  const unknownFeatures = features.filter(name => !known.has(name));
  if (unknownFeatures.length) {
    throw new LocolensError(
      'missing-columns',
      `${summary.file.name}: no variable ${unknownFeatures.map(n => JSON.stringify(n)).join(', ')}`
    );
  }
  if (features.length === 0) {
    throw new LocolensError('missing-columns', `${summary.file.name}: no variables to analyse`);
  }
  if (selection.task && !summary.tasks.some(task => task.task === selection.task)) {
    throw new LocolensError(
      'bad-argument',
      `${summary.file.name}: no task ${JSON.stringify(selection.task)} (tasks: ${summary.tasks.map(t => t.task).join(', ')})`
    );
  }
  const subjects = selection.subjects?.length ? selection.subjects : undefined;
  for (const subject of subjects ?? []) {
    if (!summary.subjects.includes(subject)) {
      throw new LocolensError('bad-argument', `${summary.file.name}: no subject ${JSON.stringify(subject)}`);
    }
  }
  const blocks = summary.blocks.filter(
    block => (!selection.task || block.task === selection.task) && (!subjects || subjects.includes(block.subject))
  );
  const skipped: ICyclePlan['skipped'] = [];
  const usable: ISubjectTaskBlock[] = [];
  for (const block of blocks) {
    if (block.remainderRows !== 0) {
      skipped.push({
        subject: block.subject,
        task: block.task,
        rows: block.rows,
        reason: `${block.rows} rows is not a multiple of 150`
      });
    } else if (block.cycles > 0) {
      usable.push(block);
    }
  }
  const bySubject = (selection.groupBy ?? (subjects ? 'subject-task' : 'task')) === 'subject-task';
  const groups: ICycleGroup[] = [];
  const byKey = new Map<string, ICycleGroup>();
  for (const block of usable) {
    const key = bySubject ? `${block.subject}\u0000${block.task}` : block.task;
    let group = byKey.get(key);
    if (!group) {
      group = { task: block.task, subjects: [], spans: [], cycles: 0, cycleSubjects: [], cycleIndex: [], blocks: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    group.subjects.push(block.subject);
    group.blocks.push(block);
    group.spans.push(...block.spans.map(([first, rows]) => [first, rows] as [number, number]));
    for (let c = 0; c < block.cycles; c++) {
      group.cycleSubjects.push(block.subject);
      group.cycleIndex.push(c);
    }
    group.cycles += block.cycles;
  }
  // A group's cycles follow file order (blocks were listed in file order of first appearance).
  if (groups.length === 0) {
    throw new LocolensError(
      'bad-argument',
      skipped.length
        ? `${summary.file.name}: nothing to analyse: ${skipped.map(s => `${s.subject} × ${s.task} (${s.reason})`).join('; ')}`
        : `${summary.file.name}: no cycles match the selection`
    );
  }
  return { groups, features, skipped };
}

/** The row groups that hold rows of a group. */
export function rowGroupsOf(group: ICycleGroup, rowGroupRows: number[]): number[] {
  const needed: number[] = [];
  let start = 0;
  rowGroupRows.forEach((rows, index) => {
    const end = start + rows;
    if (group.spans.some(([first, length]) => first < end && first + length > start)) {
      needed.push(index);
    }
    start = end;
  });
  return needed;
}

/**
 * Assembles a group's tensor from decoded row groups, in any order: each batch's rows that fall
 * in the group's spans are copied to their cycle and phase (a contiguous copy per span and feature).
 */
export class CycleTensorBuilder {
  constructor(
    readonly group: ICycleGroup,
    readonly features: string[]
  ) {
    this.tensor = { features, cycles: group.cycles, data: new Float32Array(features.length * group.cycles * PHASES) };
    let position = 0;
    this.spanPositions = group.spans.map(([, rows]) => {
      const at = position;
      position += rows;
      return at;
    });
  }

  readonly tensor: ICycleTensor;
  private readonly spanPositions: number[];
  private filled = 0;

  /** Copy the rows of `batch` that belong to the group. */
  add(batch: IColumnBatch): void {
    const C = this.group.cycles;
    const batchStart = batch.firstRow;
    const batchEnd = batch.firstRow + batch.numRows;
    this.group.spans.forEach(([first, rows], s) => {
      const from = Math.max(first, batchStart);
      const to = Math.min(first + rows, batchEnd);
      if (from >= to) {
        return;
      }
      const position = this.spanPositions[s] + (from - first);
      this.features.forEach((name, f) => {
        const column = batch.columns[name];
        if (!column || column.kind === 'codes') {
          throw new LocolensError('unsupported-parquet', `column ${JSON.stringify(name)} is not numeric`);
        }
        const values = column.values.subarray(from - batchStart, to - batchStart);
        const target = f * C * PHASES + position;
        if (values instanceof Float32Array) {
          this.tensor.data.set(values, target);
        } else {
          // Float64 and integer columns narrow to float32 (the kernels' input type).
          const out = this.tensor.data;
          for (let i = 0; i < values.length; i++) {
            out[target + i] = values[i];
          }
        }
      });
      this.filled += to - from;
    });
  }

  /** Whether every row of the group was copied. */
  get complete(): boolean {
    return this.filled === this.group.cycles * PHASES;
  }
}
