/**
 * Names of LocoHub variables: parsing, standard check, legacy-name suggestions, grouping.
 *
 * The convention (../shared/docs/locomotion-data-standard.md §1.5):
 * `<joint|segment>_<motion>_<measurement>_<side>_<unit>`, side ∈ {ipsi, contra} (pelvis and
 * trunk have none), compound units keep their underscore (`rad_s`, `Nm_kg`); GRF and CoP use
 * `<signal>_<axis>_<side>_<unit>`.
 */

/** Joints (motions about a joint). */
export const JOINTS = ['hip', 'knee', 'ankle'] as const;
/** Segments (global orientation). */
export const SEGMENTS = ['pelvis', 'trunk', 'thigh', 'shank', 'foot'] as const;
/** Segments without a side. */
export const SIDELESS_SEGMENTS = ['pelvis', 'trunk'] as const;
/** Motions accepted by LocoHub's newest validator (+ eversion, seen in released data). */
export const MOTIONS = [
  'flexion',
  'adduction',
  'rotation',
  'dorsiflexion',
  'eversion',
  'tilt',
  'obliquity',
  'lateral',
  'progression',
  'sagittal',
  'frontal',
  'transverse'
] as const;
/** Measurements and the units each may use. */
export const MEASUREMENT_UNITS: Record<string, string[]> = {
  angle: ['rad', 'deg'],
  velocity: ['rad_s', 'deg_s'],
  acceleration: ['rad_s2'],
  moment: ['Nm', 'Nm_kg'],
  power: ['W', 'W_kg']
};
/** Sides. */
export const SIDES = ['ipsi', 'contra'] as const;
/** Axes of ground reaction force and centre of pressure, with units. */
export const FORCE_SIGNALS: Record<string, { axes: string[]; units: string[] }> = {
  grf: { axes: ['vertical', 'anterior', 'lateral'], units: ['BW', 'N'] },
  cop: { axes: ['anterior', 'lateral', 'vertical'], units: ['m'] }
};
/** Units in the standard's preferred form (others are accepted but flagged). */
export const PREFERRED_UNITS = new Set(['rad', 'rad_s', 'rad_s2', 'Nm_kg', 'W_kg', 'BW', 'm']);

/** Metadata and index columns of the standard (never variables). */
export const METADATA_COLUMNS = new Set([
  'subject',
  'subject_metadata',
  'task',
  'task_id',
  'task_info',
  'step',
  'phase_ipsi',
  'phase_contra',
  'phase_ipsi_dot',
  'time_s',
  'dataset',
  'collection_date',
  'processing_date',
  'cycle_id'
]);
/** Columns LocoHub's loader excludes from features even when their names match a keyword. */
export const LOCOHUB_EXCLUDED = new Set([
  'time',
  'time_s',
  'step_number',
  'is_reconstructed_r',
  'is_reconstructed_l',
  'task_info',
  'task_id',
  'activity_number',
  'cycle',
  'step',
  'leading_leg_step'
]);
/** Substrings by which LocoHub's loader detects a feature column. */
export const LOCOHUB_FEATURE_KEYWORDS = ['angle', 'velocity', 'moment', 'power', 'grf', 'cop'];

/** Legacy metadata/index names and their standard replacement. */
export const LEGACY_METADATA_NAMES: Record<string, string> = {
  phase: 'phase_ipsi',
  phase_percent: 'phase_ipsi',
  phase_r: 'phase_ipsi',
  phase_l: 'phase_contra',
  step_number: 'step',
  time: 'time_s'
};

/** The parts of a standard variable name. */
export interface IVariableParts {
  /** Joint, segment, or signal (grf/cop). */
  body: string;
  /** 'joint' | 'segment' | 'force' | 'pressure'. */
  family: 'joint' | 'segment' | 'force' | 'pressure';
  /** Motion (joints, segments) or axis (GRF/CoP). */
  motion: string;
  /** angle, velocity, acceleration, moment, power, force, position. */
  measurement: string;
  /** ipsi, contra, or null for side-less segments. */
  side: 'ipsi' | 'contra' | null;
  unit: string;
}

/** The result of parsing a variable name. */
export type ParsedVariableName = { ok: true; parts: IVariableParts } | { ok: false; reason: string };

const UNIT_TAILS = ['rad_s2', 'rad_s', 'deg_s', 'Nm_kg', 'W_kg', 'rad', 'deg', 'Nm', 'W', 'BW', 'N', 'm'];

/** Each unit suffix as printed on an axis (`Nm_kg` → N·m/kg). */
export const UNIT_LABELS: Record<string, string> = {
  rad_s2: 'rad/s²',
  rad_s: 'rad/s',
  deg_s: 'deg/s',
  Nm_kg: 'N·m/kg',
  W_kg: 'W/kg',
  rad: 'rad',
  deg: 'deg',
  Nm: 'N·m',
  W: 'W',
  BW: 'BW',
  N: 'N',
  m: 'm'
};

/** The unit suffix of a variable name (`rad_s` of `hip_flexion_velocity_ipsi_rad_s`), standard or not; null without one. */
export function unitSuffix(name: string): string | null {
  return UNIT_TAILS.find(unit => name.endsWith(`_${unit}`)) ?? null;
}

/** The unit of a variable as printed on an axis (`N·m/kg`), or '' when its name has no unit suffix. */
export function unitLabel(name: string): string {
  const unit = unitSuffix(name);
  return unit ? UNIT_LABELS[unit] : '';
}

/**
 * A variable's name in words for an axis title, without its unit: `knee_flexion_angle_ipsi_rad` →
 * "Knee flexion angle, ipsi", `grf_vertical_ipsi_BW` → "Vertical GRF, ipsi". A non-standard name
 * keeps its words (underscores become spaces, the unit suffix goes).
 */
export function variableLabel(name: string): string {
  const parsed = parseVariableName(name);
  let words: string;
  if (parsed.ok) {
    const { body, family, motion, measurement, side } = parsed.parts;
    const what =
      family === 'force' || family === 'pressure' ? `${motion} ${body === 'grf' ? 'GRF' : 'CoP'}` : `${body} ${motion} ${measurement}`;
    words = side ? `${what}, ${side}` : what;
  } else {
    const unit = unitSuffix(name);
    words = (unit ? name.slice(0, name.length - unit.length - 1) : name).replace(/_+/g, ' ').trim() || name;
  }
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** An axis title for a variable: "Knee flexion angle, ipsi (rad)"; `prefix` goes before it ("ROM of knee …"). */
export function variableAxisTitle(name: string, prefix = ''): string {
  const label = variableLabel(name);
  const unit = unitLabel(name);
  const words = prefix ? `${prefix} ${label.charAt(0).toLowerCase()}${label.slice(1)}` : label;
  return unit ? `${words} (${unit})` : words;
}

/**
 * Parse a name against the standard pattern.
 *
 * @returns the parts, or the reason why the name is not standard.
 */
export function parseVariableName(name: string): ParsedVariableName {
  const unit = UNIT_TAILS.find(candidate => name.endsWith(`_${candidate}`));
  if (!unit) {
    return { ok: false, reason: 'no recognised unit suffix (e.g. _rad, _rad_s, _Nm_kg, _BW)' };
  }
  const tokens = name.slice(0, name.length - unit.length - 1).split('_');
  if (tokens.some(token => token === '' || token !== token.toLowerCase())) {
    return { ok: false, reason: 'names are lowercase snake case (the unit keeps its case)' };
  }
  const [body] = tokens;
  if (body in FORCE_SIGNALS) {
    const signal = FORCE_SIGNALS[body];
    if (tokens.length !== 3) {
      return { ok: false, reason: `${body} names are ${body}_<axis>_<side>_<unit>` };
    }
    const [, axis, side] = tokens;
    if (!signal.axes.includes(axis)) {
      return { ok: false, reason: `unknown ${body} axis "${axis}"` };
    }
    if (!isSide(side)) {
      return { ok: false, reason: `unknown side "${side}" (ipsi or contra)` };
    }
    if (!signal.units.includes(unit)) {
      return { ok: false, reason: `unit ${unit} is not a ${body} unit (${signal.units.join(', ')})` };
    }
    return {
      ok: true,
      parts: {
        body,
        family: body === 'grf' ? 'force' : 'pressure',
        motion: axis,
        measurement: body === 'grf' ? 'force' : 'position',
        side,
        unit
      }
    };
  }
  const isJoint = (JOINTS as readonly string[]).includes(body);
  const isSegment = (SEGMENTS as readonly string[]).includes(body);
  if (!isJoint && !isSegment) {
    return { ok: false, reason: `unknown joint or segment "${body}"` };
  }
  const sideless = (SIDELESS_SEGMENTS as readonly string[]).includes(body);
  const expected = sideless ? 3 : 4;
  if (tokens.length !== expected) {
    return {
      ok: false,
      reason: sideless
        ? `${body} names are ${body}_<motion>_<measurement>_<unit> (no side)`
        : `names are <joint>_<motion>_<measurement>_<side>_<unit>`
    };
  }
  const [, motion, measurement, side] = tokens;
  if (!(MOTIONS as readonly string[]).includes(motion)) {
    return { ok: false, reason: `unknown motion "${motion}"` };
  }
  if (body === 'ankle' && motion === 'flexion') {
    return { ok: false, reason: 'ankle flexion was renamed ankle dorsiflexion in the standard' };
  }
  if (!(measurement in MEASUREMENT_UNITS)) {
    return { ok: false, reason: `unknown measurement "${measurement}"` };
  }
  if (!MEASUREMENT_UNITS[measurement].includes(unit)) {
    return { ok: false, reason: `unit ${unit} does not fit a ${measurement} (${MEASUREMENT_UNITS[measurement].join(', ')})` };
  }
  if (!sideless && !isSide(side)) {
    return { ok: false, reason: `unknown side "${side}" (ipsi or contra)` };
  }
  return {
    ok: true,
    parts: {
      body,
      family: isJoint ? 'joint' : 'segment',
      motion,
      measurement,
      side: sideless ? null : (side as 'ipsi' | 'contra'),
      unit
    }
  };
}

function isSide(token: string | undefined): token is 'ipsi' | 'contra' {
  return token === 'ipsi' || token === 'contra';
}

/** Whether LocoHub's `LocomotionData` would treat this column as a feature. */
export function isLocoHubFeature(name: string): boolean {
  if (LOCOHUB_EXCLUDED.has(name) || METADATA_COLUMNS.has(name)) {
    return false;
  }
  return LOCOHUB_FEATURE_KEYWORDS.some(keyword => name.includes(keyword));
}

const LEGACY_REWRITES: Array<[RegExp, string]> = [
  // Oldest exports: hip_angle_s_r, knee_vel_s_l, ankle_torque_s_r (degrees, sagittal plane).
  [/^(hip|knee)_angle_s_([rl])$/, '$1_flexion_angle_$2_deg'],
  [/^ankle_angle_s_([rl])$/, 'ankle_dorsiflexion_angle_$1_deg'],
  [/^(hip|knee)_vel_s_([rl])$/, '$1_flexion_velocity_$2_deg_s'],
  [/^ankle_vel_s_([rl])$/, 'ankle_dorsiflexion_velocity_$1_deg_s'],
  [/^(hip|knee)_torque_s_([rl])$/, '$1_flexion_moment_$2_Nm_kg'],
  [/^ankle_torque_s_([rl])$/, 'ankle_dorsiflexion_moment_$1_Nm_kg'],
  // Legacy GRF/CoP order: vertical_grf_ipsi_BW → grf_vertical_ipsi_BW.
  [/^(vertical|anterior|lateral)_(grf|cop)_(.+)$/, '$2_$1_$3'],
  // Renamed motion.
  [/^ankle_flexion_/, 'ankle_dorsiflexion_'],
  [/_angular_velocity_/, '_velocity_'],
  [/_torque_/, '_moment_'],
  [/_vel_/, '_velocity_'],
  // Sides: right → ipsi, left → contra (as the AddBiomechanics and GT21 conversions map them).
  [/_(right|r)(?=_|$)/, '_ipsi'],
  [/_(left|l)(?=_|$)/, '_contra'],
  // Degrees → radians (the values must be converted too).
  [/_deg_s$/, '_rad_s'],
  [/_deg$/, '_rad'],
  [/_Nm$/, '_Nm_kg']
];

/**
 * A standard name for a non-standard or legacy name, or null when no rule applies.
 *
 * #### Notes
 * Suggestions that change the unit (deg → rad, Nm → Nm_kg) also need the values converted;
 * `needsConversion` says so.
 */
export function suggestStandardName(name: string): { name: string; needsConversion: boolean } | null {
  if (name in LEGACY_METADATA_NAMES) {
    return { name: LEGACY_METADATA_NAMES[name], needsConversion: false };
  }
  let candidate = name;
  for (const [pattern, replacement] of LEGACY_REWRITES) {
    candidate = candidate.replace(pattern, replacement);
  }
  if (candidate === name) {
    return null;
  }
  const parsed = parseVariableName(candidate);
  if (!parsed.ok || !PREFERRED_UNITS.has(parsed.parts.unit)) {
    return null;
  }
  return { name: candidate, needsConversion: unitSuffix(name) !== parsed.parts.unit };
}
