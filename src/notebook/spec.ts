/**
 * The `application/vnd.locolens.v1+json` spec that `locolens.show()` emits, its JSON schema
 * check, and the compact results a rendered output saves with the notebook.
 */
import Ajv from 'ajv';

import schema from '../../schema/locolens.v1.schema.json';

/** The MIME type of locolens notebook outputs. */
export const LOCOLENS_MIME = 'application/vnd.locolens.v1+json';

/** Views a notebook output can show. */
export type NotebookView = 'patterns' | 'rom' | 'correlation' | 'summary' | 'outliers' | 'dataset';

/** What `locolens.show()` emits (version 1). */
export interface ILocolensSpec {
  version: 1;
  path: string;
  view: NotebookView;
  selection: { subject?: string | null; task?: string | null; features?: string[] | null };
  options: { ddof?: 0 | 1; nan?: 'propagate' | 'ignore'; threshold?: number; phase?: number; backend?: 'auto' | 'workers' | 'webgpu' };
  results?: ISavedResults;
  /** An output of `locolens.analyze()`: the kernel's comm of this ID drives the analysis. */
  live?: { id: string };
}

/** A compact copy of what was computed, saved in the notebook output. */
export interface ISavedResults {
  /** Which rendering wrote these (a renderer ignores its own write). */
  token: string;
  computedAt: string;
  locolensVersion: string;
  file: { path: string; size: number; lastModified: string };
  backend: string;
  adapter?: string;
  task?: string;
  subjects?: string[];
  cycles?: number;
  features: string[];
  /** Mean and SD patterns per feature, 150 values each (patterns view). */
  patterns?: Record<string, { mean: Array<number | null>; std: Array<number | null> }>;
  /** Outlier cycle indices, the cut and every cycle's RMSE (patterns and outliers views). */
  outliers?: { cycles: number[]; cut: number | null; rmse: Array<number | null>; cycleSubjects: string[]; cycleIndex: number[] };
  /** Per-cycle ROM per subject per feature as box statistics (rom view). */
  rom?: Record<string, Record<string, { min: number; q1: number; median: number; q3: number; max: number; n: number }>>;
  /** Feature × feature Pearson correlation over all samples (correlation view). */
  correlation?: Array<Array<number | null>>;
  /** Summary statistics per feature (summary view). */
  summary?: Record<string, Record<string, number | null>>;
  /** The dataset summary (dataset view). */
  dataset?: unknown;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSpec = ajv.compile(schema);

/**
 * Check a value against the spec's JSON schema.
 *
 * @returns the spec, or the problems as one-line messages.
 */
export function checkSpec(value: unknown): { spec: ILocolensSpec } | { errors: string[] } {
  if (value && typeof value === 'object' && 'version' in value && (value as { version: unknown }).version !== 1) {
    return {
      errors: [
        `unsupported spec version ${JSON.stringify((value as { version: unknown }).version)}: this locolens renders version 1; update the extension`
      ]
    };
  }
  if (validateSpec(value)) {
    return { spec: value as unknown as ILocolensSpec };
  }
  return {
    errors: (validateSpec.errors ?? []).map(error => `${error.instancePath || 'spec'} ${error.message ?? 'is invalid'}`.trim())
  };
}
