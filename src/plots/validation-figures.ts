/**
 * The validation tuner's figure: a task's strides of one variable (passing and failing, WebGL
 * lines with gaps between strides) and the range box at each checked phase, as editable shapes
 * (dragging an edge changes that bound).
 */
import type { Data, Layout, Shape } from 'plotly.js';

import { PHASE_PERCENT, baseLayout, safeLabel, unitOf, type IPlotTheme } from './figures';

/** A range box as drawn: its phase, sample index and bounds (null: no check, not drawn). */
export interface ITunerBox {
  phase: number;
  index: number;
  min: number | null;
  max: number | null;
}

/** Half the width of a box, in % of the gait cycle. */
export const BOX_HALF_WIDTH = 1.2;

/** The x of a box's sample index (as the strides are drawn: index · 100/149). */
export function boxCenter(index: number): number {
  return PHASE_PERCENT[index];
}

/**
 * @param curves - `[drawn stride][150]` samples.
 * @param failing - per drawn stride, whether it fails this variable's checks.
 * @param totals - the task's strides and failing strides (the legend says how many are drawn).
 */
export function tunerFigure(
  curves: Float64Array,
  failing: boolean[],
  boxes: ITunerBox[],
  theme: IPlotTheme,
  title: { task: string; variable: string },
  totals: { strides: number; failing: number }
): { data: Data[]; layout: Partial<Layout> } {
  const lines = (which: boolean) => {
    const x: number[] = [];
    const y: number[] = [];
    let count = 0;
    failing.forEach((fails, s) => {
      if (fails !== which) {
        return;
      }
      count++;
      for (let p = 0; p < 150; p++) {
        x.push(PHASE_PERCENT[p]);
        const v = curves[s * 150 + p];
        y.push(Number.isFinite(v) ? v : NaN);
      }
      x.push(NaN);
      y.push(NaN);
    });
    return { x, y, count };
  };
  const passing = lines(false);
  const failed = lines(true);
  const data: Data[] = [
    {
      type: 'scatter',
      mode: 'lines',
      name: `passing (${passing.count} drawn of ${totals.strides - totals.failing})`,
      x: passing.x,
      y: passing.y,
      line: { color: theme.cycle, width: 1 },
      opacity: 0.5,
      hoverinfo: 'skip'
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: `failing this variable (${failed.count} drawn)`,
      x: failed.x,
      y: failed.y,
      line: { color: theme.invalid, width: 1.2 },
      hoverinfo: 'skip'
    }
  ];
  const shapes: Array<Partial<Shape>> = boxes
    .filter(box => box.min !== null && box.max !== null)
    .map(box => ({
      type: 'rect',
      xref: 'x',
      yref: 'y',
      x0: boxCenter(box.index) - BOX_HALF_WIDTH,
      x1: boxCenter(box.index) + BOX_HALF_WIDTH,
      y0: Math.min(box.min!, box.max!),
      y1: Math.max(box.min!, box.max!),
      line: { color: theme.accent, width: 2 },
      fillcolor: 'rgba(0,0,0,0)',
      editable: true,
      name: `phase ${box.phase}`
    }));
  const layout = baseLayout(theme, safeLabel(`${title.variable} — ${title.task}: ranges at the checked phases`), unitOf(title.variable));
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  (layout.xaxis as Record<string, unknown>).range = [-2, 102];
  layout.shapes = shapes;
  layout.dragmode = 'pan';
  return { data, layout };
}

/** The bounds a relayout event sets on the drawn boxes: `{shape index: {y0?, y1?}}`. */
export function editedBoxes(update: Record<string, unknown>): Map<number, { y0?: number; y1?: number }> {
  const out = new Map<number, { y0?: number; y1?: number }>();
  for (const [key, value] of Object.entries(update)) {
    const match = /^shapes\[(\d+)\]\.(y0|y1)$/.exec(key);
    if (match && typeof value === 'number') {
      const entry = out.get(Number(match[1])) ?? {};
      entry[match[2] as 'y0' | 'y1'] = value;
      out.set(Number(match[1]), entry);
    }
  }
  return out;
}
