/**
 * "Export figure…": any plot of the extension as a publication figure (PNG, SVG or PDF at a size
 * in mm, a DPI and a journal style) with the numbers behind it as CSV, both written next to the
 * dataset through the Contents API.
 *
 * #### Notes
 * PNG and SVG come from plotly's own `Plotly.toImage` (of the restyled figure, not of the plot on
 * screen); the PDF is the SVG drawn as vectors by svg2pdf.js into a jsPDF page of the figure's
 * size in points. plotly, jsPDF and svg2pdf.js load on first use. The dialog's text is set as text.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import type { Data, Layout } from 'plotly.js';

import {
  checkPublicationOptions,
  DEFAULT_PUBLICATION_OPTIONS,
  FIGURE_FORMATS,
  figureSize,
  figureTable,
  FONT_FAMILIES,
  LEGEND_PLACES,
  pdfSafeSvg,
  physicalSvg,
  publicationFigure,
  PUBLICATION_STYLES,
  type IFigureMeta,
  type IPublicationOptions
} from '../plots/publication';
import { h } from './dom';
import { exportFigureFiles, showExport, type IExportTarget } from './export-results';

/** A figure as drawn, with what the export needs to know of it. */
export interface IExportableFigure {
  figure: { data: Data[]; layout: Partial<Layout> };
  meta: IFigureMeta;
  /** The dataset the figure comes from (the files go next to it). */
  datasetPath: string;
  /** Parts of the file name after the dataset's stem (task, subject, variable, plot). */
  nameParts: Array<string | undefined>;
}

/** The options last used in this session (the dialog starts from them). */
let lastOptions: IPublicationOptions = { ...DEFAULT_PUBLICATION_OPTIONS };

/** The dialog's form: format, size, DPI, style, font. */
class FigureExportForm extends Widget implements Dialog.IBodyWidget<IPublicationOptions> {
  constructor(initial: IPublicationOptions) {
    super();
    this.addClass('locolens-figure-form');
    const select = (name: string, label: string, options: Array<[string, string]>, value: string) => {
      const element = h(
        'select',
        { class: 'jp-mod-styled', name, 'data-locolens': `figure-${name}`, 'aria-label': label },
        options.map(([v, text]) => h('option', { value: v }, text))
      );
      element.value = value;
      return element;
    };
    const number = (name: string, label: string, value: number, step: number) =>
      h('input', {
        class: 'jp-mod-styled',
        type: 'number',
        name,
        step,
        min: 0,
        value,
        'data-locolens': `figure-${name}`,
        'aria-label': label
      });
    this.format = select(
      'format',
      'Format',
      FIGURE_FORMATS.map(f => [f, f.toUpperCase()]),
      initial.format
    );
    this.width = number('width', 'Width (mm)', initial.widthMm ?? DEFAULT_PUBLICATION_OPTIONS.widthMm!, 1);
    this.height = number('height', 'Height (mm)', initial.heightMm ?? DEFAULT_PUBLICATION_OPTIONS.heightMm!, 1);
    this.dpi = number('dpi', 'DPI', initial.dpi, 50);
    this.style = select('style', 'Style', PUBLICATION_STYLES, initial.style);
    this.font = select('font', 'Font', FONT_FAMILIES, initial.fontFamily);
    this.fontSize = number('font-size', 'Font size (pt)', initial.fontSize, 0.5);
    this.legend = select('legend', 'Legend', LEGEND_PLACES, initial.legend ?? 'top');
    this.keepTitle = h('input', { type: 'checkbox', name: 'title', 'data-locolens': 'figure-title' });
    this.keepTitle.checked = Boolean(initial.title);
    const row = (label: string, field: HTMLElement, note = '') =>
      h(
        'label',
        { class: 'locolens-figure-field' },
        h('span', {}, label),
        field,
        note ? h('span', { class: 'locolens-note' }, note) : null
      );
    this.node.append(
      row('Format', this.format),
      row('Width', this.width, 'mm (one column ≈ 85, two ≈ 175)'),
      row('Height', this.height, 'mm'),
      row('Resolution', this.dpi, 'DPI (PNG; SVG and PDF are vector)'),
      row('Style', this.style),
      row('Font', this.font),
      row('Font size', this.fontSize, 'pt'),
      row('Legend', this.legend),
      h(
        'label',
        { class: 'locolens-figure-field' },
        h('span', {}, 'Title'),
        this.keepTitle,
        h('span', { class: 'locolens-note' }, 'keep the plot title')
      ),
      h('p', { class: 'locolens-note' }, 'The figure and the numbers behind it (CSV, same name) are written next to the dataset.')
    );
  }

  getValue(): IPublicationOptions {
    return {
      format: this.format.value as IPublicationOptions['format'],
      widthMm: Number(this.width.value),
      heightMm: Number(this.height.value),
      dpi: Number(this.dpi.value),
      style: this.style.value as IPublicationOptions['style'],
      fontFamily: this.font.value,
      fontSize: Number(this.fontSize.value),
      title: this.keepTitle.checked,
      legend: this.legend.value as IPublicationOptions['legend']
    };
  }

  private readonly format: HTMLSelectElement;
  private readonly width: HTMLInputElement;
  private readonly height: HTMLInputElement;
  private readonly dpi: HTMLInputElement;
  private readonly style: HTMLSelectElement;
  private readonly font: HTMLSelectElement;
  private readonly fontSize: HTMLInputElement;
  private readonly legend: HTMLSelectElement;
  private readonly keepTitle: HTMLInputElement;
}

/** Ask for the options (null when cancelled). */
export async function askFigureOptions(): Promise<IPublicationOptions | null> {
  const result = await showDialog({
    title: 'Export figure',
    body: new FigureExportForm(lastOptions),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Export' })],
    focusNodeSelector: 'select'
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  lastOptions = result.value;
  return result.value;
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

/**
 * The figure file's content: PNG bytes at the size's pixels, SVG text with its physical size, or
 * PDF bytes of a page the figure's size.
 */
export async function renderPublicationFigure(
  figure: { data: Data[]; layout: Partial<Layout> },
  options: IPublicationOptions,
  meta: IFigureMeta
): Promise<string | Uint8Array> {
  const problem = checkPublicationOptions(options);
  if (problem) {
    throw new Error(problem);
  }
  const size = figureSize(options);
  const styled = publicationFigure(figure, options, meta);
  const Plotly = (await import('plotly.js-dist-min')).default;
  const source = { data: styled.data, layout: styled.layout, config: { staticPlot: true } };
  if (options.format === 'png') {
    const base64 = await Plotly.toImage(source, {
      format: 'png',
      width: size.pngLayoutWidth,
      height: size.pngLayoutHeight,
      scale: size.scale,
      imageDataOnly: true
    } as Parameters<typeof Plotly.toImage>[1]);
    return base64ToBytes(base64);
  }
  const raw = await Plotly.toImage(source, {
    format: 'svg',
    width: size.layoutWidth,
    height: size.layoutHeight,
    scale: 1,
    imageDataOnly: true
  } as Parameters<typeof Plotly.toImage>[1]);
  const svg = physicalSvg(raw, size);
  if (options.format === 'svg') {
    return svg;
  }
  return svgToPdf(pdfSafeSvg(svg), size.widthPt, size.heightPt);
}

/** A vector PDF of one page (width × height points) from an SVG document. */
async function svgToPdf(svg: string, width: number, height: number): Promise<Uint8Array> {
  const [{ jsPDF }] = await Promise.all([import('jspdf'), import('svg2pdf.js')]);
  const element = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
  if (element.nodeName !== 'svg') {
    throw new Error('plotly did not give an SVG document');
  }
  // Laid out (off screen) while it is drawn: svg2pdf reads computed styles.
  const host = h('div', { style: 'position: absolute; left: -10000px; top: 0; visibility: hidden', 'aria-hidden': 'true' });
  host.append(document.importNode(element, true));
  document.body.append(host);
  try {
    const pdf = new jsPDF({ unit: 'pt', format: [width, height], orientation: width > height ? 'landscape' : 'portrait', compress: true });
    await pdf.svg(host.firstElementChild!, { x: 0, y: 0, width, height });
    return new Uint8Array(pdf.output('arraybuffer'));
  } finally {
    host.remove();
  }
}

/** Ask for the options, then write the figure and its numbers next to the dataset, saying where in `footer`. */
export async function exportFigure(footer: HTMLElement, exportable: IExportableFigure, target: IExportTarget): Promise<void> {
  const options = await askFigureOptions();
  if (!options) {
    return;
  }
  await showExport(footer, `the ${options.format.toUpperCase()} figure`, async () => {
    const content = await renderPublicationFigure(exportable.figure, options, exportable.meta);
    return exportFigureFiles(
      target,
      exportable.datasetPath,
      exportable.nameParts,
      options.format,
      content,
      figureTable(exportable.figure, exportable.meta)
    );
  });
}

/**
 * The "Export figure…" button of a plot: `current` gives the figure as drawn (null while none is).
 */
export function exportFigureButton(footer: HTMLElement, target: IExportTarget, current: () => IExportableFigure | null): HTMLButtonElement {
  const button = h(
    'button',
    {
      class: 'jp-mod-styled',
      'data-locolens': 'export-figure',
      title: 'The plot as a PNG, SVG or PDF for a paper, with its numbers as CSV'
    },
    'Export figure…'
  );
  button.addEventListener('click', () => {
    const exportable = current();
    if (exportable) {
      void exportFigure(footer, exportable, target);
    }
  });
  return button;
}
