/**
 * One memory budget for all analyses on a pool: a large analysis and ten small ones started at
 * once on one pool never reserve more than the budget and the small ones' allowance (a quarter)
 * together, the small ones are not queued behind the large one (they end first), every result
 * equals the same analysis run alone, and a cancelled wait frees its place.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { analyzeDataset } from '../analyze-dataset';
import { analysisToJSON } from '../result';
import { MemoryLedger, memoryLedgerOf } from '../memory-ledger';
import { errorCode } from '../../errors';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { fixture } from '../../../../test/fixtures';

const python = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');
let folder: string;
let large: string;
let pool: DecodePool;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'locolens-budget-'));
  large = join(folder, 'large.parquet');
  execFileSync(
    python,
    [
      'scripts/generate_dataset.py',
      '--out',
      large,
      '--subjects',
      '2',
      '--cycles',
      '1500',
      '--tasks',
      'run',
      '--dtype',
      'float32',
      '--compression',
      'zstd'
    ],
    { stdio: 'ignore' }
  );
  pool = createNodePool(2);
}, 120000);

afterAll(() => {
  pool.dispose();
  rmSync(folder, { recursive: true, force: true });
});

describe('the ledger', () => {
  it('admits what fits, lets a small request pass one that waits for room, runs an oversized one alone, frees a cancelled wait', async () => {
    const ledger = new MemoryLedger(160);
    const first = await ledger.reserve(120);
    const order: string[] = [];
    const big = ledger.reserve(60).then(release => (order.push('big'), release));
    const small = ledger.reserve(30).then(release => (order.push('small'), release));
    const releaseSmall = await small;
    expect(order).toEqual(['small']);
    expect(ledger.stats).toMatchObject({ reserved: 150, running: 2, waiting: 1 });
    // Small (≤ 1/16) ones go on the allowance (a quarter) past the budget; a larger one waits.
    const allowed = await Promise.all([ledger.reserve(10), ledger.reserve(10)]);
    expect(ledger.stats).toMatchObject({ reserved: 170, running: 4, waiting: 1 });
    allowed.forEach(release => release());
    const controller = new AbortController();
    const cancelled = ledger.reserve(50, controller.signal);
    controller.abort();
    expect(errorCode(await cancelled.catch(e => e))).toBe('cancelled');
    first();
    releaseSmall();
    (await big)();
    // Larger than the whole budget: it reserves the budget and runs alone.
    const huge = await ledger.reserve(1e9);
    expect(ledger.stats).toMatchObject({ reserved: 160, running: 1, waiting: 0 });
    huge();
    expect(ledger.stats.peak).toBeLessThanOrEqual(160 * 1.25);
  });
});

describe('analyses on one pool', () => {
  it('a large analysis and ten small ones at once: within 1.25 budgets together, the small ones first, the numbers of each alone', async () => {
    const budget = 32 * 1024 * 1024;
    const largeSpec = { kind: 'file' as const, path: large };
    const smallSpec = { kind: 'file' as const, path: fixture('tiny_snappy.parquet') };
    const [largeSummary, smallSummary] = await Promise.all([inspectDataset(pool, largeSpec), inspectDataset(pool, smallSpec)]);
    const options = { backend: 'wasm' as const, memoryBudget: budget, nan: 'ignore' as const, phaseCorrelations: false };
    const alone = {
      large: analysisToJSON(await analyzeDataset(pool, largeSpec, {}, { ...options, summary: largeSummary })),
      small: analysisToJSON(await analyzeDataset(pool, smallSpec, { task: 'run' }, { ...options, summary: smallSummary }))
    };
    const ledger = memoryLedgerOf(pool, budget);
    const peakBefore = ledger.stats.peak;
    const ended: string[] = [];
    const largeRun = analyzeDataset(pool, largeSpec, {}, { ...options, summary: largeSummary }).then(
      result => (ended.push('large'), result)
    );
    const smallRuns = Array.from({ length: 10 }, (_, i) =>
      analyzeDataset(pool, smallSpec, { task: 'run' }, { ...options, summary: smallSummary }).then(
        result => (ended.push(`small ${i}`), result)
      )
    );
    const [largeResult, ...smallResults] = await Promise.all([largeRun, ...smallRuns]);
    expect(ended[ended.length - 1]).toBe('large');
    expect(ledger.stats.peak).toBeLessThanOrEqual(budget * 1.25);
    expect(Math.max(ledger.stats.peak, peakBefore)).toBeGreaterThan(0);
    const strip = (json: unknown) =>
      JSON.parse(JSON.stringify(json, (key, value) => (key === 'timings' || key === 'io' ? undefined : value)));
    expect(strip(analysisToJSON(largeResult)).groups).toEqual(strip(alone.large).groups);
    for (const result of smallResults) {
      expect(strip(analysisToJSON(result)).groups).toEqual(strip(alone.small).groups);
    }
    expect(largeResult.memory.mode).toBe('streamed');
    expect(ledger.stats).toMatchObject({ reserved: 0, running: 0, waiting: 0 });
  }, 180000);
});
