/**
 * `locolens compare A.parquet B.parquet [...] --task T [--features a,b] [--json]`: a task across
 * datasets, each analysed on the shared worker pool (all at once), compared from the results.
 */
import { analyzeDataset, type IAnalyzeOptions } from '../core/analysis/analyze-dataset';
import { analyzeComparison, comparisonToJSON, type IDatasetComparison } from '../core/analysis/dataset-comparison';
import { inspectDataset } from '../core/dataset/inspect-dataset';
import { describeError, errorCode } from '../core/errors';
import { createNodePool } from '../core/pool/node-pool';
import { TensorStore } from '../core/store/tensor-store';
import { LOCOLENS_VERSION } from '../core/version';
import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { table } from './format-summary';

export const COMPARE_USAGE = `       locolens compare A.parquet B.parquet [...] --task T [--features a,b] [--ddof 0|1] [--nan propagate|ignore]
                             [--backend reference|wasm|workers|webgpu|auto] [--memory-budget MB] [--cache-dir DIR] [--workers N] [--json]`;

export const COMPARE_HELP = `  compare   a task across datasets: each dataset's mean +- SD pattern over all its cycles, the
            differences of each dataset's mean patterns from the first's (mean difference, RMSE,
            Pearson r over the 150 phase samples), subjects and cycles, variable coverage`;

interface ICompareArgs {
  files: string[];
  task: string;
  features?: string[];
  json: boolean;
  ddof: 0 | 1;
  nan: 'propagate' | 'ignore';
  backend: NonNullable<IAnalyzeOptions['backend']>;
  workers?: number;
  memoryBudget?: number;
  cacheDir?: string;
}

/** A wrong compare command line (exit 2 with the usage). */
export class CompareUsageError extends Error {}

/** Parse the arguments after `compare`. */
export function parseCompareArgs(argv: string[]): ICompareArgs {
  const files: string[] = [];
  const args: Omit<ICompareArgs, 'files' | 'task'> & { task?: string } = {
    json: false,
    ddof: 0,
    nan: 'propagate',
    backend: 'auto',
    cacheDir: process.env.LOCOLENS_CACHE_DIR || undefined
  };
  const value = (i: number, name: string) => {
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      throw new CompareUsageError(`${name} needs a value`);
    }
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--task':
        args.task = value(i++, arg);
        break;
      case '--features':
        args.features = value(i++, arg).split(',').filter(Boolean);
        break;
      case '--json':
        args.json = true;
        break;
      case '--ddof': {
        const ddof = value(i++, arg);
        if (ddof !== '0' && ddof !== '1') {
          throw new CompareUsageError('--ddof is 0 or 1');
        }
        args.ddof = Number(ddof) as 0 | 1;
        break;
      }
      case '--nan': {
        const nan = value(i++, arg);
        if (nan !== 'propagate' && nan !== 'ignore') {
          throw new CompareUsageError('--nan is propagate or ignore');
        }
        args.nan = nan;
        break;
      }
      case '--backend': {
        const backend = value(i++, arg);
        if (!['reference', 'wasm', 'workers', 'webgpu', 'auto'].includes(backend)) {
          throw new CompareUsageError(`--backend is one of reference, wasm, workers, webgpu, auto (not ${backend})`);
        }
        args.backend = backend as ICompareArgs['backend'];
        break;
      }
      case '--memory-budget': {
        const mb = Number(value(i++, arg));
        if (!Number.isFinite(mb) || mb <= 0) {
          throw new CompareUsageError('--memory-budget takes a number of megabytes (more than 0)');
        }
        args.memoryBudget = mb * 1024 * 1024;
        break;
      }
      case '--cache-dir':
        args.cacheDir = value(i++, arg);
        break;
      case '--workers': {
        const n = Number(value(i++, arg));
        if (!Number.isInteger(n) || n < 1) {
          throw new CompareUsageError('--workers takes a whole number of at least 1');
        }
        args.workers = n;
        break;
      }
      default:
        if (arg.startsWith('-')) {
          throw new CompareUsageError(`unknown option ${arg}`);
        }
        files.push(arg);
    }
  }
  if (files.length < 2) {
    throw new CompareUsageError('compare takes at least two FILEs');
  }
  if (!args.task) {
    throw new CompareUsageError('compare needs --task T');
  }
  return { ...args, files, task: args.task };
}

/** A number in a table cell: 4 significant digits, NaN as "NaN". */
function cell(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4) : 'NaN';
}

/** The comparison as readable text: counts, differences per feature and dataset pair, coverage. */
export function formatComparison(comparison: IDatasetComparison): string {
  const out: string[] = [];
  const [reference, ...others] = comparison.datasets;
  out.push(
    `Task ${comparison.task}: ${comparison.datasets.length} datasets · reference ${reference.name} · SD ddof ${comparison.options.ddof} · NaN ${comparison.options.nan}`
  );
  out.push('');
  out.push('Datasets (pattern = mean ± SD over every cycle of the task, subjects pooled)');
  out.push(
    table(
      ['dataset', 'subjects', 'cycles', 'blocks left out'],
      comparison.datasets.map(pattern => [
        pattern.name,
        pattern.subjects.length,
        pattern.cycles,
        pattern.skipped.length ? pattern.skipped.map(block => `${block.subject} (${block.reason})`).join('; ') : '-'
      ])
    )
  );
  out.push('');
  out.push(`Differences from the reference (dataset − ${reference.name}, over the 150 phase samples of the mean patterns)`);
  out.push(
    comparison.differences.length
      ? table(
          ['feature', 'dataset', 'mean diff', 'RMSE', 'r'],
          comparison.differences.flatMap(difference =>
            others.map((pattern, k) => [
              difference.feature,
              pattern.name,
              cell(difference.meanDifference[k]),
              cell(difference.rmse[k]),
              cell(difference.correlation[k])
            ])
          )
        )
      : '(no feature is analysed in every dataset)'
  );
  out.push('');
  out.push('Coverage (variables not in every dataset)');
  out.push(
    comparison.coverage.length
      ? table(
          ['variable', ...comparison.datasets.map(pattern => pattern.name), 'likely standard name'],
          comparison.coverage.map(row => [
            row.variable,
            ...row.present.map(present => (present ? 'yes' : 'missing')),
            row.suggestion
              ? `${row.suggestion.name}${row.suggestion.needsConversion ? ' (values need converting)' : ''}${
                  row.suggestion.presentIn.some(Boolean)
                    ? ` — in ${comparison.datasets
                        .filter((_, d) => row.suggestion!.presentIn[d])
                        .map(pattern => pattern.name)
                        .join(', ')}`
                    : ''
                }`
              : '-'
          ])
        )
      : 'every dataset has the same variables'
  );
  return out.join('\n');
}

/**
 * Run `locolens compare`: 0 on success, 1 on a failure (one line on stderr with its code), 2 on a
 * wrong command line.
 */
export async function runCompare(argv: string[]): Promise<number> {
  let args: ICompareArgs;
  try {
    args = parseCompareArgs(argv);
  } catch (error) {
    if (error instanceof CompareUsageError) {
      process.stderr.write(`locolens: ${error.message}\nusage: ${COMPARE_USAGE.trim()}\n${COMPARE_HELP}\n`);
      return 2;
    }
    throw error;
  }
  const pool = createNodePool(args.workers);
  // Where a group larger than half the memory budget spills (made on the first write, removed
  // at the end), as 'locolens analyze' does.
  const scratchFolder = join(tmpdir(), `locolens-scratch-${process.pid}-${Date.now().toString(36)}`);
  const options: IAnalyzeOptions = {
    backend: args.backend,
    ddof: args.ddof,
    nan: args.nan,
    phaseCorrelations: false,
    offload: true,
    memoryBudget: args.memoryBudget
  };
  const summaries = new Map<string, ReturnType<typeof inspectDataset>>();
  const inspect = (path: string) => {
    if (!summaries.has(path)) {
      summaries.set(path, inspectDataset(pool, { kind: 'file', path }));
    }
    return summaries.get(path)!;
  };
  try {
    const comparison = await analyzeComparison(
      args.files,
      args.task,
      {
        inspect,
        analyze: async (path, selection) => {
          const summary = await inspect(path);
          // With --cache-dir (or $LOCOLENS_CACHE_DIR) the decoded tensors are kept and reused, as
          // 'locolens analyze' keeps them: named by the file's path, size, mtime and footer.
          const info = args.cacheDir ? await stat(path) : null;
          const store = info
            ? {
                store: new TensorStore(pool, resolve(args.cacheDir!), LOCOLENS_VERSION),
                identity: JSON.stringify([resolve(path), info.size, info.mtimeMs, summary.footerHash ?? ''])
              }
            : undefined;
          return analyzeDataset(pool, { kind: 'file', path }, selection, {
            ...options,
            summary,
            store,
            scratch: store
              ? undefined
              : { store: new TensorStore(pool, scratchFolder, LOCOLENS_VERSION, Infinity), identity: resolve(path) }
          });
        }
      },
      args.features
    );
    process.stdout.write(`${args.json ? JSON.stringify(comparisonToJSON(comparison)) : formatComparison(comparison)}\n`);
    return 0;
  } catch (error) {
    const code = errorCode(error);
    process.stderr.write(`locolens: compare: ${describeError(error)}${code ? ` [${code}]` : ''}\n`);
    return 1;
  } finally {
    pool.dispose();
    rmSync(scratchFolder, { recursive: true, force: true });
  }
}
