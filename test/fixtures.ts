/**
 * Paths and golden data of the pyarrow-written fixtures (made by test/global-setup.mjs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folder of the fixtures. */
export const FIXTURES = join(process.cwd(), 'test-data', 'fixtures');

/** Path of one fixture. */
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** What pyarrow says about each fixture (scripts/generate_dataset.py, manifest.json). */
export interface IManifestEntry {
  valid_parquet: boolean;
  size_bytes: number;
  rows: number;
  row_groups: number;
  row_group_rows: number[];
  compression: string[];
  columns: string[];
  dtypes: Record<string, string>;
  variables: string[];
  null_counts: Record<string, number>;
  nan_counts: Record<string, number>;
  phase_column: string | null;
  blocks: Array<{ subject: string; task: string; task_ids: string[]; row_start: number; rows: number; cycles: number }>;
  subjects: string[];
  tasks: string[];
  task_ids: Record<string, string[]>;
  cycles: Record<string, Record<string, number>>;
}

/** The manifest of all fixtures. */
export function manifest(): Record<string, IManifestEntry> {
  return JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')).files;
}

/** Golden column values computed with numpy. */
export type ExpectedColumn =
  | { kind: 'numeric'; count: number; missing: number; nansum: number; first: Array<number | null> }
  | { kind: 'string'; count: number; distinct: Array<string | null>; nulls: number };

/** Golden values of all readable fixtures. */
export function expectedValues(): Record<string, Record<string, ExpectedColumn>> {
  return JSON.parse(readFileSync(join(FIXTURES, 'expected-values.json'), 'utf8'));
}

/** The readable, standard-shaped fixtures. */
export const GOOD_FIXTURES = [
  'tiny_snappy.parquet',
  'tiny_zstd.parquet',
  'tiny_gzip.parquet',
  'tiny_none.parquet',
  'multi_rowgroup.parquet',
  'dictionary_strings.parquet',
  'with_nans.parquet',
  'one_cycle.parquet',
  'many_cycles.parquet'
];

/** One case of the numpy kernel oracle (test/expected_kernels.py). */
export interface IKernelCase {
  id: string;
  file: string;
  task?: string;
  subjects?: string[];
  features?: string[];
  ddof?: 0 | 1;
  nan?: 'propagate' | 'ignore';
  threshold?: number;
}

/** Golden statistics of one group of cycles (flat arrays laid out as the TypeScript result; NaN as null). */
export interface IGoldenGroup {
  task: string;
  subjects: string[];
  cycles: number;
  cycleSubjects: string[];
  cycleIndex: number[];
  perCycle: Record<
    'mean' | 'std' | 'min' | 'max' | 'rom' | 'peakTiming' | 'skewness' | 'kurtosis' | 'dominantFrequency',
    Array<number | null>
  >;
  patterns: Record<'mean' | 'std' | 'count', Array<number | null>>;
  romOverall: Array<number | null>;
  summary: Record<'mean' | 'std' | 'min' | 'max' | 'median' | 'q25' | 'q75', Array<number | null>>;
  outliers: { rmse: Array<number | null>; cut: number | null; cycles: number[] };
  validation: { valid: boolean[]; reasons: number[] };
  correlations: { features: Array<number | null>; phases: Array<number | null> | null };
  /** max |x| of each feature (the absolute floor of the tolerances). */
  scale: number[];
}

/** Golden result of one case. */
export interface IGoldenCase {
  file: string;
  features: string[];
  skipped: Array<{ subject: string; task: string; rows: number }>;
  groups: IGoldenGroup[];
}

/** The kernels' golden values computed with numpy from the fixtures (one python run for all cases). */
export function kernelGolden(cases: IKernelCase[]): Record<string, IGoldenCase> {
  const root = process.cwd();
  const venv = join(root, '.venv', 'bin', 'python');
  const python = process.env.LOCOLENS_PYTHON || (existsSync(venv) ? venv : 'python3');
  const out = execFileSync(python, [join(root, 'test', 'expected_kernels.py'), FIXTURES], {
    input: JSON.stringify({ cases }),
    maxBuffer: 1024 * 1024 * 1024
  });
  return JSON.parse(out.toString('utf8')).cases;
}
