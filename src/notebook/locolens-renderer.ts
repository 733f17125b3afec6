/**
 * The renderer of `application/vnd.locolens.v1+json` notebook outputs.
 *
 * #### Notes
 * A fresh spec (no `results`) is computed like the analysis view: the file is read through the
 * Jupyter server, the kernels run off the page's thread, the view is drawn with plotly. Then the
 * output keeps a compact copy of the results and a static fallback (`image/png` of the plot and a
 * `text/html` table with that image) through `model.setData`, so a saved notebook shows them where
 * the data or the extension is missing. A spec with results draws from them, marked as saved.
 * Nothing from the spec, the results or the file is inserted as HTML or run: text goes in as text,
 * and plot labels are escaped before plotly sees them.
 */
import { LOCOLENS_VERSION } from '../core/version';
import { runGauges } from '../core/analysis/analysis-digest';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import type { Data, Layout } from 'plotly.js';

import { AnalysisModel } from '../model/analysis-model';
import { missingSamples, progressFraction, type IAnalysisResult, type IGroupAnalysis } from '../core/analysis/result';
import { describeError } from '../core/errors';
import { formatBytes } from '../core/format';
import { quantileSorted } from '../core/kernels/reference';
import { PHASES } from '../core/kernels/types';
import { correlationFigure, cycleScatterFigure, patternFigure, romFigure } from '../plots/figures';
import { readTheme } from '../plots/plot-theme';
import { savedCorrelationFigure, savedPatternFigure, savedRomFigure } from '../plots/saved-figures';
import { DatasetSummaryView } from '../lab/dataset-summary-view';
import { exportFigureButton } from '../lab/figure-export';
import { plotMeta, type PlotKind } from '../plots/publication';
import { h, tableOf } from '../lab/dom';
import type { ILocolensDatasets } from '../lab/tokens';
import type { LiveAnalyses } from './live-analyses';
import { checkServed, resolveNotebookPath } from './paths';
import { LOCOLENS_MIME, checkSpec, type ILocolensSpec, type ISavedResults } from './spec';

type Plotly = typeof import('plotly.js-dist-min').default;

/** Renders one locolens output. */
export class LocolensRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly datasets: ILocolensDatasets,
    private readonly live: LiveAnalyses | null = null
  ) {
    super();
    this.addClass('locolens-output');
  }

  private writtenToken: string | null = null;
  private plotly: Plotly | null = null;
  private feature = 0;
  /** The analysis of a computed output (shared with the kernel for `locolens.analyze`). */
  private model: AnalysisModel | null = null;
  private releaseModel: (() => void) | null = null;
  /** Redraws the live plots: all (feature changed), or those that show the selection. */
  private redraw: ((what?: 'all' | 'selection') => Promise<void>) | null = null;

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const checked = checkSpec(model.data[LOCOLENS_MIME]);
    if ('errors' in checked) {
      this.showError('This locolens output cannot be shown', checked.errors);
      return;
    }
    const spec = checked.spec;
    if (spec.results && spec.results.token === this.writtenToken) {
      return; // Our own save: the live view stays.
    }
    if (spec.results) {
      await this.renderSaved(spec, spec.results, model);
      return;
    }
    await this.compute(spec, model);
  }

  private async compute(spec: ILocolensSpec, mime: IRenderMime.IMimeModel): Promise<void> {
    this.node.replaceChildren(h('div', { class: 'locolens-message', role: 'status' }, `locolens: reading ${spec.path}…`));
    let path: string;
    try {
      path = await this.resolve(spec.path);
    } catch (error) {
      this.showError(describeError(error));
      return;
    }
    if (spec.view === 'dataset') {
      try {
        const file = await this.datasets.stat(path);
        const summary = await this.datasets.inspect(path);
        // The summary view's DOM only (it needs no Lumino lifecycle); the file is read once.
        const view = new DatasetSummaryView(this.datasets);
        this.node.replaceChildren(
          this.strip(`dataset summary · ${summary.io.millis} ms · read ${formatBytes(summary.io.bytesRead)}`),
          view.node
        );
        await view.load(path);
        const results: ISavedResults = {
          ...this.base(file),
          backend: 'none',
          features: summary.variables.map(v => v.name),
          dataset: summary
        };
        await this.save(spec, results, mime);
      } catch (error) {
        this.showError(`${spec.path}: ${describeError(error)}`);
      }
      return;
    }
    if (!this.isDisposed) {
      this.attachModel(spec, path, mime);
    }
  }

  /** The output's analysis model (for `locolens.analyze`, the one the kernel drives) and its wiring. */
  private attachModel(spec: ILocolensSpec, path: string, mime: IRenderMime.IMimeModel): void {
    this.releaseModel?.();
    const create = () =>
      new AnalysisModel(
        this.datasets,
        { path, task: spec.selection.task ?? '', subject: spec.selection.subject ?? null, features: spec.selection.features ?? null },
        { ddof: spec.options.ddof, nan: spec.options.nan, outlierThreshold: spec.options.threshold, backend: spec.options.backend }
      );
    const acquired =
      spec.live && this.live ? this.live.acquire(spec.live.id, create) : { model: create(), release: () => undefined, fresh: true };
    const model = acquired.model;
    this.model = model;
    this.releaseModel = () => {
      this.releaseModel = null;
      model.statusChanged.disconnect(onStatus);
      model.progressChanged.disconnect(onProgress);
      model.resultChanged.disconnect(onResultChanged);
      model.featureChanged.disconnect(onRedraw);
      model.selectionChanged.disconnect(onSelection);
      if (spec.live && this.live) {
        acquired.release();
      } else {
        model.dispose();
      }
    };
    let file: { path: string; size: number; lastModified: string } | null = null;
    const onResult = async () => {
      try {
        file ??= await this.datasets.stat(path);
        if (model.isDisposed || this.model !== model) {
          return;
        }
        await this.drawLive(spec, path, model);
        const current: ILocolensSpec = {
          ...spec,
          selection: { ...spec.selection, task: model.request.task, subject: model.request.subject ?? null },
          options: { ...spec.options, ddof: model.options.ddof, nan: model.options.nan, threshold: model.options.outlierThreshold }
        };
        await this.save(current, { ...this.base(file), ...this.compact(current, model.result!, model.group!) }, mime);
      } catch (error) {
        this.showError(`${spec.path}: ${describeError(error)}`);
      }
    };
    const onStatus = () => {
      if (model.status === 'running') {
        this.showRunning(spec, model);
      } else if (model.status === 'error') {
        this.showError(`${spec.path}: ${model.error?.message ?? 'the analysis failed'}`);
      } else if (model.status === 'cancelled') {
        this.showError(`${spec.path}: the analysis was cancelled`);
      }
    };
    const onProgress = () => this.showRunning(spec, model);
    const onRedraw = () => void this.redraw?.('all');
    const onSelection = () => void this.redraw?.('selection');
    const onResultChanged = () => void onResult();
    model.statusChanged.connect(onStatus);
    model.progressChanged.connect(onProgress);
    model.resultChanged.connect(onResultChanged);
    model.featureChanged.connect(onRedraw);
    model.selectionChanged.connect(onSelection);
    if (acquired.fresh) {
      void model.run();
    } else if (model.result) {
      void onResult();
    } else {
      this.showRunning(spec, model);
    }
  }

  /** What every saved result starts with. */
  private base(file: { path: string; size: number; lastModified: string }): ISavedResults {
    return {
      token: `${Date.now()}-${Math.random().toString(36).slice(2)}`,
      computedAt: new Date().toISOString(),
      locolensVersion: LOCOLENS_VERSION,
      file,
      backend: 'workers',
      features: []
    };
  }

  /** A progress line with a Cancel button while the model runs. */
  private showRunning(spec: ILocolensSpec, model: AnalysisModel): void {
    if (model.status !== 'running') {
      return;
    }
    const progress = model.progress;
    const cancel = h('button', { class: 'jp-mod-styled jp-mod-warn', 'data-locolens': 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => model.abort());
    const running = h(
      'div',
      { class: 'locolens-message locolens-progress-row', role: 'status', 'data-locolens': 'loading' },
      h('span', {}, `locolens: analysing ${spec.path}`),
      h('progress', { class: 'locolens-progress', max: 1, value: progressFraction(progress), 'aria-label': 'Analysis progress' }),
      h(
        'span',
        { 'data-locolens': 'progress-details' },
        progress ? `${progress.stage} · ${formatBytes(progress.bytesRead)} read · cycles ${progress.cyclesDone}/${progress.cycles}` : ''
      ),
      cancel
    );
    const existing = this.node.querySelector('[data-locolens="loading"]');
    if (existing) {
      existing.replaceWith(running);
    } else if (model.result) {
      this.node.prepend(running);
    } else {
      this.node.replaceChildren(running);
    }
  }

  /** Draw the model's result: the view's plot, and for a live analysis the cycle plot to select in. */
  private async drawLive(spec: ILocolensSpec, path: string, model: AnalysisModel): Promise<void> {
    const result = model.result!;
    const group = model.group!;
    const theme = readTheme(this.node);
    const plot = h('div', { class: 'locolens-output-plot', 'data-locolens': 'plot' });
    const cyclePlot = spec.live ? h('div', { class: 'locolens-output-plot', 'data-locolens': 'cycle-plot' }) : null;
    const label = `${group.task} · ${group.subjects.length === 1 ? group.subjects[0] : `${group.subjects.length} subjects`} · ${group.cycles} cycles · ${group.outliers.cycles.length} outliers (k = ${result.options.outlierThreshold})`;
    const { missing } = missingSamples(group);
    const nan = missing
      ? ` · ${missing.toLocaleString('en-US')} samples missing, ${result.options.nan === 'ignore' ? 'ignored' : 'propagated (LocoHub-exact)'}`
      : '';
    const strip = this.strip(`${label}${nan} · ${runGauges(result).text}`);
    strip.setAttribute('data-outliers', String(group.outliers.cycles.length));
    const figure = async () => {
      const f = model.feature;
      const C = group.cycles;
      if (spec.view === 'patterns' || spec.view === 'outliers') {
        // The drawn feature's cycles: kept by the analysis, else read back from the tensor store (that feature only).
        const samples = group.tensor
          ? group.tensor.data.subarray(f * C * PHASES, (f + 1) * C * PHASES)
          : await this.datasets.groupSamples(path, result, result.groups.indexOf(group), f);
        return patternFigure(group, f, samples, theme, undefined, model.selection);
      }
      if (spec.view === 'rom') {
        return romFigure(group, f, theme);
      }
      if (spec.view === 'correlation') {
        return correlationFigure(group, spec.options.phase ?? null, theme);
      }
      return null;
    };
    const parts: HTMLElement[] = [strip];
    if (spec.view !== 'correlation' && spec.view !== 'summary') {
      this.feature = model.feature;
      parts.push(this.featureSelect(group.features, () => model.setFeature(this.feature)));
    }
    if (spec.view === 'summary' || spec.view === 'outliers') {
      parts.push(
        spec.view === 'summary'
          ? summaryTable(this.compact(spec, result, group).summary!)
          : outlierList(group.outliers.cycles, group.cycleSubjects, group.cycleIndex)
      );
    }
    if (spec.view !== 'summary') {
      parts.push(plot);
    }
    if (cyclePlot) {
      parts.push(cyclePlot);
    }
    // "Export figure…" of each plot: the figure as drawn, written next to the dataset.
    let drawn: { data: Data[]; layout: Partial<Layout> } | null = null;
    let drawnCycles: { data: Data[]; layout: Partial<Layout> } | null = null;
    const footer = h('div', { class: 'locolens-analysis-footer', 'data-locolens': 'figure-footer' });
    const exportable = (figure: { data: Data[]; layout: Partial<Layout> } | null, kind: PlotKind) => {
      const variable = group.features[model.feature];
      return figure
        ? {
            figure,
            meta: plotMeta(kind, variable),
            datasetPath: path,
            nameParts: [group.task, spec.selection.subject ?? undefined, kind === 'correlation' ? undefined : variable, kind]
          }
        : null;
    };
    if (spec.view !== 'summary') {
      const kind: PlotKind = spec.view === 'rom' ? 'rom' : spec.view === 'correlation' ? 'correlation' : 'patterns';
      const buttons = [exportFigureButton(footer, this.datasets, () => exportable(drawn, kind))];
      if (cyclePlot) {
        const cycles = exportFigureButton(footer, this.datasets, () => exportable(drawnCycles, 'cycles'));
        cycles.textContent = 'Export cycle plot…';
        cycles.setAttribute('data-locolens', 'export-cycle-figure');
        buttons.push(cycles);
      }
      parts.push(h('div', { class: 'locolens-output-actions' }, buttons), footer);
    }
    this.node.replaceChildren(...parts);
    this.redraw = async (what = 'all') => {
      if (model.group !== group) {
        return;
      }
      const select = plot.parentElement?.querySelector('[data-locolens="feature"]') as HTMLSelectElement | null;
      if (select) {
        select.value = String(model.feature);
      }
      drawn = await figure();
      await this.plot(plot, drawn);
      if (cyclePlot) {
        // The cycle plot keeps plotly's own selection: a redraw would clear its box.
        if (what === 'all') {
          drawnCycles = cycleScatterFigure(group, model.feature, theme, model.selection);
          await this.plot(cyclePlot, drawnCycles, 320);
        }
        cyclePlot.setAttribute('data-selected', String(model.selection.length));
      }
    };
    await this.redraw();
    if (cyclePlot) {
      this.listenForSelection(cyclePlot, model);
    }
  }

  /** Box/lasso selections and clicks in the cycle plot select cycles in the model. */
  private listenForSelection(node: HTMLElement, model: AnalysisModel): void {
    type Point = { customdata?: unknown; pointIndex?: number; pointNumber?: number; data?: { customdata?: unknown[] } };
    type Points = { points?: Point[] };
    const plotNode = node as HTMLElement & { on(event: string, handler: (data?: Points) => void): void };
    // WebGL traces may leave `customdata` off the event's points: take it from the trace.
    const cycleOf = (point: Point) => Number(point.customdata ?? point.data?.customdata?.[point.pointIndex ?? point.pointNumber ?? -1]);
    const cyclesOf = (data?: Points) => (data?.points ?? []).map(cycleOf).filter(c => Number.isInteger(c));
    plotNode.on('plotly_selected', data => {
      if (data) {
        model.select(cyclesOf(data));
      }
    });
    plotNode.on('plotly_click', data => model.select(cyclesOf(data)));
    plotNode.on('plotly_deselect', () => model.select([]));
  }

  /** Draw from saved results (the data file may be gone, or no kernel runs). */
  private async renderSaved(spec: ILocolensSpec, results: ISavedResults, model: IRenderMime.IMimeModel): Promise<void> {
    const theme = readTheme(this.node);
    const plot = h('div', { class: 'locolens-output-plot', 'data-locolens': 'plot' });
    const recompute = h(
      'button',
      { class: 'jp-mod-styled', 'data-locolens': 'recompute', title: 'Read the file again and recompute' },
      'Recompute'
    );
    recompute.addEventListener('click', () => {
      this.writtenToken = null;
      void this.compute({ ...spec, results: undefined }, model);
    });
    const strip = h(
      'div',
      { class: 'locolens-strip', 'data-locolens': 'strip' },
      h('span', { class: 'locolens-saved', 'data-locolens': 'saved' }, 'saved results'),
      ` · ${results.file.path} as of ${results.file.lastModified || 'unknown'} · computed ${results.computedAt} by ${results.backend}${results.adapter ? ` on ${results.adapter}` : ''} · `,
      recompute
    );
    const parts: HTMLElement[] = [strip];
    const draw = (): { data: Data[]; layout: Partial<Layout> } | null => {
      const name = results.features[this.feature];
      if ((spec.view === 'patterns' || spec.view === 'outliers') && results.patterns?.[name]) {
        return savedPatternFigure(name, results, theme);
      }
      if (spec.view === 'rom' && results.rom?.[name]) {
        return savedRomFigure(name, results.rom[name], theme);
      }
      if (spec.view === 'correlation' && results.correlation) {
        return savedCorrelationFigure(results.features, results.correlation, theme);
      }
      return null;
    };
    this.feature = Math.max(
      0,
      results.features.findIndex(name => name.startsWith('knee_flexion_angle'))
    );
    if (spec.view === 'patterns' || spec.view === 'rom' || spec.view === 'outliers') {
      parts.push(this.featureSelect(results.features, () => void this.plot(plot, draw())));
    }
    if (spec.view === 'summary' && results.summary) {
      parts.push(summaryTable(results.summary));
    }
    if (spec.view === 'outliers' && results.outliers) {
      parts.push(outlierList(results.outliers.cycles, results.outliers.cycleSubjects, results.outliers.cycleIndex));
    }
    if (spec.view === 'dataset') {
      parts.push(h('p', {}, `${results.features.length} variables; open the file in the dataset browser for the full summary.`));
    }
    if (spec.view !== 'summary' && spec.view !== 'dataset') {
      parts.push(plot);
    }
    this.node.replaceChildren(...parts);
    void this.plot(plot, draw());
  }

  /** The compact results of a group for the view. */
  private compact(
    spec: ILocolensSpec,
    result: IAnalysisResult,
    group: IGroupAnalysis
  ): Omit<ISavedResults, 'token' | 'computedAt' | 'locolensVersion' | 'file'> {
    const F = group.features.length;
    const C = group.cycles;
    const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(7)) : null);
    const out: Omit<ISavedResults, 'token' | 'computedAt' | 'locolensVersion' | 'file'> = {
      backend: result.backend,
      adapter: result.adapter,
      task: group.task,
      subjects: group.subjects,
      cycles: C,
      features: group.features
    };
    if (spec.view === 'patterns' || spec.view === 'outliers') {
      out.patterns = Object.fromEntries(
        group.features.map((name, f) => [
          name,
          {
            mean: Array.from(group.patterns.mean.subarray(f * PHASES, (f + 1) * PHASES), round),
            std: Array.from(group.patterns.std.subarray(f * PHASES, (f + 1) * PHASES), round)
          }
        ])
      );
      out.outliers = {
        cycles: group.outliers.cycles,
        cut: round(group.outliers.cut),
        rmse: Array.from(group.outliers.rmse, round),
        cycleSubjects: group.cycleSubjects,
        cycleIndex: group.cycleIndex
      };
    }
    if (spec.view === 'rom') {
      out.rom = {};
      group.features.forEach((name, f) => {
        out.rom![name] = {};
        for (const subject of group.subjects) {
          const values = Float64Array.from(
            Array.from({ length: C }, (_, c) => c).filter(c => group.cycleSubjects[c] === subject),
            c => group.perCycle.rom[f * C + c]
          )
            .filter(v => Number.isFinite(v))
            .sort();
          if (values.length) {
            out.rom![name][subject] = {
              min: values[0],
              q1: quantileSorted(values, 0.25),
              median: quantileSorted(values, 0.5),
              q3: quantileSorted(values, 0.75),
              max: values[values.length - 1],
              n: values.length
            };
          }
        }
      });
    }
    if (spec.view === 'correlation') {
      out.correlation = Array.from({ length: F }, (_, a) => Array.from(group.correlations.features.subarray(a * F, (a + 1) * F), round));
    }
    if (spec.view === 'summary') {
      out.summary = Object.fromEntries(
        group.features.map((name, f) => [
          name,
          Object.fromEntries(
            (['mean', 'std', 'min', 'max', 'median', 'q25', 'q75'] as const).map(key => [key, round(group.summary[key][f])])
          )
        ])
      );
    }
    return out;
  }

  /** Keep results and the static fallback in the output. */
  private async save(spec: ILocolensSpec, results: ISavedResults, model: IRenderMime.IMimeModel): Promise<void> {
    const plot = this.node.querySelector('[data-locolens="plot"]') as HTMLElement | null;
    let png: string | null = null;
    if (plot && this.plotly && plot.classList.contains('js-plotly-plot')) {
      const url = await this.plotly.toImage(plot, { format: 'png', width: 900, height: 450 });
      png = url.replace(/^data:image\/png;base64,/, '');
    }
    this.writtenToken = results.token;
    const data: Record<string, unknown> = { ...model.data, [LOCOLENS_MIME]: { ...spec, results } };
    if (png) {
      data['image/png'] = png;
    }
    data['text/html'] = fallbackHtml(spec, results, png);
    model.setData({ data: data as IRenderMime.IMimeModel['data'], metadata: model.metadata });
    // Tests (and curious users) can see that the results are now part of the output.
    this.node.setAttribute('data-results-kept', results.computedAt);
  }

  /**
   * A path relative to the notebook, resolved to the server root; it may not leave the root, as
   * written or through a symlink (src/notebook/paths.ts).
   */
  private async resolve(path: string): Promise<string> {
    // The notebook's folder, from the output's resolver ("" at the server root).
    const resolver = this.options.resolver;
    const probe = resolver ? decodeURIComponent(await resolver.resolveUrl('locolens-probe')) : 'locolens-probe';
    const folder = probe.replace(/^\/+/, '').split('/').slice(0, -1).join('/');
    const resolved = resolveNotebookPath(folder, path);
    const settings = ServerConnection.makeSettings();
    await checkServed(resolved, file =>
      ServerConnection.makeRequest(URLExt.join(settings.baseUrl, 'files', URLExt.encodeParts(file)), { method: 'HEAD' }, settings)
    );
    return resolved;
  }

  private featureSelect(features: string[], onChange: () => void): HTMLElement {
    const select = h(
      'select',
      { class: 'jp-mod-styled', 'aria-label': 'Feature', 'data-locolens': 'feature' },
      features.map((name, f) => {
        const option = h('option', { value: f }, name);
        option.selected = f === this.feature;
        return option;
      })
    );
    select.addEventListener('change', () => {
      this.feature = Number(select.value);
      onChange();
    });
    return h('label', { class: 'locolens-inline' }, 'Feature ', select);
  }

  private async plot(node: HTMLElement, figure: { data: Data[]; layout: Partial<Layout> } | null, height = 420): Promise<void> {
    if (!figure) {
      return;
    }
    if (!this.plotly) {
      this.plotly = (await import('plotly.js-dist-min')).default;
    }
    await this.plotly.react(node, figure.data, { ...figure.layout, height }, { responsive: true, displaylogo: false });
    node.setAttribute('data-drawn', 'true');
  }

  private strip(text: string): HTMLElement {
    return h('div', { class: 'locolens-strip', 'data-locolens': 'strip' }, text);
  }

  private showError(title: string, details: string[] = []): void {
    this.node.replaceChildren(
      h(
        'div',
        { class: 'locolens-message locolens-message-error', role: 'alert', 'data-locolens': 'error' },
        h('strong', {}, title),
        details.length
          ? h(
              'ul',
              {},
              details.map(d => h('li', {}, d))
            )
          : null
      )
    );
  }

  protected onBeforeDetach(): void {
    for (const plot of Array.from(this.node.querySelectorAll('.js-plotly-plot'))) {
      this.plotly?.purge(plot as HTMLElement);
    }
  }

  dispose(): void {
    // A re-executed or cleared output stops its analysis (unless another output shows it).
    this.releaseModel?.();
    this.model = null;
    super.dispose();
  }
}

function summaryTable(summary: Record<string, Record<string, number | null>>): HTMLElement {
  const keys = ['mean', 'std', 'min', 'max', 'median', 'q25', 'q75'];
  return tableOf(
    ['feature', ...keys],
    Object.entries(summary).map(([name, row]) => [name, ...keys.map(key => (row[key] === null ? 'NaN' : Number(row[key]).toPrecision(5)))]),
    { 'data-locolens': 'summary-table' }
  );
}

function outlierList(cycles: number[], subjects: string[], index: number[]): HTMLElement {
  return h(
    'p',
    { 'data-locolens': 'outlier-list' },
    cycles.length ? `Outlier cycles: ${cycles.map(c => `${subjects[c]} #${index[c]}`).join(', ')}` : 'No outlier cycles.'
  );
}

/** The HTML fallback: escaped text and our own PNG only. */
export function fallbackHtml(spec: ILocolensSpec, results: ISavedResults, png: string | null): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
  const rows: string[] = [];
  if (results.summary) {
    for (const [name, row] of Object.entries(results.summary)) {
      rows.push(
        `<tr><td>${escape(name)}</td>${['mean', 'std', 'min', 'max', 'median', 'q25', 'q75'].map(k => `<td>${row[k] === null ? 'NaN' : escape(String(row[k]))}</td>`).join('')}</tr>`
      );
    }
  }
  const head = `<p><strong>locolens ${escape(spec.view)}</strong> of ${escape(spec.path)}${results.task ? ` · ${escape(results.task)}` : ''}${results.subjects ? ` · ${escape(results.subjects.join(', '))}` : ''}${results.cycles !== undefined ? ` · ${results.cycles} cycles` : ''}${results.outliers ? ` · ${results.outliers.cycles.length} outliers` : ''} (saved ${escape(results.computedAt)}, ${escape(results.backend)})</p>`;
  const image = png ? `<img alt="locolens ${escape(spec.view)} plot" src="data:image/png;base64,${png}"/>` : '';
  const table = rows.length
    ? `<table><thead><tr><th>feature</th><th>mean</th><th>std</th><th>min</th><th>max</th><th>median</th><th>q25</th><th>q75</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '';
  return `<div class="locolens-fallback">${head}${image}${table}</div>`;
}
