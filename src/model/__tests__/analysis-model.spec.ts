/**
 * The headless view model on the real engine (Node worker pool, pyarrow-written fixtures): a run,
 * the threshold re-derived without a rerun (equal to a fresh run at that threshold), a rerun on a
 * changed ddof, a newer run superseding an older one, a disposed model aborting its run, and the
 * selection. Also the result tables and their Arrow IPC form.
 */
import { tableFromIPC } from 'apache-arrow';

import { analyzeDataset } from '../../core/analysis/analyze-dataset';
import { RESULT_TABLES, arrowIPC, resultTables } from '../../core/analysis/result-tables';
import type { IAnalysisResult } from '../../core/analysis/result';
import { createNodePool } from '../../core/pool/node-pool';
import type { DecodePool } from '../../core/worker/decode-service';
import { fixture } from '../../../test/fixtures';
import { AnalysisModel, type IAnalysisRunner } from '../analysis-model';

let pool: DecodePool;
const calls: Array<{ signal?: AbortSignal }> = [];

beforeAll(() => {
  pool = createNodePool(2);
});
afterAll(() => pool.dispose());

const runner: IAnalysisRunner = {
  analyze: (path, selection, options) => {
    calls.push({ signal: options.signal });
    return analyzeDataset(pool, { kind: 'file', path }, selection, { ...options, backend: 'wasm', signal: options.signal });
  }
};

const request = { path: fixture('multi_rowgroup.parquet'), task: 'level_walking' };

function settled(model: AnalysisModel): Promise<void> {
  return new Promise(resolve => {
    const check = () => {
      if (model.status !== 'running') {
        model.statusChanged.disconnect(check);
        resolve();
      }
    };
    model.statusChanged.connect(check);
  });
}

test('a run gives the group of the task; the threshold is re-derived at once and equals a fresh run at that threshold', async () => {
  // The fixture has missing samples: under NaN propagation every RMSE is NaN and there is no cut.
  const model = new AnalysisModel(runner, request, { nan: 'ignore' });
  const results: IAnalysisResult[] = [];
  model.resultChanged.connect((_, result) => results.push(result));
  await model.run();
  expect(model.status).toBe('done');
  expect(model.group!.task).toBe('level_walking');
  expect(model.group!.subjects.length).toBe(3);
  const before = calls.length;
  await model.setOptions({ outlierThreshold: 1 });
  expect(calls.length).toBe(before); // no rerun
  expect(results.length).toBe(2);
  const fresh = new AnalysisModel(runner, request, { nan: 'ignore', outlierThreshold: 1 });
  await fresh.run();
  expect(model.group!.outliers.cycles).toEqual(fresh.group!.outliers.cycles);
  expect(model.group!.outliers.cut).toBeCloseTo(fresh.group!.outliers.cut, 12);
  expect(model.group!.outliers.cycles.length).toBeGreaterThan(results[0].groups[0].outliers.cycles.length);
  expect(model.result!.options.outlierThreshold).toBe(1);
  model.dispose();
  fresh.dispose();
});

test('a changed ddof reruns; a newer run supersedes an older one; disposing aborts the run', async () => {
  const model = new AnalysisModel(runner, request);
  const results: IAnalysisResult[] = [];
  model.resultChanged.connect((_, result) => results.push(result));
  void model.run();
  const first = calls[calls.length - 1].signal!;
  const second = model.run();
  expect(first.aborted).toBe(true);
  await second;
  expect(results.length).toBe(1);
  const std0 = model.group!.perCycle.std[0];
  await model.setOptions({ ddof: 1 });
  expect(results.length).toBe(2);
  const n = 150;
  expect(model.group!.perCycle.std[0]).toBeCloseTo(std0 * Math.sqrt(n / (n - 1)), 9);

  void model.setRequest({ task: 'incline_walking' });
  const running = calls[calls.length - 1].signal!;
  expect(model.status).toBe('running');
  model.dispose();
  expect(running.aborted).toBe(true);
  await new Promise(resolve => setTimeout(resolve, 50));
  expect(results.length).toBe(2);
});

test('selection keeps valid cycle indices, sorted, once; a failing request reports one line', async () => {
  const model = new AnalysisModel(runner, request);
  await model.run();
  const selections: number[][] = [];
  model.selectionChanged.connect((_, cycles) => selections.push(cycles));
  model.select([5, 2, 2, -1, 1e9, 3.5]);
  expect(model.selection).toEqual([2, 5]);
  expect(() => model.setFeature('no_such_variable')).toThrow(/no feature/);
  model.setFeature('knee_flexion_angle_ipsi_rad');
  expect(model.group!.features[model.feature]).toBe('knee_flexion_angle_ipsi_rad');
  const failing = new AnalysisModel(runner, { ...request, task: 'no_such_task' });
  const done = settled(failing);
  void failing.run();
  await done;
  expect(failing.status).toBe('error');
  expect(failing.error!.message).toMatch(/no_such_task/);
  model.dispose();
  failing.dispose();
});

test('the result tables keep their types through Arrow IPC (int32 cycle, bool flags, plain strings)', async () => {
  const model = new AnalysisModel(runner, request);
  await model.run();
  const group = model.group!;
  const tables = resultTables(group);
  const read = Object.fromEntries(RESULT_TABLES.map(name => [name, tableFromIPC(arrowIPC(tables[name]))]));
  const features = read.features;
  expect(features.numRows).toBe(group.cycles);
  expect(String(features.schema.fields.find(f => f.name === 'cycle')!.type)).toBe('Int32');
  expect(String(features.schema.fields.find(f => f.name === 'outlier')!.type)).toBe('Bool');
  expect(String(features.schema.fields.find(f => f.name === 'subject')!.type)).toBe('Utf8');
  expect(features.getChild('outlier')!.toArray().filter(Boolean).length).toBe(group.outliers.cycles.length);
  expect(read.patterns.numRows).toBe(group.features.length * 150);
  expect(read.correlations.numCols).toBe(group.features.length + 1);
  expect(read.summary.getChild('mean')!.get(0)).toBe(group.summary.mean[0]);
  model.dispose();
});

test('after a failed run a threshold change runs again (never the previous result as if current); a feature named before the result is drawn', async () => {
  const model = new AnalysisModel(runner, request, { nan: 'ignore' });
  model.setFeature('hip_flexion_angle_ipsi_rad');
  await model.run();
  expect(model.group!.features[model.feature]).toBe('hip_flexion_angle_ipsi_rad');
  const results: IAnalysisResult[] = [];
  model.resultChanged.connect((_, result) => results.push(result));
  const failed = settled(model);
  void model.setRequest({ task: 'no_such_task' });
  await failed;
  expect(model.status).toBe('error');
  const before = calls.length;
  const again = settled(model);
  void model.setOptions({ outlierThreshold: 3 });
  expect(calls.length).toBe(before + 1);
  await again;
  expect(model.status).toBe('error');
  expect(results).toEqual([]);
  model.dispose();
});
