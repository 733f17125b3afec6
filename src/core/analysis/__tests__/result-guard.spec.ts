/**
 * The guard of a result read back from a cache (isAnalysisResult): a real result passes, as
 * stored (structured clone, no tensors); a damaged or hostile one fails on its counts and array
 * lengths, quickly, without allocating anything the size of what it claims.
 */
import { analyzeDataset } from '../analyze-dataset';
import { analysisResultProblem, isAnalysisResult, withoutTensors, type IAnalysisResult, type IGroupAnalysis } from '../result';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { fixture } from '../../../../test/fixtures';

let pool: DecodePool;
let result: IAnalysisResult;

beforeAll(async () => {
  pool = createNodePool(1);
  result = await analyzeDataset(pool, { kind: 'file', path: fixture('multi_rowgroup.parquet') }, {}, { backend: 'wasm' });
});

afterAll(() => pool.dispose());

/** The result with its first group changed by `edit` (a structured clone: the cached form). */
function damaged(edit: (group: IGroupAnalysis) => void): IAnalysisResult {
  const copy = structuredClone(withoutTensors(result));
  edit(copy.groups[0]);
  return copy;
}

/** Count the typed arrays constructed while `run` runs. */
function typedArraysMadeBy<T>(run: () => T): { value: T; made: number } {
  let made = 0;
  const originals = { Float64Array, Float32Array, Uint8Array, Int32Array };
  const g = globalThis as unknown as Record<string, unknown>;
  for (const [name, Original] of Object.entries(originals)) {
    g[name] = new Proxy(Original, {
      construct(target, args) {
        made++;
        return Reflect.construct(target, args);
      }
    });
  }
  try {
    return { value: run(), made };
  } finally {
    Object.assign(g, originals);
  }
}

describe('isAnalysisResult', () => {
  it('accepts a real result, with and without its tensors, and its structured clone', () => {
    expect(result.groups.length).toBeGreaterThan(0);
    expect(analysisResultProblem(result)).toBeNull();
    expect(isAnalysisResult(withoutTensors(result))).toBe(true);
    expect(isAnalysisResult(structuredClone(withoutTensors(result)))).toBe(true);
  });

  it('accepts a result streamed under a small memory budget', async () => {
    const streamed = await analyzeDataset(
      pool,
      { kind: 'file', path: fixture('many_cycles.parquet') },
      {},
      { backend: 'wasm', memoryBudget: 60_000 }
    );
    expect(streamed.memory.mode).toBe('streamed');
    expect(analysisResultProblem(structuredClone(withoutTensors(streamed)))).toBeNull();
  });

  it('refuses a claim of 10^9 cycles at once, allocating nothing', () => {
    const hostile = damaged(group => {
      group.cycles = 1e9;
    });
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const { value, made } = typedArraysMadeBy(() => analysisResultProblem(hostile));
    const elapsed = performance.now() - started;
    const heapAfter = process.memoryUsage().heapUsed;
    expect(value).toMatch(/^group 0: cycles 1000000000 is not a count of at most 10000000$/);
    expect(made).toBe(0);
    expect(elapsed).toBeLessThan(50);
    // 10^9 cycles of one feature would be 8 GB: the check keeps well under a megabyte.
    expect(heapAfter - heapBefore).toBeLessThan(1 << 20);
  });

  it('refuses counts that disagree with the arrays they count', () => {
    const F = result.groups[0].features.length;
    const C = result.groups[0].cycles;
    const cases: Array<[string, (group: IGroupAnalysis) => void, RegExp]> = [
      ['one cycle more than the arrays', g => void (g.cycles = C + 1), /perCycle\.\w+ is not a typed array of/],
      ['a per-cycle array cut short', g => void (g.perCycle.rom = g.perCycle.rom.subarray(1)), /perCycle\.rom is not a typed array/],
      ['a feature more than the arrays', g => void g.features.push('extra'), /is not a typed array of \d+ values \(\d+ features/],
      [
        'absurdly many features',
        g => void (g.features = Array.from({ length: 100_000 }, (_, i) => `f${i}`)),
        /features is not a list of at most 2048/
      ],
      ['a pattern of 149 phases', g => void (g.patterns.std = new Float64Array(F * 149)), /patterns\.std/],
      ['an outlier beyond the cycles', g => void g.outliers.cycles.push(C + 5), /outliers\.cycles is not a list of cycle numbers below/],
      ['cycle subjects of another length', g => void g.cycleSubjects.pop(), /cycleSubjects is not a list of \d+ entries/],
      ['a correlation matrix of other features', g => void (g.correlations.features = new Float64Array(4)), /correlations\.features/],
      ['validation flags cut short', g => void (g.validation.valid = new Uint8Array(0)), /validation\.valid/],
      ['a negative cycle count', g => void (g.cycles = -1), /cycles -1 is not a count/],
      ['a fractional cycle count', g => void (g.cycles = 1.5), /cycles 1\.5 is not a count/],
      ['a missing part', g => void delete (g as Partial<IGroupAnalysis>).summary, /a part is missing/]
    ];
    for (const [what, edit, problem] of cases) {
      const value = damaged(edit);
      expect([what, analysisResultProblem(value)]).toEqual([what, expect.stringMatching(problem)]);
      expect(isAnalysisResult(value)).toBe(false);
    }
    expect(analysisResultProblem({ ...result, groups: { length: 1e9 } })).toMatch(/groups is not a list/);
    expect(analysisResultProblem(null)).toMatch(/not an analysis result/);
    expect(analysisResultProblem({ schemaVersion: 2 })).toMatch(/not an analysis result/);
  });
});
