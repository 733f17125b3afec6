/**
 * Figures drawn from the compact results saved in a notebook output (no data file, no kernel
 * needed): mean ± SD patterns, ROM boxes per subject and the correlation heatmap.
 */
import type { Data, Layout } from 'plotly.js';

import { baseLayout, PHASE_PERCENT, safeLabel, sdBand, type IPlotTheme } from './figures';

/** What the saved figures read (a part of the notebook's saved results). */
export interface ISavedFigureInput {
  task?: string;
  cycles?: number;
  patterns?: Record<string, { mean: Array<number | null>; std: Array<number | null> }>;
  outliers?: { cycles: number[] };
}

export function savedPatternFigure(name: string, results: ISavedFigureInput, theme: IPlotTheme): { data: Data[]; layout: Partial<Layout> } {
  const { mean, std } = results.patterns![name];
  const m = mean.map(v => v ?? NaN);
  const s = std.map(v => v ?? NaN);
  const data: Data[] = [
    ...sdBand(m, s, theme, 'mean ± 1 SD'),
    { type: 'scatter', mode: 'lines', name: 'mean', x: PHASE_PERCENT, y: m, line: { color: theme.accent, width: 2.5 } }
  ];
  const layout = baseLayout(
    theme,
    `${safeLabel(name)} — ${safeLabel(results.task ?? '')} (saved: ${results.cycles} cycles, ${results.outliers?.cycles.length ?? 0} outliers)`,
    ''
  );
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  return { data, layout };
}

export function savedRomFigure(
  name: string,
  boxes: Record<string, { min: number; q1: number; median: number; q3: number; max: number }>,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const subjects = Object.keys(boxes);
  return {
    data: [
      {
        type: 'box',
        x: subjects.map(safeLabel),
        lowerfence: subjects.map(s => boxes[s].min),
        q1: subjects.map(s => boxes[s].q1),
        median: subjects.map(s => boxes[s].median),
        q3: subjects.map(s => boxes[s].q3),
        upperfence: subjects.map(s => boxes[s].max),
        marker: { color: theme.accent }
      } as unknown as Data
    ],
    layout: { ...baseLayout(theme, `ROM per cycle — ${safeLabel(name)} (saved)`, ''), showlegend: false }
  };
}

export function savedCorrelationFigure(
  features: string[],
  matrix: Array<Array<number | null>>,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const labels = features.map(safeLabel);
  const layout = baseLayout(theme, 'Pearson correlation over all samples (saved)', '');
  layout.margin = { l: 220, r: 20, t: 40, b: 180 };
  (layout.yaxis as Record<string, unknown>).autorange = 'reversed';
  return {
    data: [{ type: 'heatmap', z: matrix, x: labels, y: labels, zmin: -1, zmax: 1, colorscale: 'RdBu', reversescale: true } as Data],
    layout
  };
}
