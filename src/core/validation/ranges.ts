/**
 * LocoHub validation ranges: the YAML files of `contributor_tools/validation_ranges/` (layout 2.0:
 * tasks → phases in percent → variable → {min, max}), read as LocoHub's config manager reads
 * them, and written back so that its Python tools (PyYAML) read the same numbers.
 *
 * #### Rules (../../../../shared/docs/locomotion-data-standard.md §3.1)
 * - A phase key is an integer percent in 0..100; a quoted key is parsed as a number and truncated
 *   (`'50'`, `'12.5'` → 12), as the config manager's `int(float(key))` does.
 * - A min or max of null means "no check" for that range (the validator skips it whole).
 * - Legacy GRF names (`vertical_grf_ipsi_N`, …) are renamed to the current ones.
 * - `metadata.contralateral_offset: true` (older files that store only ipsi ranges): each
 *   `_contra` range is made from the ipsi range at phase (p + 50) % 100, the nearest phase the
 *   task has (the lower on a tie); explicit `_contra` entries of such a task are ignored with a
 *   warning. Without the flag, ranges are used as written (the newest config manager).
 * - A malformed file is a `bad-argument` error naming its line.
 */
import { LineCounter, parseDocument, isMap, isScalar, isPair, type Node as YamlNode, type YAMLMap } from 'yaml';

import { LocolensError } from '../errors';

/** One checked range; null bounds mean "no check". */
export interface IRange {
  min: number | null;
  max: number | null;
}

/** The ranges of one task: phase percent → variable → range. */
export interface ITaskRanges {
  /** The task's `metadata` block as written (kept when saving). */
  metadata: Record<string, unknown>;
  /** Phase percent (0..100) → variable → range, phases in ascending order when read. */
  phases: Map<number, Map<string, IRange>>;
}

/** A ranges file. */
export interface IValidationRanges {
  /** Top-level fields other than `tasks` (version, generated, source, …), kept when saving. */
  header: Record<string, unknown>;
  tasks: Map<string, ITaskRanges>;
  /** What was read but changed or ignored (legacy names, ignored `_contra` entries). */
  warnings: string[];
}

/** Legacy GRF names and their current ones (LocoHub's config manager renames them on load). */
export const LEGACY_GRF_NAMES: Readonly<Record<string, string>> = {
  vertical_grf_ipsi_N: 'grf_vertical_ipsi_N',
  vertical_grf_contra_N: 'grf_vertical_contra_N',
  anterior_grf_ipsi_N: 'grf_anterior_ipsi_N',
  anterior_grf_contra_N: 'grf_anterior_contra_N',
  lateral_grf_ipsi_N: 'grf_lateral_ipsi_N',
  lateral_grf_contra_N: 'grf_lateral_contra_N',
  vertical_grf_ipsi_BW: 'grf_vertical_ipsi_BW',
  vertical_grf_contra_BW: 'grf_vertical_contra_BW',
  anterior_grf_ipsi_BW: 'grf_anterior_ipsi_BW',
  anterior_grf_contra_BW: 'grf_anterior_contra_BW',
  lateral_grf_ipsi_BW: 'grf_lateral_ipsi_BW',
  lateral_grf_contra_BW: 'grf_lateral_contra_BW'
};

/** The sample index of a phase percent in a 150-sample cycle: round(p/100·149), halves to even (Python's round). */
export function phaseIndex(percent: number): number {
  const x = (percent / 100) * 149;
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction === 0.5) {
    return floor % 2 === 0 ? floor : floor + 1;
  }
  return Math.round(x);
}

/** The contralateral name of an ipsilateral variable, or null when the name has no `_ipsi` side. */
export function contralateralName(name: string): string | null {
  const replaced = name.replace(/_ipsi(?=_|$)/, '_contra');
  return replaced === name ? null : replaced;
}

/** Where a YAML node starts, as "line N" (1-based), or the file when unknown. */
function lineOf(node: YamlNode | null | undefined, lines: LineCounter): string {
  const start = node?.range?.[0];
  return start === undefined ? 'the file' : `line ${lines.linePos(start).line}`;
}

/** A scalar's value, a map, or the node itself for other kinds. */
function scalarValue(node: unknown): unknown {
  return isScalar(node) ? node.value : node;
}

/** A bound: a finite or non-finite number, or null (no check). */
function boundOf(node: unknown, what: string, where: string): number | null {
  const value = scalarValue(node);
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'number') {
    return value;
  }
  throw new LocolensError('bad-argument', `${where}: ${what} must be a number or null, not ${JSON.stringify(String(value))}`);
}

/** A phase key as LocoHub reads it: int(float(key)) for a string, int(key) for a number. */
function phaseKey(node: unknown, task: string, where: string): number {
  const value = scalarValue(node);
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(number)) {
    throw new LocolensError('bad-argument', `${where}: phase ${JSON.stringify(String(value))} of task ${task} is not a number`);
  }
  const phase = Math.trunc(number);
  if (phase < 0 || phase > 100) {
    throw new LocolensError('bad-argument', `${where}: phase ${phase} of task ${task} is out of range (0–100)`);
  }
  return phase;
}

/** Plain JS of a YAML node (for metadata and header fields). */
function plain(node: unknown): unknown {
  return node && typeof node === 'object' && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : scalarValue(node);
}

/**
 * Read a ranges file.
 *
 * @param text - the YAML text.
 * @param name - the file's name, for messages.
 * @throws LocolensError `bad-argument` naming the line of the first malformed entry.
 */
export function parseValidationRanges(text: string, name = 'ranges'): IValidationRanges {
  const lines = new LineCounter();
  // PyYAML reads YAML 1.1; so do we (e.g. `1e-3` without a dot is a string there, as here).
  const document = parseDocument(text, { lineCounter: lines, version: '1.1', uniqueKeys: false, prettyErrors: true });
  if (document.errors.length) {
    const error = document.errors[0];
    const line = error.linePos?.[0]?.line;
    throw new LocolensError('bad-argument', `${name}${line ? `, line ${line}` : ''}: not valid YAML (${error.message.split('\n')[0]})`);
  }
  const root = document.contents;
  if (!isMap(root)) {
    throw new LocolensError('bad-argument', `${name}: a ranges file is a mapping with a "tasks" key`);
  }
  const header: Record<string, unknown> = {};
  let tasksNode: unknown = null;
  for (const pair of root.items) {
    const key = String(scalarValue(pair.key));
    if (key === 'tasks') {
      tasksNode = pair.value;
    } else {
      header[key] = plain(pair.value);
    }
  }
  const warnings: string[] = [];
  const tasks = new Map<string, ITaskRanges>();
  if (tasksNode !== null && scalarValue(tasksNode) !== null) {
    if (!isMap(tasksNode)) {
      throw new LocolensError('bad-argument', `${name}, ${lineOf(tasksNode as YamlNode, lines)}: "tasks" must be a mapping of task names`);
    }
    for (const pair of tasksNode.items) {
      const task = String(scalarValue(pair.key));
      tasks.set(task, readTask(task, pair.value, name, lines, warnings));
    }
  }
  return { header, tasks, warnings };
}

function readTask(task: string, node: unknown, name: string, lines: LineCounter, warnings: string[]): ITaskRanges {
  const where = (at: unknown): string => `${name}, ${lineOf(at as YamlNode, lines)}`;
  if (!isMap(node)) {
    throw new LocolensError('bad-argument', `${where(node)}: task ${task} must be a mapping with "phases"`);
  }
  const metadataNode = node.get('metadata', true);
  const metadata = (metadataNode && isMap(metadataNode) ? plain(metadataNode) : {}) as Record<string, unknown>;
  const phasesNode = node.get('phases', true);
  const phases = new Map<number, Map<string, IRange>>();
  if (phasesNode !== undefined && scalarValue(phasesNode) !== null) {
    if (!isMap(phasesNode)) {
      throw new LocolensError('bad-argument', `${where(phasesNode)}: "phases" of task ${task} must be a mapping of phase percents`);
    }
    for (const pair of (phasesNode as YAMLMap).items) {
      const phase = phaseKey(pair.key, task, where(pair.key));
      const variables = new Map<string, IRange>();
      const variablesNode = pair.value;
      if (variablesNode !== null && scalarValue(variablesNode) !== null) {
        if (!isMap(variablesNode)) {
          throw new LocolensError(
            'bad-argument',
            `${where(variablesNode)}: phase ${phase} of task ${task} must map variables to {min, max}`
          );
        }
        for (const entry of variablesNode.items) {
          if (!isPair(entry)) {
            continue;
          }
          const written = String(scalarValue(entry.key));
          const variable = LEGACY_GRF_NAMES[written] ?? written;
          if (variable !== written && !warnings.some(w => w.includes(written))) {
            warnings.push(`legacy name ${written} read as ${variable}`);
          }
          if (!isMap(entry.value)) {
            throw new LocolensError(
              'bad-argument',
              `${where(entry.value ?? entry.key)}: ${variable} at phase ${phase} of task ${task} must be a mapping with min and max`
            );
          }
          const at = where(entry.value);
          variables.set(variable, {
            min: boundOf(entry.value.get('min', true), `min of ${variable}`, at),
            max: boundOf(entry.value.get('max', true), `max of ${variable}`, at)
          });
        }
      }
      phases.set(phase, variables);
    }
  }
  const sorted = new Map([...phases.entries()].sort((a, b) => a[0] - b[0]));
  const ranges: ITaskRanges = { metadata, phases: sorted };
  return metadata.contralateral_offset === true ? withContralateralOffset(task, ranges, warnings) : ranges;
}

/**
 * The ranges of a task that stores only ipsi ranges, with each contra range made from the ipsi
 * range half a cycle away (the nearest phase the task has).
 */
export function withContralateralOffset(task: string, ranges: ITaskRanges, warnings: string[]): ITaskRanges {
  const phaseList = [...ranges.phases.keys()];
  const nearest = (target: number): number =>
    phaseList.reduce((best, phase) => (Math.abs(phase - target) < Math.abs(best - target) ? phase : best), phaseList[0]);
  const phases = new Map<number, Map<string, IRange>>();
  let ignored = 0;
  for (const [phase, variables] of ranges.phases) {
    const out = new Map<string, IRange>();
    for (const [variable, range] of variables) {
      if (/_contra(?=_|$)/.test(variable)) {
        ignored++;
      } else {
        out.set(variable, range);
      }
    }
    const source = ranges.phases.get(nearest((phase + 50) % 100));
    for (const [variable, range] of source ?? []) {
      const contra = contralateralName(variable);
      if (contra) {
        out.set(contra, { ...range });
      }
    }
    phases.set(phase, out);
  }
  if (ignored) {
    warnings.push(`task ${task}: ${ignored} explicit _contra range(s) ignored (contralateral_offset makes them from the ipsi ranges)`);
  }
  return { metadata: ranges.metadata, phases };
}

/** The variables a task's ranges name, in first-seen order. */
export function rangeVariables(ranges: ITaskRanges): string[] {
  const seen = new Set<string>();
  for (const variables of ranges.phases.values()) {
    for (const variable of variables.keys()) {
      seen.add(variable);
    }
  }
  return [...seen];
}

/** A deep copy (for editing in the tuner). */
export function copyRanges(ranges: IValidationRanges): IValidationRanges {
  const tasks = new Map<string, ITaskRanges>();
  for (const [task, { metadata, phases }] of ranges.tasks) {
    tasks.set(task, {
      metadata: { ...metadata },
      phases: new Map([...phases].map(([phase, variables]) => [phase, new Map([...variables].map(([v, r]) => [v, { ...r }]))]))
    });
  }
  return { header: { ...ranges.header }, tasks, warnings: [...ranges.warnings] };
}

// ---------------------------------------------------------------------------------------------
// Writing: YAML that PyYAML (YAML 1.1) reads back to the same numbers.

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const YAML11_WORDS = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/;

/** A string as a YAML scalar: plain when unambiguous, else double-quoted (JSON's escapes are YAML's). */
function yamlString(text: string): string {
  return PLAIN_NAME.test(text) && !YAML11_WORDS.test(text) ? text : JSON.stringify(text);
}

/**
 * A number as PyYAML reads it back as the same float: a dot always, a signed exponent
 * (`1e-7` without a dot is a string in YAML 1.1), `.nan`/`.inf` for non-finite values.
 */
export function yamlNumber(value: number): string {
  if (Number.isNaN(value)) {
    return '.nan';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '.inf' : '-.inf';
  }
  const text = String(value);
  const [mantissa, exponent] = text.split('e');
  const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  if (exponent === undefined) {
    return withDot;
  }
  return `${withDot}e${exponent.startsWith('-') || exponent.startsWith('+') ? exponent : `+${exponent}`}`;
}

/** A plain value (header or metadata field) as a one-line YAML flow value. */
function yamlValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : yamlNumber(value);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(yamlValue).join(', ')}]`;
  }
  if (value instanceof Date) {
    return JSON.stringify(value.toISOString());
  }
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${yamlString(k)}: ${yamlValue(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(String(value));
}

/**
 * Ranges as YAML in LocoHub's layout (version 2.0), ipsi and contra written explicitly (a task
 * read with `contralateral_offset` is written with the ranges it was expanded to, and the flag
 * set to false so LocoHub's tools do not offset them again).
 *
 * @param extra - header fields to set (e.g. `source`, `method`); `generated` is now unless given.
 */
export function formatValidationRanges(ranges: IValidationRanges, extra: Record<string, unknown> = {}): string {
  const generated = new Date().toISOString().replace('T', ' ').slice(0, 19);
  const header: Record<string, unknown> = { version: '2.0', ...ranges.header, generated, ...extra };
  const out: string[] = [];
  for (const [key, value] of Object.entries(header)) {
    out.push(`${yamlString(key)}: ${yamlValue(value)}`);
  }
  out.push('tasks:');
  for (const [task, { metadata, phases }] of ranges.tasks) {
    out.push(`  ${yamlString(task)}:`);
    const meta = metadata.contralateral_offset === true ? { ...metadata, contralateral_offset: false } : metadata;
    if (Object.keys(meta).length) {
      out.push('    metadata:');
      for (const [key, value] of Object.entries(meta)) {
        out.push(`      ${yamlString(key)}: ${yamlValue(value)}`);
      }
    }
    out.push('    phases:');
    for (const phase of [...phases.keys()].sort((a, b) => a - b)) {
      const variables = phases.get(phase)!;
      if (!variables.size) {
        out.push(`      ${phase}: {}`);
        continue;
      }
      out.push(`      ${phase}:`);
      for (const [variable, range] of variables) {
        const bound = (value: number | null): string => (value === null ? 'null' : yamlNumber(value));
        out.push(`        ${yamlString(variable)}:`);
        out.push(`          min: ${bound(range.min)}`);
        out.push(`          max: ${bound(range.max)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
