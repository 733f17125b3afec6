/**
 * The analysis digest (what the benchmark compares across tools) and the run gauges (the
 * notebook strip), on a real analysis of a pyarrow-written fixture.
 */
import { analysisDigest, runGauges } from '../analysis-digest';
import { analyzeDataset } from '../analyze-dataset';
import { type IAnalysisResult } from '../result';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { fixture } from '../../../../test/fixtures';

let pool: DecodePool;
let result: IAnalysisResult;

beforeAll(async () => {
  pool = createNodePool(2);
  result = await analyzeDataset(pool, { kind: 'file', path: fixture('many_cycles.parquet') }, {}, { backend: 'wasm' });
});

afterAll(() => pool.dispose());

describe('analysisDigest', () => {
  it('counts groups, cycles and outliers, and sums the finite patterns, per-cycle means and correlations', () => {
    const digest = analysisDigest(result);
    const group = result.groups[0];
    expect(digest).toMatchObject({
      groups: result.groups.length,
      cycles: group.cycles,
      outliers: group.outliers.cycles.length,
      backend: 'wasm',
      cached: false
    });
    const sum = (values: Float64Array) =>
      Array.from(values)
        .filter(Number.isFinite)
        .reduce((a, b) => a + b, 0);
    expect(digest.patternSum).toBeCloseTo(sum(group.patterns.mean), 9);
    expect(digest.perCycleMeanSum).toBeCloseTo(sum(group.perCycle.mean), 9);
    expect(digest.correlationSum).toBeCloseTo(sum(group.correlations.features), 9);
    expect(digest.memory.mode).toBe('in-memory');
  });
});

describe('runGauges', () => {
  it('gives throughput from the bytes read and the decode time, and the cycles per second', () => {
    const gauges = runGauges(result);
    expect(gauges.mbPerSecond).toBeCloseTo(result.io.bytesRead / 1e6 / (result.timings.decodeMs / 1000), 6);
    expect(gauges.cyclesPerSecond).toBeCloseTo(result.groups[0].cycles / (result.timings.totalMs / 1000), 6);
    expect(gauges.text).toMatch(/^backend wasm · \d+ ms · read [\d.]+ (?:B|kB|MB|GB) · \d+ MB\/s decoded · [\d,]+ cycles\/s$/);
  });

  it('says when the result came from the cache, and when it was streamed', () => {
    const text = runGauges({ ...result, cached: true, memory: { ...result.memory, mode: 'streamed', budgetBytes: 64 * 2 ** 20 } }).text;
    expect(text).toMatch(/^backend wasm · \d+ ms · from the browser cache · streamed under 64 MB$/);
  });
});
