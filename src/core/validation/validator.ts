/**
 * LocoHub's dataset validation (its `Validator`, newest rules; the standard's §3.2), over the
 * samples of every stride at the checked phases.
 *
 * - A task is checked when the ranges name it; its strides are its rows in file order cut in
 *   150s (all subjects, as `get_cycles(None, task)`). A task whose rows are not a multiple of 150
 *   makes the phase structure invalid and has no strides checked (LocoHub's `get_cycles` refuses it).
 * - A stride fails a (phase, variable) check when its value is finite and outside [min, max]
 *   (inclusive; reversed bounds are swapped; a range with a null bound is skipped).
 * - `violations[task][variable]` lists a stride once per failing phase, as LocoHub does; the
 *   variable pass rate is 1 − violations / checks, checks = strides × the (phase, variable) pairs
 *   of validated variables, skipped ranges included.
 * - The quality gate is a stride pass rate ≥ 90 %; labels as LocoHub's dataset pages print them.
 */
import { phaseIndex, rangeVariables, type IRange, type ITaskRanges, type IValidationRanges } from './ranges';

/** Samples of one task's strides at its checked phases. */
export interface ITaskSamples {
  task: string;
  strides: number;
  /** The subject of each stride (index into `subjects`): the subject of its first row. */
  strideSubjects: Int32Array;
  /** The stride's index among its subject's strides of this task (file order). */
  strideCycles: Int32Array;
  subjects: string[];
  /** The validated variables (named by the ranges, present in the data, not ignored), sorted. */
  variables: string[];
  /** The checked phase percents, ascending, and their sample indices. */
  phases: number[];
  phaseIndices: number[];
  /** `[variable][phase slot][stride]`, float64 as the file's values (float32 widened). */
  values: Float64Array;
  /** Why the task has no strides checked, when it has none. */
  skipped?: string;
}

/** The result of one task. */
export interface ITaskValidation {
  task: string;
  strides: number;
  failingStrides: number;
  passRate: number;
  /** Per stride: the number of failing (phase, variable) checks (0 = passes). */
  strideFailures: Uint16Array;
  /** Variable → stride indices, once per failing phase (LocoHub's `violations`). */
  violations: Map<string, number[]>;
  checks: number;
  violationCount: number;
  variables: string[];
  label: ValidationLabel;
  skipped?: string;
}

export type ValidationLabel = 'pass' | 'partial' | 'needs-review';

/** The result of a file. */
export interface IValidationResult {
  /** Every task's rows are a multiple of 150. */
  phaseValid: boolean;
  phaseMessage: string;
  tasks: ITaskValidation[];
  totalStrides: number;
  failingStrides: number;
  stridePassRate: number;
  totalChecks: number;
  totalViolations: number;
  variablePassRate: number;
  qualityGatePassed: boolean;
  label: ValidationLabel;
}

/** LocoHub's quality gate on the stride pass rate. */
export const QUALITY_GATE = 0.9;

/** LocoHub's label of a pass rate: ✅ ≥ 90 %, ⚠️ PARTIAL ≥ 70 %, ❌ NEEDS REVIEW below. */
export function validationLabel(passRate: number): ValidationLabel {
  return passRate >= QUALITY_GATE ? 'pass' : passRate >= 0.7 ? 'partial' : 'needs-review';
}

/** The label as LocoHub's dataset pages write it. */
export function labelText(label: ValidationLabel): string {
  return label === 'pass' ? '✅' : label === 'partial' ? '⚠️ PARTIAL' : '❌ NEEDS REVIEW';
}

/** The variables of a task's ranges that a file's data can be checked on. */
export function validatedVariables(ranges: ITaskRanges, features: string[], ignore: string[] = []): string[] {
  const present = new Set(features);
  const ignored = new Set(ignore);
  return rangeVariables(ranges)
    .filter(variable => present.has(variable) && !ignored.has(variable))
    .sort();
}

/** The phases a task's ranges check, ascending, with their sample indices. */
export function checkedPhases(ranges: ITaskRanges): { phases: number[]; indices: number[] } {
  const phases = [...ranges.phases.keys()].sort((a, b) => a - b);
  return { phases, indices: phases.map(phaseIndex) };
}

/** A range as checked: null when skipped, bounds swapped when reversed. */
function effectiveRange(range: IRange | undefined): [number, number] | null {
  if (!range || range.min === null || range.max === null) {
    return null;
  }
  return range.min > range.max ? [range.max, range.min] : [range.min, range.max];
}

/** Validate one task's samples against its ranges. */
export function validateTask(samples: ITaskSamples, ranges: ITaskRanges): ITaskValidation {
  const { strides, variables, phases, values } = samples;
  const strideFailures = new Uint16Array(strides);
  const violations = new Map<string, number[]>(variables.map(variable => [variable, []]));
  let checks = 0;
  let violationCount = 0;
  for (let p = 0; p < phases.length; p++) {
    const phaseRanges = ranges.phases.get(phases[p]);
    if (!phaseRanges) {
      continue;
    }
    for (let v = 0; v < variables.length; v++) {
      if (!phaseRanges.has(variables[v])) {
        continue;
      }
      checks += strides;
      const range = effectiveRange(phaseRanges.get(variables[v]));
      if (!range) {
        continue;
      }
      const [min, max] = range;
      const base = (v * phases.length + p) * strides;
      const list = violations.get(variables[v])!;
      for (let s = 0; s < strides; s++) {
        const x = values[base + s];
        // NaN compares false both ways: skipped, as the validator skips non-finite values; ±inf are skipped too.
        if ((x < min || x > max) && Number.isFinite(x)) {
          list.push(s);
          strideFailures[s] = Math.min(65535, strideFailures[s] + 1);
        }
      }
    }
  }
  for (const list of violations.values()) {
    list.sort((a, b) => a - b);
    violationCount += list.length;
  }
  let failingStrides = 0;
  for (let s = 0; s < strides; s++) {
    if (strideFailures[s]) {
      failingStrides++;
    }
  }
  const passRate = strides ? 1 - failingStrides / strides : 0;
  return {
    task: samples.task,
    strides,
    failingStrides,
    passRate,
    strideFailures,
    violations,
    checks,
    violationCount,
    variables,
    label: validationLabel(passRate),
    skipped: samples.skipped
  };
}

/**
 * Validate a file's samples (one `ITaskSamples` per task the ranges name, in the order of the
 * file's sorted tasks).
 *
 * @param badTasks - tasks of the file (checked or not) whose rows are not a multiple of 150, with their row count.
 */
export function validateSamples(
  samples: ITaskSamples[],
  ranges: IValidationRanges,
  badTasks: Array<{ task: string; rows: number }> = []
): IValidationResult {
  const tasks = samples.map(task => validateTask(task, ranges.tasks.get(task.task)!));
  return summarizeValidation(tasks, badTasks);
}

/** The file-level figures of some task results. */
export function summarizeValidation(tasks: ITaskValidation[], badTasks: Array<{ task: string; rows: number }> = []): IValidationResult {
  let totalStrides = 0;
  let failingStrides = 0;
  let totalChecks = 0;
  let totalViolations = 0;
  for (const task of tasks) {
    totalStrides += task.strides;
    failingStrides += task.failingStrides;
    totalChecks += task.checks;
    totalViolations += task.violationCount;
  }
  const stridePassRate = totalStrides ? 1 - failingStrides / totalStrides : 0;
  const phaseValid = badTasks.length === 0;
  const bad = badTasks[0];
  return {
    phaseValid,
    phaseMessage: phaseValid
      ? 'Phase structure valid (150 points per cycle)'
      : `Task '${bad.task}' has ${bad.rows} points, not divisible by 150`,
    tasks,
    totalStrides,
    failingStrides,
    stridePassRate,
    totalChecks,
    totalViolations,
    variablePassRate: totalChecks ? 1 - totalViolations / totalChecks : 0,
    qualityGatePassed: phaseValid && (totalStrides === 0 || stridePassRate >= QUALITY_GATE),
    label: validationLabel(stridePassRate)
  };
}

/** A rate as the CLI and the tuner show it: one decimal, in percent. */
export function percentText(rate: number): string {
  return `${(100 * rate).toFixed(1)} %`;
}

/** The columns of a validation's table of tasks (the CLI's and the tuner's). */
export const TASK_TABLE_COLUMNS = ['task', 'strides', 'passing', 'pass rate', 'status', 'note'];

/** A validation's tasks as table rows: strides, passing strides, pass rate, LocoHub's label, why not checked. */
export function taskTableRows(result: IValidationResult, none = '–'): Array<Array<string | number>> {
  return result.tasks.map(task => [
    task.task,
    task.strides,
    task.strides - task.failingStrides,
    task.strides ? percentText(task.passRate) : none,
    task.strides ? labelText(task.label) : none,
    task.skipped ?? ''
  ]);
}

/** The failing variables of one stride of a task (for the tuner's list and the clean report). */
export function strideFailingVariables(task: ITaskValidation, stride: number): string[] {
  const out: string[] = [];
  for (const [variable, list] of task.violations) {
    if (binaryIncludes(list, stride)) {
      out.push(variable);
    }
  }
  return out;
}

function binaryIncludes(sorted: number[], value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === value) {
      return true;
    }
    if (sorted[mid] < value) {
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return false;
}

/** A result as JSON (LocoHub's shape: violations by task and variable, rates, the gate). */
export function validationToJSON(result: IValidationResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...extra,
    passed: result.phaseValid,
    phase_valid: result.phaseValid,
    phase_message: result.phaseMessage,
    quality_gate_passed: result.qualityGatePassed,
    quality_gate_threshold: QUALITY_GATE,
    label: labelText(result.label),
    stats: {
      total_strides: result.totalStrides,
      total_failing_strides: result.failingStrides,
      pass_rate: result.stridePassRate,
      total_checks: result.totalChecks,
      total_violations: result.totalViolations,
      variable_pass_rate: result.variablePassRate,
      num_tasks: result.tasks.length
    },
    tasks: Object.fromEntries(
      result.tasks.map(task => [
        task.task,
        {
          total_strides: task.strides,
          failing_strides: task.failingStrides,
          pass_rate: task.passRate,
          label: labelText(task.label),
          checks: task.checks,
          violations: task.violationCount,
          validated_variables: task.variables,
          ...(task.skipped ? { skipped: task.skipped } : {})
        }
      ])
    ),
    violations: Object.fromEntries(
      result.tasks
        .map(task => [task.task, Object.fromEntries([...task.violations].filter(([, list]) => list.length))] as const)
        .filter(([, byVariable]) => Object.keys(byVariable).length)
    )
  };
}
