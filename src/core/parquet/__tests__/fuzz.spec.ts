/**
 * Hostile and damaged parquet files, derived from valid ones with fast-check (a recorded seed):
 * truncation at page and row-group boundaries and anywhere, flipped bits in page headers, page
 * data and the footer, footer lengths past the file, absurd declared sizes (rows, column chunk
 * lengths, page sizes), a PAR1 frame around garbage, invalid UTF-8 in a dictionary of strings, a
 * column whose type changes between row groups. Every file goes through the worker pool (summary,
 * every float column decoded, the whole-file analysis) and a sample through the CLI: each ends in a
 * correct result (pyarrow's numbers for the same bytes, page checksums verified) or a coded error,
 * within a time limit; the pool analyses a valid file correctly afterwards and the process' memory
 * does not grow without bound.
 *
 * `LOCOLENS_FUZZ_SEED=<n>` (and `LOCOLENS_FUZZ_RUNS`) explore other files; a failing file is written
 * to test/fuzz-regressions/ with its mutation, and every file there is checked on each run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';

import { analyzeDataset } from '../../analysis/analyze-dataset';
import { inspectDataset } from '../../dataset/inspect-dataset';
import { errorCode } from '../../errors';
import { NodeFileSource } from '../../io/node-file-source';
import { createNodePool } from '../../pool/node-pool';
import type { DecodePool } from '../../worker/decode-service';
import { readParquetFooter, type IParquetFileInfo } from '../footer';
import { chunkPageOffsets } from '../page-checks';

const PYTHON = process.env.LOCOLENS_PYTHON || (existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3');
const ORACLE = join(process.cwd(), 'test', 'fuzz_oracle.py');
const CLI = join(process.cwd(), 'dist', 'node', 'locolens.mjs');
const REGRESSIONS = join(process.cwd(), 'test', 'fuzz-regressions');
/** The recorded seed of the suite's files (other seeds: LOCOLENS_FUZZ_SEED). */
const SEED = Number(process.env.LOCOLENS_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.LOCOLENS_FUZZ_RUNS ?? 320);
/** A file must be done within this (summary, decode, analysis). */
const FILE_LIMIT_MS = 30000;
/** The codes a damaged file may end in. */
const DAMAGE_CODES = ['corrupt-parquet', 'not-parquet', 'empty-file', 'unsupported-parquet', 'missing-columns', 'not-phase-indexed'];

interface IBase {
  name: string;
  bytes: Uint8Array;
  info: IParquetFileInfo;
  /** Absolute page starts per column chunk: [chunk index] → offsets. */
  pages: number[][];
  chunks: Array<{ rowGroup: number; column: string; start: number; size: number }>;
  footerStart: number;
}

type Mutation =
  | { kind: 'truncate-page'; base: number; chunk: number; page: number }
  | { kind: 'truncate-row-group'; base: number; rowGroup: number }
  | { kind: 'truncate'; base: number; at: number }
  | { kind: 'flip-page-header'; base: number; chunk: number; page: number; delta: number; bit: number }
  | { kind: 'flip-page-data'; base: number; chunk: number; page: number; at: number; bit: number }
  | { kind: 'flip-footer'; base: number; at: number; bit: number }
  | { kind: 'footer-length'; base: number; length: 'past-end' | 'huge' | 'zero' | 'short' }
  | { kind: 'garbage-frame'; size: number; seed: number }
  | { kind: 'invalid-utf8'; base: number; at: number }
  | { kind: 'type-change'; base: number; rowGroup: number; column: number }
  | { kind: 'absurd-rows'; base: number; rowGroup: number; value: number }
  | { kind: 'absurd-chunk-size'; base: number; rowGroup: number; column: number; value: number }
  | { kind: 'absurd-page-size'; base: number; chunk: number; page: number };

let folder: string;
const bases: IBase[] = [];
let pool: DecodePool;

// ---------------------------------------------------------------------------------------------
// Thrift compact protocol, just enough to find and rewrite scalar fields of the footer.

interface IScalar {
  path: number[];
  type: number;
  start: number;
  end: number;
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) {
      return [value, at];
    }
    shift += 7;
  }
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);

/** Every scalar of a compact-protocol struct at `at`, with its field path; returns the end. */
function walkStruct(bytes: Uint8Array, at: number, path: number[], out: IScalar[]): number {
  let field = 0;
  for (;;) {
    const head = bytes[at++];
    const type = head & 0x0f;
    if (type === 0) {
      return at;
    }
    if (head >> 4) {
      field += head >> 4;
    } else {
      const [raw, next] = varint(bytes, at);
      at = next;
      field = raw % 2 ? -(raw + 1) / 2 : raw / 2;
    }
    at = walkValue(bytes, at, type, [...path, field], out);
  }
}

function walkValue(bytes: Uint8Array, at: number, type: number, path: number[], out: IScalar[]): number {
  switch (type) {
    case 1:
    case 2:
      return at;
    case 3:
      return at + 1;
    case 4:
    case 5:
    case 6: {
      const end = varint(bytes, at)[1];
      out.push({ path, type, start: at, end });
      return end;
    }
    case 7:
      return at + 8;
    case 8: {
      const [length, next] = varint(bytes, at);
      return next + length;
    }
    case 9:
    case 10: {
      const head = bytes[at++];
      let count = head >> 4;
      if (count === 15) {
        [count, at] = varint(bytes, at);
      }
      for (let i = 0; i < count; i++) {
        at = walkValue(bytes, at, head & 0x0f, [...path, i], out);
      }
      return at;
    }
    case 12:
      return walkStruct(bytes, at, path, out);
    default:
      throw new Error(`thrift type ${type}`);
  }
}

/** The file with one footer scalar (found by path) rewritten to `value` (zigzag for i32/i64); the footer length follows. */
function rewriteFooterScalar(base: IBase, path: number[], value: number): Uint8Array {
  const footer = base.bytes.subarray(base.footerStart, base.bytes.length - 8);
  const scalars: IScalar[] = [];
  walkStruct(footer, 0, [], scalars);
  const target = scalars.find(scalar => scalar.path.length === path.length && scalar.path.every((p, i) => p === path[i]));
  if (!target) {
    throw new Error(`no footer field ${path.join('.')} in ${base.name}`);
  }
  const encoded = encodeVarint(zigzag(value));
  const newFooter = new Uint8Array([...footer.subarray(0, target.start), ...encoded, ...footer.subarray(target.end)]);
  const out = new Uint8Array(base.footerStart + newFooter.length + 8);
  out.set(base.bytes.subarray(0, base.footerStart));
  out.set(newFooter, base.footerStart);
  new DataView(out.buffer).setUint32(out.length - 8, newFooter.length, true);
  out.set([0x50, 0x41, 0x52, 0x31], out.length - 4);
  return out;
}

// FileMetaData.row_groups = 4; RowGroup.columns = 1, num_rows = 3; ColumnChunk.meta_data = 3;
// ColumnMetaData.type = 1, total_compressed_size = 7.
const rowGroupRowsPath = (rowGroup: number) => [4, rowGroup, 3];
const columnTypePath = (rowGroup: number, column: number) => [4, rowGroup, 1, column, 3, 1];
const chunkSizePath = (rowGroup: number, column: number) => [4, rowGroup, 1, column, 3, 7];

// ---------------------------------------------------------------------------------------------

const pick = (n: number, i: number) => ((i % n) + n) % n;

function mutate(mutation: Mutation): Uint8Array {
  if (mutation.kind === 'garbage-frame') {
    const out = new Uint8Array(8 + mutation.size + 8);
    let x = mutation.seed || 1;
    for (let i = 4; i < out.length - 8; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    out.set([0x50, 0x41, 0x52, 0x31], 0);
    new DataView(out.buffer).setUint32(out.length - 8, Math.min(mutation.size, 64), true);
    out.set([0x50, 0x41, 0x52, 0x31], out.length - 4);
    return out;
  }
  const base = bases[pick(bases.length, mutation.base)];
  const copy = base.bytes.slice();
  const chunkPages = (chunk: number) => base.pages[pick(base.pages.length, chunk)];
  switch (mutation.kind) {
    case 'truncate-page': {
      const pages = chunkPages(mutation.chunk);
      return copy.subarray(0, pages[pick(pages.length, mutation.page)]);
    }
    case 'truncate-row-group': {
      const chunk = base.chunks.find(candidate => candidate.rowGroup === pick(base.info.rowGroups.length, mutation.rowGroup))!;
      return copy.subarray(0, chunk.start);
    }
    case 'truncate':
      return copy.subarray(0, pick(copy.length, mutation.at));
    case 'flip-page-header': {
      const pages = chunkPages(mutation.chunk);
      copy[pages[pick(pages.length, mutation.page)] + mutation.delta] ^= 1 << mutation.bit;
      return copy;
    }
    case 'flip-page-data': {
      const chunk = base.chunks[pick(base.chunks.length, mutation.chunk)];
      const pages = chunkPages(mutation.chunk);
      const page = pick(pages.length, mutation.page);
      const start = pages[page];
      const end = page + 1 < pages.length ? pages[page + 1] : chunk.start + chunk.size;
      // The last quarter of the page: past its header, in its data.
      const at = end - 1 - pick(Math.max(1, Math.floor((end - start) / 4)), mutation.at);
      copy[at] ^= 1 << mutation.bit;
      return copy;
    }
    case 'flip-footer': {
      copy[base.footerStart + pick(copy.length - 8 - base.footerStart, mutation.at)] ^= 1 << mutation.bit;
      return copy;
    }
    case 'footer-length': {
      const view = new DataView(copy.buffer);
      const lengths = { 'past-end': copy.length, huge: 0xfffffff0, zero: 0, short: 3 };
      view.setUint32(copy.length - 8, lengths[mutation.length], true);
      return copy;
    }
    case 'invalid-utf8': {
      // The dictionary page of the subject column: its strings' bytes get a lone continuation byte.
      const index = base.chunks.findIndex(chunk => chunk.column === 'subject');
      const pages = base.pages[index];
      const chunk = base.chunks[index];
      const end = pages.length > 1 ? pages[1] : chunk.start + chunk.size;
      copy[end - 1 - pick(4, mutation.at)] = 0xbf;
      return copy;
    }
    case 'type-change': {
      const rowGroup = 1 + pick(base.info.rowGroups.length - 1, mutation.rowGroup);
      const column = 2 + pick(base.info.columns.length - 2, mutation.column);
      const physical = base.info.columns[column].physicalType;
      // DOUBLE (5) ↔ FLOAT (4); an integer column becomes DOUBLE.
      return rewriteFooterScalar(base, columnTypePath(rowGroup, column), physical === 'DOUBLE' ? 4 : 5);
    }
    case 'absurd-rows':
      return rewriteFooterScalar(base, rowGroupRowsPath(pick(base.info.rowGroups.length, mutation.rowGroup)), mutation.value);
    case 'absurd-chunk-size':
      return rewriteFooterScalar(
        base,
        chunkSizePath(pick(base.info.rowGroups.length, mutation.rowGroup), pick(base.info.columns.length, mutation.column)),
        mutation.value
      );
    case 'absurd-page-size': {
      // compressed_page_size (field 3) → the largest value of the same varint length.
      const pages = chunkPages(mutation.chunk);
      const start = pages[pick(pages.length, mutation.page)];
      const scalars: IScalar[] = [];
      walkStruct(copy, start, [], scalars);
      const size = scalars.find(scalar => scalar.path.length === 1 && scalar.path[0] === 3)!;
      for (let i = size.start; i < size.end - 1; i++) {
        copy[i] = 0xff;
      }
      copy[size.end - 1] = 0x7e;
      return copy;
    }
  }
}

const index = fc.nat({ max: 10_000 });
const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate-page' as const), base: index, chunk: index, page: index }),
  fc.record({ kind: fc.constant('truncate-row-group' as const), base: index, rowGroup: index }),
  fc.record({ kind: fc.constant('truncate' as const), base: index, at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip-page-header' as const),
    base: index,
    chunk: index,
    page: index,
    delta: fc.nat({ max: 7 }),
    bit: fc.nat({ max: 7 })
  }),
  fc.record({ kind: fc.constant('flip-page-data' as const), base: index, chunk: index, page: index, at: index, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('flip-footer' as const), base: index, at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('footer-length' as const), base: index, length: fc.constantFrom('past-end', 'huge', 'zero', 'short') }),
  fc.record({ kind: fc.constant('garbage-frame' as const), size: fc.nat({ max: 4096 }), seed: fc.nat() }),
  fc.record({ kind: fc.constant('invalid-utf8' as const), base: index, at: index }),
  fc.record({ kind: fc.constant('type-change' as const), base: index, rowGroup: index, column: index }),
  fc.record({
    kind: fc.constant('absurd-rows' as const),
    base: index,
    rowGroup: index,
    value: fc.constantFrom(2 ** 31 - 1, 2 ** 40, 2 ** 53 - 1, -5, 0)
  }),
  fc.record({
    kind: fc.constant('absurd-chunk-size' as const),
    base: index,
    rowGroup: index,
    column: index,
    value: fc.constantFrom(2 ** 31 - 1, 2 ** 40, -1, 0, 1)
  }),
  fc.record({ kind: fc.constant('absurd-page-size' as const), base: index, chunk: index, page: index })
);

// ---------------------------------------------------------------------------------------------

interface IOutcome {
  rows?: number;
  sums?: Record<string, number | null>;
  code?: string;
  message?: string;
  analysis?: 'ok' | string;
  ms: number;
}

function withLimit<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms);
    })
  ]);
}

/** Our reading of a file: the summary, every float column's sum, then the whole-file analysis. */
async function ours(path: string): Promise<IOutcome> {
  const started = performance.now();
  const spec = { kind: 'file' as const, path };
  try {
    return await withLimit(
      (async () => {
        const summary = await inspectDataset(pool, spec);
        const floats = summary.columns.filter(column => column.type === 'float32' || column.type === 'float64').map(column => column.name);
        const sums: Record<string, number> = Object.fromEntries(floats.map(name => [name, 0]));
        for (let rowGroup = 0; rowGroup < summary.file.rowGroups; rowGroup++) {
          const { value } = await pool.run(api => api.readColumns(spec, rowGroup, floats));
          for (const name of floats) {
            const column = value.columns[name];
            if (column.kind !== 'float32' && column.kind !== 'float64') {
              throw new Error(`${name} decoded as ${column.kind}`);
            }
            for (const x of column.values) {
              if (x === x) {
                sums[name] += x;
              }
            }
          }
        }
        let analysis = 'ok';
        try {
          await analyzeDataset(pool, spec, {}, { summary, backend: 'wasm', nan: 'ignore', phaseCorrelations: false });
        } catch (error) {
          analysis = `${errorCode(error) ?? 'uncoded'}: ${String((error as Error).message)}`;
        }
        return { rows: summary.file.rows, sums, analysis, ms: performance.now() - started };
      })(),
      FILE_LIMIT_MS,
      path
    );
  } catch (error) {
    return { code: errorCode(error) ?? 'uncoded', message: String((error as Error).message ?? error), ms: performance.now() - started };
  }
}

const close = (a: number | null | undefined, b: number | null | undefined) =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)));

/** What is wrong with an outcome, given pyarrow's reading of the same bytes and of the undamaged base. */
function problems(
  outcome: IOutcome,
  reference: { rows?: number; sums?: Record<string, number | null>; error?: string },
  original: { rows?: number; sums?: Record<string, number | null> } | undefined
): string[] {
  const found: string[] = [];
  if (outcome.code !== undefined) {
    if (!DAMAGE_CODES.includes(outcome.code)) {
      found.push(`error with code ${outcome.code}: ${outcome.message}`);
    }
    if ((outcome.message ?? '').includes('\n')) {
      found.push('a message of more than one line');
    }
    return found;
  }
  if (outcome.analysis !== 'ok' && !DAMAGE_CODES.some(code => outcome.analysis!.startsWith(`${code}:`))) {
    found.push(`analysis ended in ${outcome.analysis}`);
  }
  // A result: pyarrow's numbers for the same bytes, or (pyarrow refusing them) the undamaged file's.
  const expected = reference.error === undefined ? reference : original;
  const same =
    !!expected &&
    outcome.rows === expected.rows &&
    Object.entries(outcome.sums ?? {}).every(([name, sum]) => !(name in (expected.sums ?? {})) || close(sum, expected.sums![name]));
  if (!same) {
    found.push(
      `a wrong result: rows ${outcome.rows}, sums ${JSON.stringify(outcome.sums)} where ${reference.error === undefined ? 'pyarrow reads' : `pyarrow refuses (${reference.error}) and the undamaged file has`} ${JSON.stringify(expected)}`
    );
  }
  return found;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'locolens-fuzz-'));
  const baseFolder = join(folder, 'bases');
  const names = execFileSync(PYTHON, [ORACLE, 'bases', baseFolder], { encoding: 'utf8' }).trim().split('\n');
  for (const name of names) {
    const path = join(baseFolder, `${name}.parquet`);
    const bytes = new Uint8Array(readFileSync(path));
    const source = await NodeFileSource.open(path);
    const info = await readParquetFooter(source);
    await source.close();
    const chunks = info.rowGroups.flatMap(group => (group.chunks ?? []).map(chunk => ({ ...chunk, rowGroup: group.index })));
    const pages = chunks.map(chunk => chunkPageOffsets(bytes.subarray(chunk.start, chunk.start + chunk.size)).map(at => chunk.start + at));
    const footerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
    bases.push({ name, bytes, info, pages, chunks, footerStart: bytes.length - 8 - footerLength });
  }
  pool = createNodePool(2);
}, 120000);

afterAll(() => {
  pool?.dispose();
  if (!process.env.LOCOLENS_FUZZ_KEEP) {
    rmSync(folder, { recursive: true, force: true });
  }
});

describe('damaged parquet files', () => {
  it(`${RUNS} files from seed ${SEED} and the saved regressions: a correct result or a coded error, in time, through the pool`, async () => {
    const mutations = fc.sample(mutationArbitrary, { seed: SEED, numRuns: RUNS });
    const damaged = join(folder, 'damaged');
    mkdirSync(damaged);
    const cases: Array<{ file: string; mutation: Mutation | string }> = [];
    mutations.forEach((mutation, i) => {
      const file = `${String(i).padStart(4, '0')}-${mutation.kind}.parquet`;
      writeFileSync(join(damaged, file), mutate(mutation));
      cases.push({ file, mutation });
    });
    for (const file of existsSync(REGRESSIONS) ? readdirSync(REGRESSIONS).filter(name => name.endsWith('.parquet')) : []) {
      copyFileSync(join(REGRESSIONS, file), join(damaged, `regression-${file}`));
      cases.push({ file: `regression-${file}`, mutation: `saved regression ${file}` });
    }
    const reference = JSON.parse(execFileSync(PYTHON, [ORACLE, 'read', damaged], { encoding: 'utf8', maxBuffer: 1 << 26 }));
    const originals = JSON.parse(execFileSync(PYTHON, [ORACLE, 'read', join(folder, 'bases')], { encoding: 'utf8' }));
    const rssBefore = process.memoryUsage().rss;
    const failures: string[] = [];
    const tally: Record<string, number> = { result: 0, coded: 0 };
    let slowest = 0;
    for (const { file, mutation } of cases) {
      const outcome = await ours(join(damaged, file));
      if (outcome.message?.includes('(a hang)')) {
        // Its work still holds a worker: a fresh pool for the next files (the hang is the failure).
        pool.dispose();
        pool = createNodePool(2);
      }
      if (process.env.LOCOLENS_FUZZ_VERBOSE) {
        console.log(file, Math.round(outcome.ms), outcome.code ?? outcome.analysis, (outcome.message ?? '').slice(0, 160));
      }
      slowest = Math.max(slowest, outcome.ms);
      tally[outcome.code === undefined ? 'result' : 'coded']++;
      const base =
        typeof mutation === 'string' || mutation.kind === 'garbage-frame' ? undefined : bases[pick(bases.length, mutation.base)].name;
      const found = problems(outcome, reference[file], base ? originals[`${base}.parquet`] : undefined);
      if (found.length) {
        failures.push(`${file} (${JSON.stringify(mutation)}): ${found.join('; ')}`);
        if (typeof mutation !== 'string' && !process.env.CI) {
          mkdirSync(REGRESSIONS, { recursive: true });
          copyFileSync(join(damaged, file), join(REGRESSIONS, `seed-${SEED}-${file}`));
          writeFileSync(join(REGRESSIONS, `seed-${SEED}-${file}.json`), `${JSON.stringify({ seed: SEED, mutation }, null, 2)}\n`);
        }
      }
    }
    // The pool still analyses a valid file to pyarrow's numbers.
    const after = await ours(join(folder, 'bases', `${bases[0].name}.parquet`));
    expect(problems(after, originals[`${bases[0].name}.parquet`], undefined)).toEqual([]);
    const grownMB = (process.memoryUsage().rss - rssBefore) / 1024 ** 2;
    console.log(
      `fuzz seed ${SEED}: ${cases.length} files, ${tally.result} read, ${tally.coded} coded errors, ${failures.length} failures, slowest ${Math.round(slowest)} ms, RSS +${Math.round(grownMB)} MB`
    );
    expect(failures).toEqual([]);
    expect(grownMB).toBeLessThan(1024);
  }, 900000);

  it('a sample through the CLI: exit 0, or exit 1 with one coded line and no stack trace, in time', () => {
    const mutations = fc.sample(mutationArbitrary, { seed: SEED + 1, numRuns: 12 });
    const cli = join(folder, 'cli');
    mkdirSync(cli, { recursive: true });
    for (const [i, mutation] of mutations.entries()) {
      const path = join(cli, `${i}-${mutation.kind}.parquet`);
      writeFileSync(path, mutate(mutation));
      const run = spawnSync(process.execPath, [CLI, 'analyze', path, '--digest'], { encoding: 'utf8', timeout: 60000 });
      const context = `${JSON.stringify(mutation)}: ${run.stderr}`;
      expect([context, run.signal]).toEqual([context, null]);
      expect([context, [0, 1].includes(run.status ?? -1)]).toEqual([context, true]);
      if (run.status === 1) {
        expect([context, run.stderr.trim().split('\n').length]).toEqual([context, 1]);
        expect(run.stderr).toMatch(new RegExp(`\\[(${DAMAGE_CODES.join('|')})\\]\\n$`));
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
    }
  }, 900000);
});
