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

/**
 * Limits of a spec and of saved results (the schema's maxItems, maxLength and maximum say the
 * same): a notebook may come from anyone, so nothing it claims is believed beyond these.
 */
export const SPEC_LIMITS = {
  /** Cycles of one saved result (and entries of its per-cycle arrays). */
  cycles: 1_000_000,
  /** Variables of one result (and rows and columns of its correlation matrix). */
  features: 2048,
  /** Subjects of one result. */
  subjects: 100_000,
  /** Characters of a name: subject, task, variable. */
  name: 1024,
  /** Characters of a path. */
  path: 4096
} as const;

// One error, the first met (not every one of a million bad entries), checked before any entry:
// Ajv tests maxItems and maximum before it walks an array's items.
const ajv = new Ajv({ allErrors: false, strict: false });
const validateSpec = ajv.compile(schema);

/**
 * Check a value against the spec's JSON schema, and saved results for counts and array lengths
 * that agree.
 *
 * @returns the spec, or the problem as a one-line message (text, never HTML).
 */
export function checkSpec(value: unknown): { spec: ILocolensSpec } | { errors: string[] } {
  if (value && typeof value === 'object' && 'version' in value && (value as { version: unknown }).version !== 1) {
    return {
      errors: [
        `unsupported spec version ${clip(JSON.stringify((value as { version: unknown }).version) ?? 'undefined')}: this locolens renders version 1; update the extension`
      ]
    };
  }
  if (!validateSpec(value)) {
    return {
      errors: (validateSpec.errors ?? []).slice(0, 1).map(error => {
        const where = clip(error.instancePath || 'spec');
        const message = `${where} ${error.message ?? 'is invalid'}`.trim();
        return where.startsWith('/results') ? `the saved results are refused: ${message}` : message;
      })
    };
  }
  const spec = value as unknown as ILocolensSpec;
  if (spec.results) {
    const problem = savedResultsProblem(spec.results);
    if (problem) {
      return { errors: [`the saved results are refused: ${problem}`] };
    }
  }
  return { spec };
}

/**
 * What is wrong with saved results that passed the schema: counts that disagree with the arrays
 * they count, names that are not among the features. Reads lengths only (allocates nothing the
 * size of a claim).
 *
 * @returns null when they agree.
 */
export function savedResultsProblem(results: ISavedResults): string | null {
  const features = new Set(results.features);
  const F = results.features.length;
  const C = results.cycles;
  const unknown = (what: string, names: string[]) => {
    const name = names.find(n => !features.has(n));
    return name === undefined ? null : `${what} names ${clip(JSON.stringify(name))}, which is not among its ${F} features`;
  };
  if (results.subjects && C !== undefined && results.subjects.length > Math.max(C, 1)) {
    return `${results.subjects.length} subjects for ${C} cycles`;
  }
  if (results.patterns) {
    const problem = unknown('/results/patterns', Object.keys(results.patterns));
    if (problem) {
      return problem;
    }
  }
  if (results.outliers) {
    const { cycles, rmse, cycleSubjects, cycleIndex } = results.outliers;
    if (C === undefined) {
      return '/results/outliers without /results/cycles';
    }
    for (const [name, array] of [
      ['rmse', rmse],
      ['cycleSubjects', cycleSubjects],
      ['cycleIndex', cycleIndex]
    ] as const) {
      if (array.length !== C) {
        return `/results/outliers/${name} has ${array.length} entries for ${C} cycles`;
      }
    }
    if (cycles.length > C) {
      return `/results/outliers/cycles lists ${cycles.length} outliers of ${C} cycles`;
    }
    const outside = cycles.findIndex(c => c >= C);
    if (outside >= 0) {
      return `/results/outliers/cycles/${outside} is cycle ${cycles[outside]} of ${C}`;
    }
  }
  if (results.rom) {
    const problem = unknown('/results/rom', Object.keys(results.rom));
    if (problem) {
      return problem;
    }
    for (const [name, boxes] of Object.entries(results.rom)) {
      for (const [subject, box] of Object.entries(boxes)) {
        if (C !== undefined && box.n > C) {
          return `/results/rom counts ${box.n} cycles of ${clip(JSON.stringify(name))} for ${clip(JSON.stringify(subject))}, of ${C}`;
        }
      }
    }
  }
  if (results.correlation) {
    if (results.correlation.length !== F) {
      return `/results/correlation has ${results.correlation.length} rows for ${F} features`;
    }
    const row = results.correlation.findIndex(r => r.length !== F);
    if (row >= 0) {
      return `/results/correlation/${row} has ${results.correlation[row].length} entries for ${F} features`;
    }
  }
  if (results.summary) {
    const problem = unknown('/results/summary', Object.keys(results.summary));
    if (problem) {
      return problem;
    }
  }
  return null;
}

/** At most 120 characters of a name in a message. */
function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
