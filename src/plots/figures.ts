/**
 * Plotly figures built from analysis results: pure functions, no DOM, no plotly import.
 */
import type { Data, Layout } from 'plotly.js';

import type { IPopulationStatistics } from '../core/analysis/population';
import type { IGroupAnalysis } from '../core/analysis/result';
import { unitLabel } from '../core/dataset/variable-names';
import { PHASES } from '../core/kernels/types';

/**
 * A string from a file or a notebook as a plotly label: plotly reads a few HTML tags in labels,
 * so `<`, `>` and `&` become entities (shown as themselves, never parsed).
 */
export function safeLabel(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Colours of the current JupyterLab theme, read from its CSS variables. */
export interface IPlotTheme {
  font: string;
  fontSecondary: string;
  background: string;
  grid: string;
  accent: string;
  cycle: string;
  outlier: string;
  invalid: string;
  palette: string[];
}

/** x of each phase sample in % of the gait cycle (0–100, as LocoHub's plots). */
export const PHASE_PERCENT = Array.from({ length: PHASES }, (_, p) => (p * 100) / (PHASES - 1));

/** Base layout following the theme. */
export function baseLayout(theme: IPlotTheme, title: string, yTitle: string): Partial<Layout> {
  return {
    title: { text: title, font: { size: 14, color: theme.font } },
    paper_bgcolor: theme.background,
    plot_bgcolor: theme.background,
    font: { color: theme.font, size: 12 },
    margin: { l: 60, r: 20, t: 40, b: 50 },
    xaxis: { gridcolor: theme.grid, zerolinecolor: theme.grid, color: theme.fontSecondary },
    yaxis: { title: { text: yTitle }, gridcolor: theme.grid, zerolinecolor: theme.grid, color: theme.fontSecondary },
    legend: { orientation: 'h', y: -0.2 },
    hovermode: 'closest'
  };
}

function sliceOf(array: Float64Array | Float32Array, start: number, length: number): number[] {
  return Array.from(array.subarray(start, start + length), v => (Number.isFinite(v) ? v : NaN));
}

/** Above this many cycles, the ordinary cycles are drawn as a density unless asked otherwise. */
export const MAX_CYCLE_LINES = 2000;

/** Value bins of the density view. */
const DENSITY_BINS = 120;

/**
 * Phase patterns of one feature: every cycle (WebGL, one trace per class of cycle with gaps
 * between cycles), outlier and invalid cycles highlighted, the mean and a ±1 SD band.
 *
 * #### Notes
 * Past `maxLines` cycles the ordinary cycles become a density heatmap (cycles per phase and
 * value bin): 10,000 lines are a blob to the eye, and software WebGL (no GPU) needs tens of
 * seconds for 1.5 M line vertices. Outlier and invalid cycles stay lines, with hover.
 *
 * @param samples - the feature's samples `[cycle][phase]` (cycles × 150).
 */
export function patternFigure(
  group: IGroupAnalysis,
  feature: number,
  samples: Float32Array | null,
  theme: IPlotTheme,
  maxLines = MAX_CYCLE_LINES,
  selected: number[] = []
): { data: Data[]; layout: Partial<Layout> } {
  const name = group.features[feature];
  const outliers = new Set(group.outliers.cycles);
  const classes: Record<'normal' | 'outlier' | 'invalid', { x: Array<number | null>; y: Array<number | null>; text: string[] }> = {
    normal: { x: [], y: [], text: [] },
    outlier: { x: [], y: [], text: [] },
    invalid: { x: [], y: [], text: [] }
  };
  const normalCount = group.cycles - countOf(group, outliers, 'outlier') - countOf(group, outliers, 'invalid');
  const dense = normalCount > maxLines;
  // Without the samples (a streamed group), only the mean ± SD band is drawn.
  for (let c = 0; samples && c < group.cycles; c++) {
    const kind = outliers.has(c) ? 'outlier' : group.validation.valid[c] ? 'normal' : 'invalid';
    if (kind === 'normal' && dense) {
      continue;
    }
    const target = classes[kind];
    const label = safeLabel(
      `${group.cycleSubjects[c]} · ${group.task} · cycle ${group.cycleIndex[c]}${kind === 'normal' ? '' : ` (${kind})`}`
    );
    for (let p = 0; p < PHASES; p++) {
      const v = samples[c * PHASES + p];
      target.x.push(PHASE_PERCENT[p]);
      target.y.push(Number.isFinite(v) ? v : null);
      target.text.push(label);
    }
    target.x.push(null);
    target.y.push(null);
    target.text.push('');
  }
  const mean = sliceOf(group.patterns.mean, feature * PHASES, PHASES);
  const sd = sliceOf(group.patterns.std, feature * PHASES, PHASES);
  const trace = (kind: keyof typeof classes, color: string, width: number, label: string): Data => ({
    type: 'scattergl',
    mode: 'lines',
    name: `${label} (${kind === 'normal' ? normalCount : countOf(group, outliers, kind)})`,
    x: classes[kind].x,
    y: classes[kind].y,
    text: classes[kind].text,
    hovertemplate: '%{text}<br>%{x:.1f} %: %{y:.4g}<extra></extra>',
    line: { color, width },
    opacity: kind === 'normal' ? 0.25 : 0.9,
    connectgaps: false
  });
  const data: Data[] = [
    dense && samples ? densityTrace(group, outliers, samples, normalCount, theme) : trace('normal', theme.cycle, 1, 'cycles'),
    ...(selected.length && samples ? [selectedTrace(group, selected, samples, theme)] : []),
    trace('invalid', theme.invalid, 1.5, 'invalid'),
    trace('outlier', theme.outlier, 1.5, 'outliers'),
    ...sdBand(mean, sd, theme, 'mean ± 1 SD', 'scattergl'),
    {
      type: 'scattergl',
      mode: 'lines',
      name: 'mean',
      x: PHASE_PERCENT,
      y: mean,
      line: { color: theme.accent, width: 2.5 },
      hovertemplate: 'mean %{x:.1f} %: %{y:.4g}<extra></extra>'
    }
  ];
  const layout = baseLayout(
    theme,
    safeLabel(`${name} — ${group.task}, ${group.subjects.length === 1 ? group.subjects[0] : `${group.subjects.length} subjects`}`),
    unitOf(name)
  );
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  (layout.xaxis as Record<string, unknown>).range = [0, 100];
  return { data, layout };
}

/** A ± 1 SD band around a mean pattern: the lower edge, then the upper edge filled down to it. */
export function sdBand(mean: number[], sd: number[], theme: IPlotTheme, name: string, type: 'scatter' | 'scattergl' = 'scatter'): Data[] {
  const edge = (sign: number) => mean.map((m, p) => m + sign * sd[p]);
  return [
    {
      type,
      mode: 'lines',
      name: '−1 SD',
      x: PHASE_PERCENT,
      y: edge(-1),
      line: { width: 0, color: theme.accent },
      hoverinfo: 'skip',
      showlegend: false
    },
    {
      type,
      mode: 'lines',
      name,
      x: PHASE_PERCENT,
      y: edge(1),
      fill: 'tonexty',
      fillcolor: withAlpha(theme.accent, 0.2),
      line: { width: 0, color: theme.accent },
      hoverinfo: 'skip'
    }
  ];
}

/** The selected cycles as thick lines on top. */
function selectedTrace(group: IGroupAnalysis, selected: number[], samples: Float32Array, theme: IPlotTheme): Data {
  const x: Array<number | null> = [];
  const y: Array<number | null> = [];
  const text: string[] = [];
  for (const c of selected) {
    const label = safeLabel(`${group.cycleSubjects[c]} · ${group.task} · cycle ${group.cycleIndex[c]} (selected)`);
    for (let p = 0; p < PHASES; p++) {
      const v = samples[c * PHASES + p];
      x.push(PHASE_PERCENT[p]);
      y.push(Number.isFinite(v) ? v : null);
      text.push(label);
    }
    x.push(null);
    y.push(null);
    text.push('');
  }
  return {
    type: 'scattergl',
    mode: 'lines',
    name: `selected (${selected.length})`,
    x,
    y,
    text,
    hovertemplate: '%{text}<br>%{x:.1f} %: %{y:.4g}<extra></extra>',
    line: { color: theme.palette[2], width: 2.5 },
    connectgaps: false
  };
}

/**
 * One point per cycle, ROM of a feature against the cycle's RMSE from the mean pattern, with the
 * outlier cut: the plot to select cycles in (box, lasso or click). `customdata` is the cycle index.
 */
export function cycleScatterFigure(
  group: IGroupAnalysis,
  feature: number,
  theme: IPlotTheme,
  selected: number[] = []
): { data: Data[]; layout: Partial<Layout> } {
  const C = group.cycles;
  const outliers = new Set(group.outliers.cycles);
  const classes = { normal: [] as number[], outlier: [] as number[], invalid: [] as number[] };
  for (let c = 0; c < C; c++) {
    classes[outliers.has(c) ? 'outlier' : group.validation.valid[c] ? 'normal' : 'invalid'].push(c);
  }
  const chosen = new Set(selected);
  const rom = group.perCycle.rom.subarray(feature * C, (feature + 1) * C);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const trace = (kind: keyof typeof classes, color: string, label: string): Data =>
    ({
      type: 'scattergl',
      mode: 'markers',
      name: `${label} (${classes[kind].length})`,
      x: classes[kind].map(c => finite(rom[c])),
      y: classes[kind].map(c => finite(group.outliers.rmse[c])),
      customdata: classes[kind],
      text: classes[kind].map(c => safeLabel(`${group.cycleSubjects[c]} · cycle ${group.cycleIndex[c]}`)),
      hovertemplate: '%{text}<br>ROM %{x:.4g} · RMSE %{y:.4g}<extra></extra>',
      marker: { color, size: 6 },
      ...(selected.length ? { selectedpoints: classes[kind].flatMap((c, i) => (chosen.has(c) ? [i] : [])) } : {})
    }) as Data;
  const name = group.features[feature];
  const layout = baseLayout(theme, 'Cycles (select with box, lasso or a click)', 'RMSE');
  (layout.xaxis as Record<string, unknown>).title = { text: `ROM (${unitOf(name) || 'units of the variable'})` };
  layout.dragmode = 'select';
  if (Number.isFinite(group.outliers.cut)) {
    layout.shapes = [
      {
        type: 'line',
        xref: 'paper',
        x0: 0,
        x1: 1,
        y0: group.outliers.cut,
        y1: group.outliers.cut,
        line: { color: theme.outlier, dash: 'dot', width: 1 }
      }
    ];
  }
  return {
    data: [trace('normal', theme.cycle, 'cycles'), trace('invalid', theme.invalid, 'invalid'), trace('outlier', theme.outlier, 'outliers')],
    layout
  };
}

/** The ordinary cycles as counts per (phase, value bin). */
function densityTrace(group: IGroupAnalysis, outliers: Set<number>, samples: Float32Array, normalCount: number, theme: IPlotTheme): Data {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }
  if (!(max > min)) {
    max = min + 1;
  }
  const width = (max - min) / DENSITY_BINS;
  const z: number[][] = Array.from({ length: DENSITY_BINS }, () => new Array<number>(PHASES).fill(0));
  for (let c = 0; c < group.cycles; c++) {
    if (outliers.has(c) || !group.validation.valid[c]) {
      continue;
    }
    for (let p = 0; p < PHASES; p++) {
      const v = samples[c * PHASES + p];
      if (v === v) {
        z[Math.min(DENSITY_BINS - 1, Math.floor((v - min) / width))][p]++;
      }
    }
  }
  return {
    type: 'heatmap',
    name: `cycles (${normalCount}, density)`,
    x: PHASE_PERCENT,
    y: Array.from({ length: DENSITY_BINS }, (_, b) => min + (b + 0.5) * width),
    z: z.map(row => row.map(count => (count === 0 ? null : count))),
    colorscale: [
      [0, withAlpha(theme.cycle, 0.15)],
      [1, theme.fontSecondary]
    ],
    showscale: false,
    showlegend: true,
    hovertemplate: '%{x:.1f} %: %{z} cycles near %{y:.4g}<extra></extra>'
  } as Data;
}

function countOf(group: IGroupAnalysis, outliers: Set<number>, kind: 'outlier' | 'invalid'): number {
  let n = 0;
  for (let c = 0; c < group.cycles; c++) {
    if (kind === 'outlier' ? outliers.has(c) : !outliers.has(c) && !group.validation.valid[c]) {
      n++;
    }
  }
  return n;
}

/** Per-cycle ROM of one feature per subject: a box with every cycle as a point. */
export function romFigure(group: IGroupAnalysis, feature: number, theme: IPlotTheme): { data: Data[]; layout: Partial<Layout> } {
  const C = group.cycles;
  const rom = group.perCycle.rom.subarray(feature * C, (feature + 1) * C);
  const data: Data[] = group.subjects.map((subject, i) => {
    const y: number[] = [];
    const text: string[] = [];
    for (let c = 0; c < C; c++) {
      if (group.cycleSubjects[c] === subject) {
        y.push(rom[c]);
        text.push(safeLabel(`${subject} · cycle ${group.cycleIndex[c]}`));
      }
    }
    return {
      type: 'box',
      name: safeLabel(subject),
      y,
      text,
      boxpoints: 'all',
      jitter: 0.4,
      pointpos: 0,
      marker: { color: theme.palette[i % theme.palette.length], size: 4 },
      hovertemplate: '%{text}: %{y:.4g}<extra></extra>'
    } as Data;
  });
  const name = group.features[feature];
  return { data, layout: { ...baseLayout(theme, safeLabel(`ROM per cycle — ${name}`), unitOf(name)), showlegend: false } };
}

/** Mean patterns of several groups (tasks of a subject, or subjects of a task) overlaid. */
export function comparisonFigure(
  groups: IGroupAnalysis[],
  featureName: string,
  label: (group: IGroupAnalysis) => string,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const data: Data[] = [];
  groups.forEach((group, i) => {
    const f = group.features.indexOf(featureName);
    if (f < 0) {
      return;
    }
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: safeLabel(`${label(group)} (${group.cycles})`),
      x: PHASE_PERCENT,
      y: sliceOf(group.patterns.mean, f * PHASES, PHASES),
      line: { color: theme.palette[i % theme.palette.length], width: 2 },
      hovertemplate: `${safeLabel(label(group))} %{x:.1f} %: %{y:.4g}<extra></extra>`
    });
  });
  const layout = baseLayout(theme, safeLabel(`Mean patterns — ${featureName}`), unitOf(featureName));
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  return { data, layout };
}

/** Feature correlation heatmap, over all samples (phase null) or at one phase index. */
export function correlationFigure(
  group: IGroupAnalysis,
  phase: number | null,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const F = group.features.length;
  const source = phase === null ? group.correlations.features : group.correlations.phases;
  const z: Array<Array<number | null>> = [];
  for (let a = 0; a < F; a++) {
    const row: Array<number | null> = [];
    for (let b = 0; b < F; b++) {
      const v = source ? source[(phase === null ? 0 : phase * F * F) + a * F + b] : NaN;
      row.push(Number.isFinite(v) ? v : null);
    }
    z.push(row);
  }
  const data: Data[] = [
    {
      type: 'heatmap',
      z,
      x: group.features.map(safeLabel),
      y: group.features.map(safeLabel),
      zmin: -1,
      zmax: 1,
      colorscale: 'RdBu',
      reversescale: true,
      hovertemplate: '%{y} × %{x}: %{z:.3f}<extra></extra>'
    } as Data
  ];
  const title =
    phase === null
      ? 'Pearson correlation over all samples'
      : `Correlation across cycles at ${PHASE_PERCENT[phase].toFixed(1)} % of the cycle`;
  const layout = baseLayout(theme, title, '');
  layout.margin = { l: 220, r: 20, t: 40, b: 180 };
  (layout.xaxis as Record<string, unknown>).tickangle = -45;
  (layout.yaxis as Record<string, unknown>).autorange = 'reversed';
  return { data, layout };
}

/** The unit of a variable from its name's suffix, for axis titles (`N·m/kg`; '' without one). */
export function unitOf(name: string): string {
  return unitLabel(name);
}

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (!hex) {
    return color;
  }
  const n = parseInt(hex[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * A task's population: each subject's mean pattern (thin), the population mean over subjects
 * (thick) and its ± 1 SD band between subjects.
 */
export function populationFigure(
  population: IPopulationStatistics,
  feature: number,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const F = population.features.length;
  const name = population.features[feature];
  const mean = sliceOf(population.mean, feature * PHASES, PHASES);
  const sd = sliceOf(population.std, feature * PHASES, PHASES);
  const data: Data[] = population.subjects.map((subject, s) => ({
    type: 'scatter',
    mode: 'lines',
    name: safeLabel(subject),
    x: PHASE_PERCENT,
    y: sliceOf(population.subjectMeans, (s * F + feature) * PHASES, PHASES),
    line: { color: theme.palette[s % theme.palette.length], width: 1 },
    opacity: 0.7,
    hovertemplate: `${safeLabel(subject)} %{x:.1f} %: %{y:.4g}<extra></extra>`
  }));
  data.push(...sdBand(mean, sd, theme, 'between-subject ± 1 SD'), {
    type: 'scatter',
    mode: 'lines',
    name: `population mean (${population.subjects.length} subjects)`,
    x: PHASE_PERCENT,
    y: mean,
    line: { color: theme.accent, width: 3 },
    hovertemplate: 'population mean %{x:.1f} %: %{y:.4g}<extra></extra>'
  });
  const layout = baseLayout(theme, safeLabel(`${name} — ${population.task}: subject means and the population`), unitOf(name));
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  return { data, layout };
}
