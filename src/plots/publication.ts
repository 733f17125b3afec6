/**
 * Publication figures: any plotly figure of the extension restyled for a journal (a size in mm or
 * inches, a DPI, a font, thin black axes, colours that stay distinct in grayscale), its size in
 * pixels and points, and the numbers behind it as a table (written as CSV beside the figure).
 *
 * #### Notes
 * Pure and headless: no DOM, no plotly import (the lab's figure export renders the result with
 * `Plotly.toImage`, and makes a PDF from the SVG). A layout unit is half a point
 * (`LAYOUT_UNITS_PER_POINT`): font sizes and line widths asked in points are what the journal
 * gets, plotly's fixed minimums (a legend row is at least 19 units, a legend symbol 30) are half
 * as large on paper, the SVG's viewBox is the layout and its width and height are in mm, and a PNG
 * is drawn at `scale = DPI / 144` (pixels = inches × DPI).
 */
import type { Data, Layout } from 'plotly.js';

import type { TableColumns } from '../core/analysis/result-tables';
import { variableAxisTitle } from '../core/dataset/variable-names';

export type FigureFormat = 'png' | 'svg' | 'pdf';
export type PublicationStyle = 'journal' | 'journal-grayscale';

export const FIGURE_FORMATS: FigureFormat[] = ['png', 'svg', 'pdf'];
export const PUBLICATION_STYLES: Array<[PublicationStyle, string]> = [
  ['journal', 'Journal (colour-blind-safe colours and dashes)'],
  ['journal-grayscale', 'Journal, grayscale (black and grays, dashes)']
];
/** Font families offered, with fallbacks (a PDF maps them to its Helvetica or Times). */
export const FONT_FAMILIES: Array<[string, string]> = [
  ['Arial, Helvetica, sans-serif', 'Arial / Helvetica'],
  ['Times New Roman, Times, serif', 'Times']
];

/** What a publication figure is made to. */
export interface IPublicationOptions {
  format: FigureFormat;
  /** Width in mm (or `widthIn` in inches). */
  widthMm?: number;
  widthIn?: number;
  /** Height in mm (or `heightIn` in inches). */
  heightMm?: number;
  heightIn?: number;
  /** Dots per inch of a PNG (an SVG or PDF is vector and keeps its physical size). */
  dpi: number;
  fontFamily: string;
  /** Font size in points. */
  fontSize: number;
  style: PublicationStyle;
  /** Keep the figure's title (journals put it in the caption: off by default). */
  title?: boolean;
  /** Where the legend goes: above the plot (default), right of it, or none. */
  legend?: LegendPlace;
}

export type LegendPlace = 'top' | 'right' | 'none';
export const LEGEND_PLACES: Array<[LegendPlace, string]> = [
  ['top', 'Above the plot'],
  ['right', 'Right of the plot'],
  ['none', 'None']
];

/** A one-column figure of most journals: 85 mm × 60 mm, 300 DPI, 8 pt Arial. */
export const DEFAULT_PUBLICATION_OPTIONS: IPublicationOptions = {
  format: 'png',
  widthMm: 85,
  heightMm: 60,
  dpi: 300,
  fontFamily: FONT_FAMILIES[0][0],
  fontSize: 8,
  style: 'journal'
};

export const MM_PER_INCH = 25.4;
export const POINTS_PER_INCH = 72;
/** Layout units (plotly's "px") per point: 2, so that plotly's fixed minimums stay small on paper. */
export const LAYOUT_UNITS_PER_POINT = 2;
/** The largest PNG side a browser's canvas draws reliably. */
export const MAX_PIXELS_PER_SIDE = 16000;

/** The size of a publication figure in every unit the export needs. */
export interface IFigureSize {
  widthIn: number;
  heightIn: number;
  widthMm: number;
  heightMm: number;
  /** Points (1/72 in): a PDF page's size. */
  widthPt: number;
  heightPt: number;
  /** The layout's width and height (points × LAYOUT_UNITS_PER_POINT): an SVG's viewBox. */
  layoutWidth: number;
  layoutHeight: number;
  /** PNG pixels: inches × DPI, rounded. */
  widthPx: number;
  heightPx: number;
  /** plotly's image scale for the PNG: DPI / (72 × LAYOUT_UNITS_PER_POINT). */
  scale: number;
  /**
   * The layout size handed to `Plotly.toImage` for the PNG: half a pixel over the points, so that
   * the canvas (which truncates width × scale) is exactly widthPx × heightPx.
   */
  pngLayoutWidth: number;
  pngLayoutHeight: number;
}

/** The size of a figure from its options (mm win over inches). */
export function figureSize(options: IPublicationOptions): IFigureSize {
  const widthIn = options.widthMm !== undefined ? options.widthMm / MM_PER_INCH : options.widthIn;
  const heightIn = options.heightMm !== undefined ? options.heightMm / MM_PER_INCH : options.heightIn;
  if (widthIn === undefined || heightIn === undefined) {
    throw new Error('a figure needs a width and a height (mm or inches)');
  }
  const widthPx = Math.round(widthIn * options.dpi);
  const heightPx = Math.round(heightIn * options.dpi);
  const scale = options.dpi / (POINTS_PER_INCH * LAYOUT_UNITS_PER_POINT);
  return {
    widthIn,
    heightIn,
    widthMm: widthIn * MM_PER_INCH,
    heightMm: heightIn * MM_PER_INCH,
    widthPt: widthIn * POINTS_PER_INCH,
    heightPt: heightIn * POINTS_PER_INCH,
    layoutWidth: widthIn * POINTS_PER_INCH * LAYOUT_UNITS_PER_POINT,
    layoutHeight: heightIn * POINTS_PER_INCH * LAYOUT_UNITS_PER_POINT,
    widthPx,
    heightPx,
    scale,
    pngLayoutWidth: (widthPx + 0.5) / scale,
    pngLayoutHeight: (heightPx + 0.5) / scale
  };
}

/** Why the options cannot make a figure, or null when they can. */
export function checkPublicationOptions(options: IPublicationOptions): string | null {
  const inRange = (value: number | undefined, min: number, max: number) =>
    value !== undefined && Number.isFinite(value) && value >= min && value <= max;
  if (!FIGURE_FORMATS.includes(options.format)) {
    return `format must be one of ${FIGURE_FORMATS.join(', ')}`;
  }
  const width = options.widthMm ?? (options.widthIn !== undefined ? options.widthIn * MM_PER_INCH : undefined);
  const height = options.heightMm ?? (options.heightIn !== undefined ? options.heightIn * MM_PER_INCH : undefined);
  if (!inRange(width, 20, 600) || !inRange(height, 20, 600)) {
    return 'width and height must be between 20 and 600 mm';
  }
  if (!inRange(options.dpi, 50, 2400)) {
    return 'DPI must be between 50 and 2400';
  }
  if (!inRange(options.fontSize, 4, 36)) {
    return 'the font size must be between 4 and 36 pt';
  }
  if (options.legend !== undefined && !LEGEND_PLACES.some(([place]) => place === options.legend)) {
    return `legend must be one of ${LEGEND_PLACES.map(([place]) => place).join(', ')}`;
  }
  if (!PUBLICATION_STYLES.some(([style]) => style === options.style)) {
    return `style must be one of ${PUBLICATION_STYLES.map(([style]) => style).join(', ')}`;
  }
  const size = figureSize(options);
  if (options.format === 'png' && Math.max(size.widthPx, size.heightPx) > MAX_PIXELS_PER_SIDE) {
    return `${size.widthPx} × ${size.heightPx} pixels is too large for a PNG (at most ${MAX_PIXELS_PER_SIDE} a side): lower the DPI`;
  }
  return null;
}

/** What the figure shows, where its own layout does not say it. */
export interface IFigureMeta {
  /** The x axis is the gait cycle (0–100 %). */
  phaseAxis?: boolean;
  /** The variable drawn on the y axis (its name gives the title and the unit). */
  variable?: string;
  /** Axis titles that replace the figure's own. */
  xTitle?: string;
  yTitle?: string;
}

/** The phase axis's title. */
export const PHASE_AXIS_TITLE = 'Gait cycle (%)';

/** The plots of the extension, by what their axes show. */
export type PlotKind = 'patterns' | 'compare' | 'population' | 'rom' | 'cycles' | 'correlation';

/** What a plot of the extension shows on its axes, for its publication figure and its table. */
export function plotMeta(kind: PlotKind, variable: string): IFigureMeta {
  switch (kind) {
    case 'rom':
      return { xTitle: 'Subject', yTitle: variableAxisTitle(variable, 'ROM of') };
    case 'cycles':
      return { xTitle: variableAxisTitle(variable, 'ROM of'), yTitle: 'RMSE from the mean pattern' };
    case 'correlation':
      return { xTitle: '', yTitle: '' };
    default:
      return { phaseAxis: true, variable };
  }
}

/** Colour-blind-safe (Okabe & Ito), black first; each series also gets its own dash. */
export const JOURNAL_PALETTE = ['#000000', '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
/** Black and grays, told apart by their dashes. */
export const GRAYSCALE_PALETTE = ['#000000', '#666666', '#333333', '#999999', '#4d4d4d', '#808080'];
export const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot', '4px,2px,1px,2px,1px,2px'];
const MARKER_SYMBOLS = ['circle', 'square', 'triangle-up', 'diamond', 'x', 'cross', 'triangle-down'];

/** Line widths in points. */
export const LINE_WIDTHS = { axis: 0.75, series: 1, emphasis: 1.5, background: 0.4, highlight: 0.75 };

type Trace = Record<string, unknown>;
type Role = 'background' | 'highlight' | 'band-edge' | 'band' | 'emphasis' | 'series';

/** How a trace of the extension's figures is drawn in print (by what it shows). */
function roleOf(trace: Trace): Role {
  const name = plainText(String(trace.name ?? ''));
  if (trace.fill === 'tonexty') {
    return 'band';
  }
  if (trace.hoverinfo === 'skip' && trace.showlegend === false) {
    return 'band-edge';
  }
  if (/^cycles\b/.test(name)) {
    return 'background';
  }
  if (/^(outliers|invalid|selected)\b/.test(name)) {
    return 'highlight';
  }
  if (/^(mean|population mean)\b/.test(name)) {
    return 'emphasis';
  }
  return 'series';
}

/** The style of the k-th highlighted kind (outliers, invalid, selected). */
function highlightStyle(name: string, grayscale: boolean): { color: string; dash: string; symbol: string } {
  if (name.startsWith('outliers')) {
    return { color: grayscale ? '#000000' : '#D55E00', dash: grayscale ? 'dot' : 'solid', symbol: 'x' };
  }
  if (name.startsWith('invalid')) {
    return { color: grayscale ? '#4d4d4d' : '#E69F00', dash: 'dash', symbol: 'triangle-up' };
  }
  return { color: grayscale ? '#333333' : '#0072B2', dash: 'dashdot', symbol: 'diamond' };
}

/**
 * A figure restyled for print: white background, black text in the font and size asked, thin black
 * axes with outside ticks and no grid, lines in a colour-blind-safe palette (or black and grays)
 * each with its own dash, the individual cycles thin and light, the mean thick and black, the SD
 * band a light gray, the phase axis "Gait cycle (%)" over 0–100 %, the y axis titled from the
 * variable's name with its unit. WebGL traces become SVG ones (vector in an SVG or PDF). Sizes
 * are in layout units (`LAYOUT_UNITS_PER_POINT` to a point): the layout is the figure's size.
 */
export function publicationFigure(
  figure: { data: Data[]; layout: Partial<Layout> },
  options: IPublicationOptions,
  meta: IFigureMeta = {}
): { data: Data[]; layout: Partial<Layout> } {
  const size = figureSize(options);
  const grayscale = options.style === 'journal-grayscale';
  const palette = grayscale ? GRAYSCALE_PALETTE : JOURNAL_PALETTE;
  const u = LAYOUT_UNITS_PER_POINT;
  // Sizes in layout units: the font, and each line width.
  const fs = options.fontSize * u;
  const lw = {
    axis: LINE_WIDTHS.axis * u,
    series: LINE_WIDTHS.series * u,
    emphasis: LINE_WIDTHS.emphasis * u,
    background: LINE_WIDTHS.background * u,
    highlight: LINE_WIDTHS.highlight * u
  };
  let series = 0;
  const data = (figure.data as Trace[]).map(source => {
    const trace: Trace = { ...source };
    delete trace.hovertemplate;
    delete trace.selectedpoints;
    trace.hoverinfo = 'skip';
    if (trace.type === 'scattergl') {
      trace.type = 'scatter';
    }
    const type = String(trace.type ?? 'scatter');
    const name = plainText(String(trace.name ?? ''));
    if (type === 'heatmap') {
      const correlation = trace.zmin === -1 && trace.zmax === 1;
      trace.colorscale = correlation
        ? grayscale
          ? [
              [0, '#ffffff'],
              [1, '#000000']
            ]
          : 'RdBu'
        : [
            [0, '#e6e6e6'],
            [1, '#000000']
          ];
      if (correlation) {
        trace.reversescale = !grayscale;
        trace.showscale = true;
        trace.colorbar = { thickness: fs, outlinewidth: lw.axis, tickfont: { size: fs }, len: 1 };
      }
      return trace as Data;
    }
    if (type === 'bar') {
      const k = series++;
      trace.marker = {
        color: grayscale ? GRAYSCALE_PALETTE[(k + 3) % GRAYSCALE_PALETTE.length] : JOURNAL_PALETTE[(k + 1) % JOURNAL_PALETTE.length],
        line: { color: '#000000', width: lw.background }
      };
      return trace as Data;
    }
    if (type === 'box') {
      const k = series++;
      trace.line = { color: grayscale ? '#000000' : palette[k % palette.length], width: lw.highlight };
      trace.fillcolor = 'rgba(0,0,0,0)';
      trace.marker = { color: grayscale ? '#666666' : palette[k % palette.length], size: Math.max(1.5, fs / 4), symbol: MARKER_SYMBOLS[0] };
      return trace as Data;
    }
    const role = roleOf(trace);
    const markers = String(trace.mode ?? 'lines').includes('markers') && !String(trace.mode ?? '').includes('lines');
    if (markers) {
      const style =
        role === 'highlight'
          ? highlightStyle(name, grayscale)
          : {
              color: role === 'background' ? '#999999' : palette[series % palette.length],
              symbol: MARKER_SYMBOLS[series++ % MARKER_SYMBOLS.length]
            };
      trace.marker = { color: style.color, symbol: style.symbol, size: Math.max(2, fs / 2.5), line: { width: 0 } };
      return trace as Data;
    }
    const line = (color: string, width: number, dash = 'solid') => ({ color, width, dash });
    switch (role) {
      case 'band-edge':
        trace.line = line('rgba(0,0,0,0)', 0);
        break;
      case 'band':
        trace.line = line('rgba(0,0,0,0)', 0);
        trace.fillcolor = 'rgba(0,0,0,0.15)';
        break;
      case 'background':
        trace.line = line('#a6a6a6', lw.background);
        trace.opacity = 0.6;
        break;
      case 'highlight': {
        const style = highlightStyle(name, grayscale);
        trace.line = line(style.color, lw.highlight, style.dash);
        trace.opacity = 1;
        break;
      }
      case 'emphasis':
        trace.line = line('#000000', lw.emphasis);
        trace.opacity = 1;
        break;
      default: {
        const k = series++;
        // The colour steps on once per round of dashes: 7 × 7 distinct pairs (6 × 7 in grayscale).
        trace.line = line(palette[(k + Math.floor(k / DASHES.length)) % palette.length], lw.series, DASHES[k % DASHES.length]);
        trace.opacity = 1;
      }
    }
    return trace as Data;
  });

  const source = figure.layout;
  const axis = (from: unknown, title: string | undefined, phase: boolean): Record<string, unknown> => {
    const own = { ...((from as Record<string, unknown>) ?? {}) };
    const ownTitle = (own.title as { text?: string } | undefined)?.text ?? '';
    return {
      ...own,
      ...(phase ? { range: [0, 100], dtick: 20, tick0: 0 } : {}),
      title: { text: title ?? ownTitle, font: { size: fs, color: '#000000' }, standoff: fs / 2 },
      color: '#000000',
      tickfont: { size: fs, color: '#000000' },
      showgrid: false,
      zeroline: false,
      showline: true,
      linecolor: '#000000',
      linewidth: lw.axis,
      mirror: false,
      ticks: 'outside',
      ticklen: fs / 2.5,
      tickwidth: lw.axis,
      tickcolor: '#000000',
      automargin: true
    };
  };
  const phase = meta.phaseAxis ?? /gait cycle \(%\)/i.test(String((source.xaxis?.title as { text?: string } | undefined)?.text ?? ''));
  const xTitle = meta.xTitle ?? (phase ? PHASE_AXIS_TITLE : undefined);
  const yTitle = meta.yTitle ?? (meta.variable ? variableAxisTitle(meta.variable) : undefined);
  const legendShown =
    options.legend !== 'none' &&
    source.showlegend !== false &&
    data.some(trace => (trace as Trace).showlegend !== false && (trace as Trace).type !== 'heatmap');
  const titleText = options.title ? String((source.title as { text?: string } | undefined)?.text ?? '') : '';
  const layout: Partial<Layout> = {
    width: size.layoutWidth,
    height: size.layoutHeight,
    autosize: false,
    font: { family: options.fontFamily, size: fs, color: '#000000' },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    title: titleText
      ? { text: titleText, font: { size: (options.fontSize + 1) * u, color: '#000000' }, x: 0.5, xanchor: 'center' }
      : { text: '' },
    margin: { l: fs, r: fs, t: fs * (titleText ? 2.5 : 1), b: fs, pad: 0 },
    showlegend: legendShown,
    legend: {
      ...(options.legend === 'right'
        ? { orientation: 'v', x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' }
        : { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' }),
      font: { size: Math.max(4, options.fontSize - 1) * u, color: '#000000', family: options.fontFamily },
      bgcolor: 'rgba(0,0,0,0)',
      borderwidth: 0,
      itemwidth: 30,
      tracegroupgap: 0
    },
    xaxis: axis(source.xaxis, xTitle, phase) as Layout['xaxis'],
    yaxis: axis(source.yaxis, yTitle, false) as Layout['yaxis'],
    hovermode: false,
    dragmode: false,
    shapes: (source.shapes ?? []).map(shape => ({
      ...shape,
      line: { color: '#000000', width: lw.axis, dash: shape.line?.dash ?? 'dot' }
    }))
  };
  if (source.boxmode) {
    layout.boxmode = source.boxmode;
  }
  return { data, layout };
}

/** plotly labels are escaped text (`&lt;`): the text itself, for a table or a test. */
export function plainText(label: string): string {
  return label.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function arrayOf(value: unknown): unknown[] | null {
  return Array.isArray(value) ? value : ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : null;
}

function toNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : NaN;
}

/** The runs of a trace cut by nulls in x or y (the cycles of a cycle trace), with the first text of each. */
function segments(trace: Trace): Array<{ x: unknown[]; y: unknown[]; label: string | null }> {
  const x = arrayOf(trace.x) ?? [];
  const y = arrayOf(trace.y) ?? [];
  const text = arrayOf(trace.text);
  const out: Array<{ x: unknown[]; y: unknown[]; label: string | null }> = [];
  let current: { x: unknown[]; y: unknown[]; label: string | null } | null = null;
  for (let i = 0; i < y.length; i++) {
    if (x[i] === null || x[i] === undefined) {
      current = null;
      continue;
    }
    if (!current) {
      current = { x: [], y: [], label: text && typeof text[i] === 'string' && text[i] ? plainText(text[i] as string) : null };
      out.push(current);
    }
    current.x.push(x[i]);
    current.y.push(y[i]);
  }
  return out;
}

function unique(name: string, taken: Set<string>): string {
  let candidate = name || 'trace';
  for (let k = 2; taken.has(candidate); k++) {
    candidate = `${name} (${k})`;
  }
  taken.add(candidate);
  return candidate;
}

/**
 * The numbers behind a figure, as a table.
 *
 * - Line figures on one x grid (the phase patterns, comparisons, population): a column for x
 *   (named by the x axis title) and one per trace named by the trace (each cycle of a cycle trace
 *   is a column named by its label: subject · task · cycle); a ± 1 SD band's edges are
 *   `<band name> (lower)` and `(upper)`.
 * - Any other figure (boxes, markers, heatmaps): one row per point, with the trace's name, the
 *   point's label, x, y (and z for a heatmap).
 *
 * The values are the figure's own numbers (a gap is NaN, an empty field in CSV).
 */
export function figureTable(figure: { data: Data[]; layout: Partial<Layout> }, meta: IFigureMeta = {}): TableColumns {
  const traces = figure.data as Trace[];
  const titleOf = (axis: unknown) =>
    String(((axis as Record<string, unknown> | undefined)?.title as { text?: string } | undefined)?.text ?? '');
  const xName = meta.xTitle || (meta.phaseAxis ? PHASE_AXIS_TITLE : plainText(titleOf(figure.layout.xaxis)) || 'x');
  const yName = meta.yTitle || (meta.variable ? variableAxisTitle(meta.variable) : plainText(titleOf(figure.layout.yaxis)) || 'y');
  const lines = traces.every(trace => {
    const type = String(trace.type ?? 'scatter');
    return (type === 'scatter' || type === 'scattergl') && String(trace.mode ?? 'lines').includes('lines');
  });
  const runs = traces.map(segments);
  const grid = runs.find(run => run.length)?.[0]?.x ?? [];
  const onGrid =
    lines &&
    grid.length > 0 &&
    runs.every(run => run.every(segment => segment.x.length === grid.length && segment.x.every((v, i) => v === grid[i])));
  if (onGrid) {
    const taken = new Set<string>([xName]);
    const columns: TableColumns = { [xName]: Float64Array.from(grid, toNumber) };
    traces.forEach((trace, t) => {
      const name = plainText(String(trace.name ?? `trace ${t + 1}`));
      const next = traces[t + 1];
      const columnName =
        trace.fill === 'tonexty'
          ? `${name} (upper)`
          : next?.fill === 'tonexty' && trace.showlegend === false
            ? `${plainText(String(next.name ?? ''))} (lower)`
            : name;
      const many = runs[t].length > 1;
      runs[t].forEach((segment, k) => {
        columns[unique(segment.label ?? (many ? `${columnName} ${k + 1}` : columnName), taken)] = Float64Array.from(segment.y, toNumber);
      });
    });
    return columns;
  }
  const trace: string[] = [];
  const label: string[] = [];
  const xs: unknown[] = [];
  const ys: unknown[] = [];
  const zs: number[] = [];
  let hasZ = false;
  for (const source of traces) {
    const name = plainText(String(source.name ?? ''));
    const type = String(source.type ?? 'scatter');
    if (type === 'heatmap') {
      hasZ = true;
      const z = (arrayOf(source.z) ?? []).map(row => arrayOf(row) ?? []);
      const x = arrayOf(source.x);
      const y = arrayOf(source.y);
      z.forEach((row, i) =>
        row.forEach((value, j) => {
          trace.push(name);
          label.push('');
          xs.push(x ? x[j] : j);
          ys.push(y ? y[i] : i);
          zs.push(toNumber(value));
        })
      );
      continue;
    }
    const y = arrayOf(source.y) ?? [];
    const x = arrayOf(source.x);
    const text = arrayOf(source.text);
    y.forEach((value, i) => {
      if (value === null && (!x || x[i] === null)) {
        return;
      }
      trace.push(name);
      label.push(text && typeof text[i] === 'string' ? plainText(text[i] as string) : '');
      xs.push(x ? x[i] : type === 'box' ? name : i);
      ys.push(value);
      zs.push(NaN);
    });
  }
  const column = (values: unknown[]): Float64Array | string[] =>
    values.every(v => v === null || v === undefined || typeof v === 'number')
      ? Float64Array.from(values, toNumber)
      : values.map(v => (v === null || v === undefined ? '' : plainText(String(v))));
  const columns: TableColumns = { trace };
  if (label.some(Boolean)) {
    columns.label = label;
  }
  columns[xName === 'trace' || xName === 'label' ? `${xName} (x)` : xName] = column(xs);
  columns[yName === xName ? `${yName} (y)` : yName] = column(ys);
  if (hasZ) {
    columns.z = Float64Array.from(zs);
  }
  return columns;
}

/**
 * An SVG of plotly's with the physical size of the figure: `width`/`height` in mm and a viewBox of
 * the layout (plotly writes pixels, which a journal's tools read at 96 or 72 per inch).
 */
export function physicalSvg(svg: string, size: IFigureSize): string {
  const open = /<svg\b[^>]*>/.exec(svg);
  if (!open) {
    throw new Error('not an SVG document');
  }
  const attributes: Record<string, string> = {
    width: `${round(size.widthMm)}mm`,
    height: `${round(size.heightMm)}mm`,
    viewBox: `0 0 ${round(size.layoutWidth)} ${round(size.layoutHeight)}`
  };
  let tag = open[0];
  for (const [name, value] of Object.entries(attributes)) {
    const pattern = new RegExp(`\\s${name}="[^"]*"`);
    tag = pattern.test(tag) ? tag.replace(pattern, ` ${name}="${value}"`) : tag.replace(/^<svg\b/, `<svg ${name}="${value}"`);
  }
  return svg.slice(0, open.index) + tag + svg.slice(open.index + open[0].length);
}

function round(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/**
 * SVG text a PDF's standard fonts can write: they are WinAnsi-encoded, which has no minus sign
 * (U+2212, plotly's for negative ticks) nor a thin space: those become '-' and ' '.
 */
export function pdfSafeSvg(svg: string): string {
  return svg.replace(/\u2212/g, '-').replace(/[\u2009\u202f\u200a]/g, ' ');
}

/** A file name part from a label (letters, digits, `.`, `-`, `_`). */
export function fileLabel(text: string): string {
  return text.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
}
