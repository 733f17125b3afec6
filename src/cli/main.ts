/**
 * The locolens command line:
 *   locolens inspect FILE [--json] [--scan-values] [--workers N]
 *   locolens analyze FILE [--subject S] [--task T] [--features a,b] [--backend B] [--ddof 0|1]
 *                         [--nan propagate|ignore] [--threshold K] [--workers N] [--json]
 *                         [--memory-budget MB] [--cache-dir DIR] [--progress] [--profile F.json]
 *
 * Errors go to stderr as one line and exit non-zero; never a stack trace.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { analyzeDataset } from '../core/analysis/analyze-dataset';
import { analysisToJSON, type IAnalysisProgress, type IAnalysisResult, type IAnalysisStore } from '../core/analysis/result';
import { RESULT_TABLES, arrowIPC, resultMeta, resultTables } from '../core/analysis/result-tables';
import { formatBytes } from '../core/format';
import { analysisDigest } from '../core/analysis/analysis-digest';
import type { DecodePool } from '../core/worker/decode-service';
import { TensorStore } from '../core/store/tensor-store';
import { LOCOLENS_VERSION } from '../core/version';
import { inspectDataset } from '../core/dataset/inspect-dataset';
import { LocolensError, describeError, errorCode } from '../core/errors';
import { createNodePool } from '../core/pool/node-pool';
import { useNodeGpu } from '../core/kernels/webgpu/node-gpu';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

import { PerformanceMonitor, nodeSampler } from '../core/monitor/performance-monitor';
import { formatAnalysis, formatProfile, formatReport, formatSummary } from './format-summary';
import { isolatedFileReport } from '../core/analysis/file-report';
import { COMPARE_HELP, COMPARE_USAGE, runCompare } from './compare';
import { VALIDATE_HELP, VALIDATE_USAGE, runValidate } from './validate';

const USAGE = `usage: locolens inspect FILE [--json] [--scan-values] [--workers N]
       locolens analyze FILE [--subject S] [--task T] [--by task|subject-task] [--features a,b] [--backend reference|wasm|workers|webgpu|auto]
                             [--ddof 0|1] [--nan propagate|ignore] [--threshold K] [--workers N] [--profile F.json] [--json]
                             [--memory-budget MB] [--cache-dir DIR] [--progress] [--digest] [--no-phase-correlations] [--tables DIR] [--force] [--report]

  inspect   summary of a LocoHub phase-indexed parquet file: rows, row groups, columns,
            subjects, tasks, task_id values, cycles per subject x task, conformance findings
  analyze   per-cycle features, mean/SD patterns, ROM, summary statistics, outlier cycles,
            validation and correlations, per subject x task (with --subject) or per task
  --json         print the result as JSON
  --scan-values  inspect: also decode every variable column to count NaN values
  --subject S    analyze: only subject S (repeat or comma-separate for several)
  --task T       analyze: only task T
  --by G         analyze: groups: subject-task (one per subject x task) or task (all its subjects);
                 default subject-task with --subject, else task
  --features a,b analyze: only these variables (default: every standard variable)
  --backend B    analyze: kernel backend (default auto: a hardware GPU through WebGPU, else wasm)
  --ddof 0|1     analyze: SD degrees of freedom: 0 = LocoHub Python (default), 1 = MATLAB/R
  --nan P        analyze: propagate (LocoHub Python, default) or ignore (LocoHub R) NaN
  --threshold K  analyze: outlier cut = mean + K * SD of per-cycle RMSE (default 2)
  --profile F    analyze: record per-stage time, memory (RSS, heap) and CPU time, sampled, to F (JSON)
  --memory-budget MB  analyze: cycle data held at once (default 512); a larger group spills to disk
  --cache-dir DIR     analyze: keep decoded tensors in DIR and reuse them (default: $LOCOLENS_CACHE_DIR, else none)
  --progress     analyze: report row groups, bytes and cycles on stderr as they go
  --digest       analyze: print a JSON digest (counts, sums, timings, memory) instead of the results
  --no-phase-correlations  analyze: skip the 150 x F x F correlations at each phase
  --report       analyze: the whole-file report: one row per subject x task (cycles, valid fraction,
                 missing samples, outliers, overall ROM of --features or the sagittal ipsi angles);
                 a block that cannot be analysed is a failed row with its reason (--json: as JSON)
  --force        analyze: analyse a file that is not phase-indexed (no phase column), which LocoHub
                 refuses (and so does locolens without it); the result carries a warning
  --tables DIR   analyze: write the group's tables to DIR as Arrow IPC streams (features, patterns,
                 correlations, summary .arrow) and meta.json, as locolens.analyze() reads them;
                 the selection must make one group (give --task, and --subject for one subject)
  --workers N    decode workers (default: the available cores)
${COMPARE_USAGE}
${VALIDATE_USAGE}
${COMPARE_HELP}
${VALIDATE_HELP}`;

const EXIT = { ok: 0, failed: 1, usage: 2 };

interface IArgs {
  command: 'inspect' | 'analyze';
  file: string;
  json: boolean;
  scanValues: boolean;
  workers?: number;
  subjects: string[];
  task?: string;
  features?: string[];
  backend: 'reference' | 'wasm' | 'workers' | 'webgpu' | 'auto';
  ddof: 0 | 1;
  nan: 'propagate' | 'ignore';
  threshold: number;
  profile?: string;
  memoryBudget?: number;
  cacheDir?: string;
  groupBy?: 'task' | 'subject-task';
  digest: boolean;
  phaseCorrelations: boolean;
  progress: boolean;
  tables?: string;
  force: boolean;
  report: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): IArgs {
  const positional: string[] = [];
  const args: Omit<IArgs, 'command' | 'file'> = {
    json: false,
    scanValues: false,
    subjects: [],
    backend: 'auto',
    ddof: 0,
    nan: 'propagate',
    threshold: 2,
    progress: false,
    digest: false,
    phaseCorrelations: true,
    force: false,
    report: false,
    cacheDir: process.env.LOCOLENS_CACHE_DIR || undefined
  };
  const value = (i: number, name: string) => {
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      throw new UsageError(`${name} needs a value`);
    }
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--json':
        args.json = true;
        break;
      case '--scan-values':
        args.scanValues = true;
        break;
      case '--workers': {
        const n = Number(value(i++, arg));
        if (!Number.isInteger(n) || n < 1) {
          throw new UsageError('--workers takes a whole number of at least 1');
        }
        args.workers = n;
        break;
      }
      case '--subject':
        args.subjects.push(...value(i++, arg).split(',').filter(Boolean));
        break;
      case '--task':
        args.task = value(i++, arg);
        break;
      case '--by': {
        const by = value(i++, arg);
        if (by !== 'task' && by !== 'subject-task') {
          throw new UsageError('--by is task or subject-task');
        }
        args.groupBy = by;
        break;
      }
      case '--features':
        args.features = value(i++, arg).split(',').filter(Boolean);
        break;
      case '--backend': {
        const backend = value(i++, arg);
        if (!['reference', 'wasm', 'workers', 'webgpu', 'auto'].includes(backend)) {
          throw new UsageError(`--backend is one of reference, wasm, workers, webgpu, auto (not ${backend})`);
        }
        args.backend = backend as IArgs['backend'];
        break;
      }
      case '--ddof': {
        const ddof = value(i++, arg);
        if (ddof !== '0' && ddof !== '1') {
          throw new UsageError('--ddof is 0 or 1');
        }
        args.ddof = Number(ddof) as 0 | 1;
        break;
      }
      case '--nan': {
        const nan = value(i++, arg);
        if (nan !== 'propagate' && nan !== 'ignore') {
          throw new UsageError('--nan is propagate or ignore');
        }
        args.nan = nan;
        break;
      }
      case '--profile':
        args.profile = value(i++, arg);
        break;
      case '--memory-budget': {
        const mb = Number(value(i++, arg));
        if (!Number.isFinite(mb) || mb <= 0) {
          throw new UsageError('--memory-budget takes a number of megabytes (more than 0)');
        }
        args.memoryBudget = mb * 1024 * 1024;
        break;
      }
      case '--cache-dir':
        args.cacheDir = value(i++, arg);
        break;
      case '--progress':
        args.progress = true;
        break;
      case '--force':
        args.force = true;
        break;
      case '--report':
        args.report = true;
        break;
      case '--tables':
        args.tables = value(i++, arg);
        break;
      case '--digest':
        args.digest = true;
        break;
      case '--no-phase-correlations':
        args.phaseCorrelations = false;
        break;
      case '--threshold': {
        const k = Number(value(i++, arg));
        if (!Number.isFinite(k) || k < 0) {
          throw new UsageError('--threshold takes a number of at least 0');
        }
        args.threshold = k;
        break;
      }
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        if (arg.startsWith('-')) {
          throw new UsageError(`unknown option ${arg}`);
        }
        positional.push(arg);
    }
  }
  const command = positional[0];
  if (command !== 'inspect' && command !== 'analyze') {
    throw new UsageError(command ? `unknown command ${command}` : 'no command given');
  }
  if (positional.length !== 2) {
    throw new UsageError(`${command} takes exactly one FILE`);
  }
  return { ...args, command, file: positional[1] };
}

useNodeGpu();

/** The tensor store in a cache folder, and the file's identity (path, size, mtime, footer). */
async function nodeTensorStore(pool: DecodePool, folder: string, file: string, footerHash: string): Promise<IAnalysisStore> {
  const info = await stat(file);
  const identity = JSON.stringify([resolve(file), info.size, info.mtimeMs, footerHash]);
  return { store: new TensorStore(pool, resolve(folder), LOCOLENS_VERSION), identity };
}

/** A progress line on stderr, rewritten at most 10 times a second. */
function progressLine(): (progress: IAnalysisProgress) => void {
  let last = 0;
  return progress => {
    const at = Date.now();
    if (at - last < 100 && progress.cyclesDone < progress.cycles) {
      return;
    }
    last = at;
    const rowGroups = progress.rowGroups ? ` · row groups ${progress.rowGroupsDone}/${progress.rowGroups}` : '';
    process.stderr.write(
      `\r${progress.stage}${rowGroups} · ${formatBytes(progress.bytesRead)} read · cycles ${progress.cyclesDone}/${progress.cycles}   `
    );
  };
}

/** The one group's tables as Arrow IPC streams and its meta record as JSON, in `folder`. */
function writeTables(result: IAnalysisResult, folder: string, file: string): void {
  if (result.groups.length !== 1) {
    throw new LocolensError(
      'bad-argument',
      `--tables writes one group, and this selection makes ${result.groups.length}: give --task (and --subject for one subject)`
    );
  }
  const group = result.groups[0];
  mkdirSync(folder, { recursive: true });
  const tables = resultTables(group);
  for (const name of RESULT_TABLES) {
    writeFileSync(join(folder, `${name}.arrow`), arrowIPC(tables[name]));
  }
  writeFileSync(join(folder, 'meta.json'), `${JSON.stringify(resultMeta(result, group, file))}\n`);
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'compare') {
    return runCompare(argv.slice(1));
  }
  if (argv[0] === 'validate') {
    return runValidate(argv.slice(1));
  }
  let args: IArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) {
        process.stderr.write(`locolens: ${error.message}\n`);
      }
      process.stderr.write(`${USAGE}\n`);
      return error.message ? EXIT.usage : EXIT.ok;
    }
    throw error;
  }
  const pool = createNodePool(args.workers);
  const spec = { kind: 'file' as const, path: args.file };
  // Where a group larger than half the memory budget spills without --cache-dir (made on the
  // first write, removed at the end).
  const scratchFolder = join(tmpdir(), `locolens-scratch-${process.pid}-${Date.now().toString(36)}`);
  try {
    if (args.command === 'inspect') {
      const summary = await inspectDataset(pool, spec, { scanValues: args.scanValues });
      process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    } else {
      const monitor = args.profile ? new PerformanceMonitor(nodeSampler, 'node', 20) : null;
      monitor?.start();
      const summary = await inspectDataset(pool, spec);
      const store = args.cacheDir ? await nodeTensorStore(pool, args.cacheDir, args.file, summary.footerHash ?? '') : undefined;
      const analyzeOptions = {
        backend: args.backend,
        ddof: args.ddof,
        nan: args.nan,
        outlierThreshold: args.threshold,
        phaseCorrelations: args.phaseCorrelations,
        force: args.force,
        summary,
        // The whole-tensor statistics run on the workers while this thread runs the kernels.
        offload: true,
        memoryBudget: args.memoryBudget,
        store,
        scratch: store
          ? undefined
          : { store: new TensorStore(pool, scratchFolder, LOCOLENS_VERSION, Infinity), identity: resolve(args.file) },
        onProgress: args.progress ? progressLine() : undefined
      };
      if (args.report) {
        // A row per subject x task, over every variable (ROM of the chosen ones); a block that
        // cannot be read is a failed row, the others complete.
        const subjects = args.subjects.length ? args.subjects : undefined;
        const blocks = summary.blocks.filter(
          block => (!args.task || block.task === args.task) && (!subjects || subjects.includes(block.subject))
        );
        const report = await isolatedFileReport(
          selection =>
            analyzeDataset(
              pool,
              spec,
              { ...selection, task: selection.task ?? args.task, subjects: selection.subjects ?? subjects },
              analyzeOptions
            ),
          blocks,
          args.features
        );
        if (args.progress) {
          process.stderr.write('\n');
        }
        process.stdout.write(`${args.json ? JSON.stringify(report) : formatReport(report)}\n`);
        // (--profile records single analyses; a report is many.)
        monitor?.stop(`report ${args.file}`, { backend: report.backend, cycles: 0, bytesRead: 0 });
        return EXIT.ok;
      }
      const result = await analyzeDataset(
        pool,
        spec,
        { task: args.task, subjects: args.subjects, features: args.features, groupBy: args.groupBy },
        analyzeOptions
      );
      if (args.progress) {
        process.stderr.write('\n');
      }
      if (args.tables) {
        writeTables(result, args.tables, args.file);
      }
      const output = args.tables
        ? JSON.stringify(resultMeta(result, result.groups[0], args.file))
        : args.digest
          ? JSON.stringify(analysisDigest(result))
          : args.json
            ? JSON.stringify(analysisToJSON(result))
            : formatAnalysis(result);
      process.stdout.write(`${output}\n`);
      if (monitor && args.profile) {
        monitor.stage('summary', result.timings.summaryMs);
        monitor.stage('decode', result.timings.decodeMs);
        monitor.stage('kernels', result.timings.kernelMs);
        const profile = monitor.stop(`analyze ${args.file}`, {
          backend: result.backend,
          adapter: result.adapter,
          cycles: result.groups.reduce((sum, group) => sum + group.cycles, 0),
          bytesRead: result.io.bytesRead
        });
        writeFileSync(args.profile, `${JSON.stringify(profile, null, 2)}\n`);
        process.stderr.write(`${formatProfile(profile)}\nprofile written to ${args.profile}\n`);
      }
    }
    return EXIT.ok;
  } catch (error) {
    const code = errorCode(error);
    const message = describeError(error);
    process.stderr.write(`locolens: ${message.startsWith(args.file) ? message : `${args.file}: ${message}`}${code ? ` [${code}]` : ''}\n`);
    return EXIT.failed;
  } finally {
    pool.dispose();
    rmSync(scratchFolder, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  error => {
    process.stderr.write(`locolens: ${describeError(error)}\n`);
    process.exitCode = EXIT.failed;
  }
);
