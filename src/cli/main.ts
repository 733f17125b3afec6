/**
 * The locolens command line: `locolens inspect FILE [--json] [--scan-values] [--workers N]`.
 *
 * Errors go to stderr as one line and exit non-zero; never a stack trace.
 */
import { describeError, errorCode } from '../core/errors';
import { inspectDataset } from '../core/dataset/inspect-dataset';
import { createNodePool } from '../core/pool/node-pool';
import { formatSummary } from './format-summary';

const USAGE = `usage: locolens inspect FILE [--json] [--scan-values] [--workers N]

  inspect   summary of a LocoHub phase-indexed parquet file: rows, row groups, columns,
            subjects, tasks, task_id values, cycles per subject x task, conformance findings
  --json         print the summary as JSON
  --scan-values  also decode every variable column to count NaN values (reads most of the file)
  --workers N    decode workers (default: the available cores)`;

/** Exit codes. */
const EXIT = { ok: 0, failed: 1, usage: 2 };

interface IArgs {
  command: string;
  file: string;
  json: boolean;
  scanValues: boolean;
  workers?: number;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): IArgs {
  const positional: string[] = [];
  const args: Partial<IArgs> = { json: false, scanValues: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') {
      args.json = true;
    } else if (arg === '--scan-values') {
      args.scanValues = true;
    } else if (arg === '--workers') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) {
        throw new UsageError('--workers takes a whole number of at least 1');
      }
      args.workers = value;
    } else if (arg === '-h' || arg === '--help') {
      throw new UsageError('');
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional[0] !== 'inspect') {
    throw new UsageError(positional[0] ? `unknown command ${positional[0]}` : 'no command given');
  }
  if (positional.length !== 2) {
    throw new UsageError('inspect takes exactly one FILE');
  }
  return { ...args, command: positional[0], file: positional[1] } as IArgs;
}

async function main(argv: string[]): Promise<number> {
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
  try {
    const summary = await inspectDataset(pool, { kind: 'file', path: args.file }, { scanValues: args.scanValues });
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
    return EXIT.ok;
  } catch (error) {
    const code = errorCode(error);
    const message = describeError(error);
    process.stderr.write(`locolens: ${message.startsWith(args.file) ? message : `${args.file}: ${message}`}${code ? ` [${code}]` : ''}\n`);
    return EXIT.failed;
  } finally {
    pool.dispose();
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
