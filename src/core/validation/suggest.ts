/**
 * Ranges suggested from the data, with the methods of LocoHub's `automated_fine_tuning.py`:
 * over the values of every stride at one phase of one variable,
 * - `percentile_95`: 2.5th to 97.5th percentile; `percentile_90`: 5th to 95th;
 * - `mean_3std`: mean ± 3·SD (numpy's `std`, ddof 0);
 * - `iqr_expansion`: Q1 − 1.5·IQR to Q3 + 1.5·IQR;
 * - `conservative`: min and max widened by 5 % of their span.
 * Percentiles are numpy's default (linear). Unlike LocoHub's script, non-finite values are left
 * out (numpy would give a NaN range); a phase with no finite value gets no range (null bounds).
 */
import { quantileSorted } from '../kernels/reference';
import type { IRange, ITaskRanges } from './ranges';
import type { ITaskSamples } from './validator';

/** The phases LocoHub's current default ranges check (older files: 0, 25, 50, 75). */
export const DEFAULT_PHASES = [0, 15, 25, 50, 65, 75];

export const SUGGEST_METHODS = ['percentile_95', 'mean_3std', 'iqr_expansion', 'percentile_90', 'conservative'] as const;
export type SuggestMethod = (typeof SUGGEST_METHODS)[number];

/** A method's one-line description, for menus. */
export const SUGGEST_METHOD_TEXT: Readonly<Record<SuggestMethod, string>> = {
  percentile_95: '2.5th–97.5th percentile (95 % of the data)',
  mean_3std: 'mean ± 3 SD',
  iqr_expansion: 'Q1 − 1.5 IQR to Q3 + 1.5 IQR',
  percentile_90: '5th–95th percentile (90 % of the data)',
  conservative: 'min and max, widened by 5 %'
};

export function isSuggestMethod(name: string): name is SuggestMethod {
  return (SUGGEST_METHODS as readonly string[]).includes(name);
}

/** The range a method suggests for some values (non-finite ones left out). */
export function suggestRange(values: ArrayLike<number>, method: SuggestMethod): IRange {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      finite.push(values[i]);
    }
  }
  if (!finite.length) {
    return { min: null, max: null };
  }
  const sorted = Float64Array.from(finite).sort();
  const q = (p: number): number => quantileSorted(sorted, p);
  switch (method) {
    case 'percentile_95':
      return { min: q(0.025), max: q(0.975) };
    case 'percentile_90':
      return { min: q(0.05), max: q(0.95) };
    case 'iqr_expansion': {
      const q1 = q(0.25);
      const q3 = q(0.75);
      const iqr = q3 - q1;
      return { min: q1 - 1.5 * iqr, max: q3 + 1.5 * iqr };
    }
    case 'mean_3std': {
      let sum = 0;
      for (const x of finite) {
        sum += x;
      }
      const mean = sum / finite.length;
      let squares = 0;
      for (const x of finite) {
        squares += (x - mean) ** 2;
      }
      const sd = Math.sqrt(squares / finite.length);
      return { min: mean - 3 * sd, max: mean + 3 * sd };
    }
    case 'conservative': {
      const low = sorted[0];
      const high = sorted[sorted.length - 1];
      const buffer = (high - low) * 0.05;
      return { min: low - buffer, max: high + buffer };
    }
  }
}

/**
 * Ranges for a task from its samples: every checked phase and validated variable of `samples`
 * gets the method's range (the task's metadata is kept).
 *
 * @param only - limit to these variables (others keep `base`'s ranges).
 */
export function suggestTaskRanges(samples: ITaskSamples, method: SuggestMethod, base?: ITaskRanges, only?: string[]): ITaskRanges {
  const phases = new Map<number, Map<string, IRange>>();
  for (const [phase, variables] of base?.phases ?? []) {
    phases.set(phase, new Map([...variables].map(([name, range]) => [name, { ...range }])));
  }
  const { strides, phases: phaseList, variables, values } = samples;
  for (let p = 0; p < phaseList.length; p++) {
    const out = phases.get(phaseList[p]) ?? new Map<string, IRange>();
    phases.set(phaseList[p], out);
    for (let v = 0; v < variables.length; v++) {
      if (only && !only.includes(variables[v])) {
        continue;
      }
      const base = (v * phaseList.length + p) * strides;
      out.set(variables[v], suggestRange(values.subarray(base, base + strides), method));
    }
  }
  return { metadata: { ...(base?.metadata ?? {}) }, phases: new Map([...phases].sort((a, b) => a[0] - b[0])) };
}
