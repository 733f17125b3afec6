/**
 * `locolens validate FILE --ranges R.yaml [--json] [--exclude-columns a,b] [--clean [--out PATH]]`
 * and `--suggest METHOD [--write-ranges OUT.yaml]`: LocoHub's validation of a file against range
 * YAML, its clean file, and ranges suggested from the data.
 */
import { readFileSync, renameSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { basename, resolve } from 'node:path';

import { describeError, errorCode, LocolensError } from '../core/errors';
import { inspectDataset } from '../core/dataset/inspect-dataset';
import { createNodePool } from '../core/pool/node-pool';
import type { DecodePool } from '../core/worker/decode-service';
import type { IDatasetSummary } from '../core/dataset/dataset-summary';
import { formatValidationRanges, parseValidationRanges, type IValidationRanges } from '../core/validation/ranges';
import { DEFAULT_PHASES, SUGGEST_METHODS, isSuggestMethod, suggestTaskRanges, type SuggestMethod } from '../core/validation/suggest';
import {
  TASK_TABLE_COLUMNS,
  percentText,
  labelText,
  taskTableRows,
  validationToJSON,
  type IValidationResult
} from '../core/validation/validator';
import {
  cleanFilePath,
  cleanReportJSON,
  detectedFeatures,
  readTaskSamples,
  recheckTask,
  validateFile,
  writeCleanFile,
  type ICleanSink,
  type IFileValidation
} from '../core/validation/validate-file';
import { table } from './format-summary';

export const VALIDATE_USAGE = `       locolens validate FILE --ranges R.yaml [--exclude-columns a,b] [--json] [--clean [--out PATH]] [--workers N]
       locolens validate FILE --suggest METHOD [--ranges R.yaml] [--phases 0,15,25,50,65,75] [--write-ranges OUT.yaml]`;

export const VALIDATE_HELP = `  validate  LocoHub's dataset validation against a ranges YAML: each stride of each task the
            ranges name, at each phase (index round(p/100*149)), value within [min, max]; stride
            and variable pass rates, the 90 % quality gate, violations per task and variable
  --ranges R          validate: the ranges YAML (LocoHub layout 2.0)
  --exclude-columns   validate: variables left out of the checks (and of the clean file)
  --clean             validate: also write the clean file (failing strides removed) next to FILE,
                      <name>_clean.parquet (_dirty/_raw become _clean), and <name>_clean_report.json
  --out PATH          validate: the clean file's path instead
  --suggest M         validate: ranges from the data (${SUGGEST_METHODS.join(', ')}) for the
                      ranges' tasks, phases and variables, or every task at --phases with every feature
  --write-ranges F    validate: where the suggested ranges go (default: stdout)
  --time-edits N      validate: (benchmark) change a bound of the task with the most strides N times,
                      re-checking it as the tuner does, and print the per-edit times on stderr (JSON)`;

interface IValidateArgs {
  file: string;
  ranges?: string;
  exclude: string[];
  json: boolean;
  clean: boolean;
  out?: string;
  suggest?: SuggestMethod;
  phases: number[];
  writeRanges?: string;
  workers?: number;
  /** Benchmark: re-check the largest task this many times after changing a bound. */
  timeEdits?: number;
}

export class ValidateUsageError extends Error {}

export function parseValidateArgs(argv: string[]): IValidateArgs {
  const files: string[] = [];
  const args: Omit<IValidateArgs, 'file'> = { exclude: [], json: false, clean: false, phases: DEFAULT_PHASES };
  const value = (i: number, name: string): string => {
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      throw new ValidateUsageError(`${name} needs a value`);
    }
    return next;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--ranges':
        args.ranges = value(i++, arg);
        break;
      case '--exclude-columns':
        args.exclude = value(i++, arg)
          .split(',')
          .map(name => name.trim())
          .filter(Boolean);
        break;
      case '--json':
        args.json = true;
        break;
      case '--clean':
        args.clean = true;
        break;
      case '--out':
        args.out = value(i++, arg);
        break;
      case '--suggest': {
        const method = value(i++, arg);
        if (!isSuggestMethod(method)) {
          throw new ValidateUsageError(`--suggest is one of ${SUGGEST_METHODS.join(', ')} (not ${method})`);
        }
        args.suggest = method;
        break;
      }
      case '--phases': {
        const phases = value(i++, arg).split(',').map(Number);
        if (!phases.length || phases.some(p => !Number.isInteger(p) || p < 0 || p > 100)) {
          throw new ValidateUsageError('--phases takes whole percents 0..100, comma-separated');
        }
        args.phases = [...new Set(phases)].sort((a, b) => a - b);
        break;
      }
      case '--write-ranges':
        args.writeRanges = value(i++, arg);
        break;
      case '--workers': {
        const n = Number(value(i++, arg));
        if (!Number.isInteger(n) || n < 1) {
          throw new ValidateUsageError('--workers takes a whole number of at least 1');
        }
        args.workers = n;
        break;
      }
      case '--time-edits': {
        const n = Number(value(i++, arg));
        if (!Number.isInteger(n) || n < 1) {
          throw new ValidateUsageError('--time-edits takes a whole number of at least 1');
        }
        args.timeEdits = n;
        break;
      }
      default:
        if (arg.startsWith('-')) {
          throw new ValidateUsageError(`unknown option ${arg}`);
        }
        files.push(arg);
    }
  }
  if (files.length !== 1) {
    throw new ValidateUsageError('validate takes one FILE');
  }
  if (!args.ranges && !args.suggest) {
    throw new ValidateUsageError('validate needs --ranges R.yaml (or --suggest METHOD)');
  }
  if (args.clean && args.suggest) {
    throw new ValidateUsageError('--clean and --suggest do not go together');
  }
  return { ...args, file: files[0] };
}

/** The validation as readable text. */
export function formatValidation(result: IValidationResult, file: string, rangesName: string, warnings: string[]): string {
  const out: string[] = [];
  out.push(`Validation of ${file} against ${rangesName}`);
  for (const warning of warnings) {
    out.push(`  note: ${warning}`);
  }
  out.push(`  ${result.phaseMessage}`);
  out.push(
    `  stride pass rate ${percentText(result.stridePassRate)} (${result.totalStrides - result.failingStrides} of ${result.totalStrides} strides) ${labelText(result.label)}`
  );
  out.push(
    `  variable pass rate ${percentText(result.variablePassRate)} (${result.totalViolations} violations in ${result.totalChecks} checks)` +
      ` · quality gate (stride pass rate ≥ 90 %): ${result.qualityGatePassed ? 'passed' : 'failed'}`
  );
  out.push('');
  out.push(table(TASK_TABLE_COLUMNS, taskTableRows(result, '-')));
  const rows = result.tasks.flatMap(task =>
    [...task.violations]
      .filter(([, list]) => list.length)
      .map(([variable, list]) => [task.task, variable, list.length, new Set(list).size] as [string, string, number, number])
  );
  if (rows.length) {
    rows.sort((a, b) => b[2] - a[2]);
    out.push('');
    out.push('Violations (failing phase checks, and the strides they touch)');
    out.push(table(['task', 'variable', 'violations', 'strides'], rows));
  }
  return out.join('\n');
}

/** A file written under a temporary name, renamed when complete (never a half-written clean file). */
function nodeFileSink(path: string): ICleanSink {
  const partial = `${path}.partial-${process.pid}`;
  const fd = openSync(partial, 'w');
  let open = true;
  const closeFd = () => {
    if (open) {
      open = false;
      closeSync(fd);
    }
  };
  return {
    write: async bytes => {
      writeSync(fd, bytes);
    },
    close: async () => {
      closeFd();
      renameSync(partial, path);
    },
    abort: async () => {
      closeFd();
      rmSync(partial, { force: true });
    }
  };
}

function readRanges(path: string): IValidationRanges {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LocolensError('file-not-found', `${path}: no such ranges file`);
  }
  return parseValidationRanges(text, basename(path));
}

/** Ranges suggested from the data (for the ranges' tasks, or every task at `phases`). */
export async function suggestRanges(
  pool: DecodePool,
  spec: { kind: 'file'; path: string },
  summary: IDatasetSummary,
  method: SuggestMethod,
  base: IValidationRanges | null,
  phases: number[],
  exclude: string[]
): Promise<IValidationRanges> {
  const features = detectedFeatures(summary);
  const override = base ? undefined : new Map(summary.tasks.map(task => [task.task, { phases, variables: [...features].sort() }]));
  const ranges = base ?? { header: {}, tasks: new Map(), warnings: [] };
  const { samples } = await readTaskSamples(pool, spec, summary, ranges, { ignore: exclude }, override);
  const tasks = new Map(ranges.tasks);
  for (const sample of samples) {
    if (sample.strides && sample.variables.length) {
      tasks.set(sample.task, suggestTaskRanges(sample, method, base?.tasks.get(sample.task)));
    }
  }
  return { header: { ...(base?.header ?? {}) }, tasks, warnings: [] };
}

/**
 * The tuner's edit, timed: a bound of the task with the most strides changed (cycling through its
 * checked ranges, narrowed then restored) and the task re-checked from the kept samples.
 */
export function timeEdits(validation: IFileValidation, ranges: IValidationRanges, edits: number): Record<string, number | string> {
  const task = [...validation.result.tasks].sort((a, b) => b.strides - a.strides)[0];
  if (!task || !task.strides) {
    return { edits: 0 };
  }
  const checked = [...ranges.tasks.get(task.task)!.phases.values()].flatMap(variables =>
    [...variables]
      .filter(([name, range]) => task.variables.includes(name) && range.min !== null && range.max !== null)
      .map(([, range]) => range)
  );
  const times: number[] = [];
  for (let i = 0; i < edits && checked.length; i++) {
    const range = checked[i % checked.length];
    const original = range.max!;
    range.max = range.min! + (original - range.min!) * 0.9;
    const started = performance.now();
    recheckTask(validation, ranges, task.task);
    times.push(performance.now() - started);
    range.max = original;
  }
  recheckTask(validation, ranges, task.task);
  times.sort((a, b) => a - b);
  return {
    task: task.task,
    strides: task.strides,
    checks_per_stride: task.checks / task.strides,
    edits: times.length,
    median_ms: times[Math.floor(times.length / 2)],
    p95_ms: times[Math.floor(times.length * 0.95)],
    max_ms: times[times.length - 1]
  };
}

/** Run `locolens validate`: 0 on success (whatever the pass rate), 1 on a failure, 2 on a wrong command line. */
export async function runValidate(argv: string[]): Promise<number> {
  let args: IValidateArgs;
  try {
    args = parseValidateArgs(argv);
  } catch (error) {
    if (error instanceof ValidateUsageError) {
      process.stderr.write(`locolens: ${error.message}\nusage: ${VALIDATE_USAGE.trim()}\n${VALIDATE_HELP}\n`);
      return 2;
    }
    throw error;
  }
  const pool = createNodePool(args.workers);
  const spec = { kind: 'file' as const, path: args.file };
  try {
    const ranges = args.ranges ? readRanges(args.ranges) : null;
    const summary = await inspectDataset(pool, spec);
    if (args.suggest) {
      const suggested = await suggestRanges(pool, spec, summary, args.suggest, ranges, args.phases, args.exclude);
      const yaml = formatValidationRanges(suggested, {
        source: `locolens validate --suggest ${args.suggest}`,
        dataset: basename(args.file),
        method: args.suggest
      });
      if (args.writeRanges) {
        writeFileSync(args.writeRanges, yaml);
        process.stderr.write(`locolens: wrote ${args.writeRanges} (${suggested.tasks.size} tasks, ${args.suggest})\n`);
      } else {
        process.stdout.write(yaml);
      }
      return 0;
    }
    const validation = await validateFile(pool, spec, summary, ranges!, { ignore: args.exclude });
    const rangesName = basename(args.ranges!);
    if (args.timeEdits) {
      process.stderr.write(`${JSON.stringify(timeEdits(validation, ranges!, args.timeEdits))}\n`);
    }
    let cleanReport: Record<string, unknown> | undefined;
    if (args.clean) {
      const output = resolve(args.out ?? cleanFilePath(args.file));
      if (output === resolve(args.file)) {
        throw new LocolensError('bad-argument', `the clean file would overwrite ${args.file}`);
      }
      const kept = await writeCleanFile(pool, spec, summary, validation, nodeFileSink(output), { exclude: args.exclude });
      cleanReport = cleanReportJSON({ ...kept, source: args.file, output, rangesSource: rangesName }, validation.result);
      const reportPath = output.replace(/\.parquet$/i, '') + '_report.json';
      writeFileSync(reportPath, `${JSON.stringify(cleanReport, null, 2)}\n`);
      if (!args.json) {
        process.stderr.write(
          `locolens: wrote ${output}: ${kept.keptStrides} strides kept, ${kept.removedStrides} removed (report ${reportPath})\n`
        );
      }
    }
    const json = validationToJSON(validation.result, { dataset: basename(args.file), ranges: rangesName, warnings: ranges!.warnings });
    process.stdout.write(
      args.json
        ? `${JSON.stringify(cleanReport ? { ...json, clean: cleanReport } : json)}\n`
        : `${formatValidation(validation.result, basename(args.file), rangesName, ranges!.warnings)}\n`
    );
    return 0;
  } catch (error) {
    const code = errorCode(error);
    process.stderr.write(`locolens: validate: ${describeError(error)}${code ? ` [${code}]` : ''}\n`);
    return 1;
  } finally {
    pool.dispose();
  }
}
