/**
 * The strides of a task as LocoHub's validator sees them, and their samples at some phases, read
 * on the worker pool: each needed row group is decoded once by one worker, which answers only the
 * samples asked for (a few per stride), never the decoded columns.
 */
import { LocolensError } from '../errors';
import { pinnedSpec, type SourceSpec } from '../io/byte-source';
import type { IDatasetSummary } from '../dataset/dataset-summary';
import type { DecodePool } from '../worker/decode-service';
import { throwIfCancelled } from '../analysis/cycle-stream';

export const STRIDE_ROWS = 150;

/** A task's strides: its rows in file order (all subjects), cut in 150s. */
export interface ITaskStrides {
  task: string;
  /** Rows of the task in the file. */
  rows: number;
  /** 0 when the rows are not a multiple of 150 (LocoHub's `get_cycles` refuses the task). */
  strides: number;
  /** The task's row runs in file order: [first row, rows, subject index]. */
  spans: Array<[firstRow: number, rows: number, subject: number]>;
  subjects: string[];
  strideSubjects: Int32Array;
  strideCycles: Int32Array;
}

/** The strides of `task` in a file. */
export function taskStrides(summary: IDatasetSummary, task: string): ITaskStrides {
  const subjects: string[] = [];
  const spans: Array<[number, number, number]> = [];
  for (const block of summary.blocks) {
    if (block.task !== task) {
      continue;
    }
    let subject = subjects.indexOf(block.subject);
    if (subject < 0) {
      subject = subjects.push(block.subject) - 1;
    }
    for (const [firstRow, rows] of block.spans) {
      spans.push([firstRow, rows, subject]);
    }
  }
  spans.sort((a, b) => a[0] - b[0]);
  const rows = spans.reduce((sum, span) => sum + span[1], 0);
  const strides = rows % STRIDE_ROWS === 0 ? rows / STRIDE_ROWS : 0;
  const strideSubjects = new Int32Array(strides);
  const strideCycles = new Int32Array(strides);
  const perSubject = new Int32Array(subjects.length);
  let span = 0;
  let before = 0;
  for (let s = 0; s < strides; s++) {
    const position = s * STRIDE_ROWS;
    while (position >= before + spans[span][1]) {
      before += spans[span][1];
      span++;
    }
    const subject = spans[span][2];
    strideSubjects[s] = subject;
    strideCycles[s] = perSubject[subject]++;
  }
  return { task, rows, strides, spans, subjects, strideSubjects, strideCycles };
}

/** What to read of one task: variables at sample indices (0..149) of its strides (or some of them). */
export interface ISampleRequest {
  strides: ITaskStrides;
  variables: string[];
  indices: number[];
  /** Read only these strides (ascending); the output's stride axis is then this list. */
  only?: Int32Array;
}

/**
 * The samples of each request, `[variable][index slot][stride]` as float64.
 *
 * @throws LocolensError from the workers (a damaged row group: `corrupt-parquet`), or
 *   `cancelled` when `signal` aborts.
 */
export async function readStrideSamples(
  pool: DecodePool,
  spec: SourceSpec,
  summary: IDatasetSummary,
  requests: ISampleRequest[],
  signal?: AbortSignal
): Promise<Float64Array[]> {
  // Only the version of the file summarized (an overwrite since is file-changed).
  spec = pinnedSpec(spec, summary.file.version);
  const groupStarts: number[] = [];
  let total = 0;
  for (const rows of summary.file.rowGroupRows) {
    groupStarts.push(total);
    total += rows;
  }
  // Per row group: the local rows asked for and where each answer goes (request, slot).
  const perGroup = new Map<number, { rows: number[]; request: number[]; slot: number[] }>();
  const strideCount = (request: ISampleRequest): number => request.only?.length ?? request.strides.strides;
  const outputs = requests.map(request =>
    new Float64Array(request.variables.length * request.indices.length * strideCount(request)).fill(NaN)
  );
  const columnSet = new Set<string>();
  requests.forEach((request, r) => {
    const { strides, variables, indices, only } = request;
    variables.forEach(variable => columnSet.add(variable));
    const K = indices.length;
    const S = strideCount(request);
    let span = 0;
    let before = 0;
    let group = 0;
    for (let i = 0; i < S; i++) {
      const s = only ? only[i] : i;
      for (let k = 0; k < K; k++) {
        const position = s * STRIDE_ROWS + indices[k];
        while (position >= before + strides.spans[span][1]) {
          before += strides.spans[span][1];
          span++;
        }
        while (position < before) {
          span--;
          before -= strides.spans[span][1];
        }
        const row = strides.spans[span][0] + (position - before);
        while (group + 1 < groupStarts.length && row >= groupStarts[group + 1]) {
          group++;
        }
        while (group > 0 && row < groupStarts[group]) {
          group--;
        }
        let entry = perGroup.get(group);
        if (!entry) {
          entry = { rows: [], request: [], slot: [] };
          perGroup.set(group, entry);
        }
        entry.rows.push(row - groupStarts[group]);
        entry.request.push(r);
        entry.slot.push(k * S + i);
      }
    }
  });
  const columns = [...columnSet];
  const columnOf = new Map(columns.map((name, i) => [name, i]));
  const known = new Set(summary.columns.map(column => column.name));
  const missing = columns.filter(name => !known.has(name));
  if (missing.length) {
    throw new LocolensError('missing-columns', `${summary.file.name}: no column ${missing.map(name => JSON.stringify(name)).join(', ')}`);
  }
  await Promise.all(
    [...perGroup].map(async ([rowGroup, { rows, request, slot }]) => {
      throwIfCancelled(signal);
      const { value } = await pool.run(api => api.pickRows(spec, rowGroup, columns, Int32Array.from(rows)));
      throwIfCancelled(signal);
      for (let i = 0; i < rows.length; i++) {
        const r = request[i];
        const { variables, indices } = requests[r];
        const size = indices.length * strideCount(requests[r]);
        for (let v = 0; v < variables.length; v++) {
          outputs[r][v * size + slot[i]] = value[columnOf.get(variables[v])!][i];
        }
      }
    })
  );
  return outputs;
}
