/**
 * Plotly figures of a cross-dataset comparison: each dataset's mean ± 1 SD pattern of a feature,
 * overlaid in one plot or one plot per dataset on a shared y range. Pure functions, no DOM.
 */
import type { Data, Layout } from 'plotly.js';

import type { IDatasetPattern } from '../core/analysis/dataset-comparison';
import { PHASES } from '../core/kernels/types';
import { PHASE_PERCENT, baseLayout, safeLabel, unitOf, type IPlotTheme } from './figures';

/** The last part of a path, for legends and titles. */
export function shortName(path: string): string {
  return path.split('/').pop() ?? path;
}

function patternOf(pattern: IDatasetPattern, feature: string): { mean: number[]; sd: number[] } | null {
  const f = pattern.features.indexOf(feature);
  if (f < 0) {
    return null;
  }
  const slice = (array: Float64Array) => Array.from(array.subarray(f * PHASES, (f + 1) * PHASES), v => (Number.isFinite(v) ? v : NaN));
  return { mean: slice(pattern.mean), sd: slice(pattern.std) };
}

function rgba(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  if (!hex) {
    return color;
  }
  const n = parseInt(hex[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** One dataset's band (lower edge, upper edge filled down to it) and mean line, in its colour. */
function datasetTraces(pattern: IDatasetPattern, feature: string, color: string): Data[] {
  const values = patternOf(pattern, feature);
  if (!values) {
    return [];
  }
  const label = safeLabel(shortName(pattern.name));
  const edge = (sign: number) => values.mean.map((m, p) => m + sign * values.sd[p]);
  const group = `dataset-${label}`;
  return [
    {
      type: 'scatter',
      mode: 'lines',
      name: `${label} −1 SD`,
      legendgroup: group,
      x: PHASE_PERCENT,
      y: edge(-1),
      line: { width: 0, color },
      hoverinfo: 'skip',
      showlegend: false
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: `${label} ± 1 SD`,
      legendgroup: group,
      x: PHASE_PERCENT,
      y: edge(1),
      fill: 'tonexty',
      fillcolor: rgba(color, 0.18),
      line: { width: 0, color },
      hoverinfo: 'skip'
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: `${label} mean (${pattern.subjects.length} subjects, ${pattern.cycles} cycles)`,
      legendgroup: group,
      x: PHASE_PERCENT,
      y: values.mean,
      line: { color, width: 2.5 },
      hovertemplate: `${label} %{x:.1f} %: %{y:.4g}<extra></extra>`
    }
  ];
}

/** The y range that holds every dataset's mean ± 1 SD of a feature (for side-by-side plots). */
export function sharedRange(patterns: IDatasetPattern[], feature: string): [number, number] | null {
  let low = Infinity;
  let high = -Infinity;
  for (const pattern of patterns) {
    const values = patternOf(pattern, feature);
    values?.mean.forEach((m, p) => {
      const sd = Number.isFinite(values.sd[p]) ? values.sd[p] : 0;
      if (Number.isFinite(m)) {
        low = Math.min(low, m - sd);
        high = Math.max(high, m + sd);
      }
    });
  }
  if (!(high >= low)) {
    return null;
  }
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return [low - pad, high + pad];
}

/**
 * Mean ± 1 SD patterns of one feature for the given datasets, in one plot.
 *
 * @param colorOffset - the palette index of the first dataset (side-by-side plots keep each
 *   dataset's colour of the overlay).
 * @param yRange - a fixed y range (side-by-side plots share one).
 */
export function datasetPatternsFigure(
  patterns: IDatasetPattern[],
  feature: string,
  theme: IPlotTheme,
  options: { colorOffset?: number; yRange?: [number, number] | null; title?: string } = {}
): { data: Data[]; layout: Partial<Layout> } {
  const offset = options.colorOffset ?? 0;
  const data = patterns.flatMap((pattern, d) => datasetTraces(pattern, feature, theme.palette[(offset + d) % theme.palette.length]));
  const title =
    options.title ??
    (patterns.length === 1
      ? `${shortName(patterns[0].name)} — ${feature}, ${patterns[0].task}`
      : `${feature} — ${patterns[0]?.task ?? ''}: mean ± 1 SD per dataset`);
  const layout = baseLayout(theme, safeLabel(title), unitOf(feature));
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  (layout.xaxis as Record<string, unknown>).range = [0, 100];
  if (options.yRange) {
    (layout.yaxis as Record<string, unknown>).range = options.yRange;
  }
  return { data, layout };
}
