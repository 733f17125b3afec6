/**
 * The analysis view (main area): phase patterns with every cycle, per-cycle ROM per subject,
 * mean patterns compared across tasks or subjects, correlation heatmaps with a phase slider,
 * and the per-cycle feature table with export next to the dataset.
 *
 * #### Notes
 * All computing runs in the decode workers (ILocolensDatasets.analyze); this widget only draws.
 * plotly.js is imported on first draw. Strings from the file are set as text, never HTML.
 */
import { Widget } from '@lumino/widgets';

import { populationStatistics, ROM_PERCENTILES, type IPopulationStatistics } from '../core/analysis/population';
import { AnalysisModel } from '../model/analysis-model';
import {
  missingSamples,
  progressFraction,
  type IAnalysisProgress,
  type IAnalysisResult,
  type IGroupAnalysis
} from '../core/analysis/result';
import { formatBytes } from '../core/format';
import { PHASES } from '../core/kernels/types';
import { MAX_CYCLE_LINES, comparisonFigure, correlationFigure, patternFigure, populationFigure, romFigure } from '../plots/figures';
import { readTheme } from '../plots/plot-theme';
import { plotMeta, type IFigureMeta, type PlotKind } from '../plots/publication';
import { h } from './dom';
import { exportPerCycleTable, exportPopulationTables, showExport, type IExportTarget } from './export-results';
import { exportFigureButton, type IExportableFigure } from './figure-export';
import type { BrowserBackend, IAnalysisRequest, ILocolensDatasets, ILocolensPerformance } from './tokens';

type Tab = 'patterns' | 'rom' | 'compare' | 'population' | 'correlation' | 'table';

const TABS: Array<[Tab, string]> = [
  ['patterns', 'Patterns'],
  ['rom', 'ROM'],
  ['compare', 'Compare'],
  ['population', 'Population'],
  ['correlation', 'Correlation'],
  ['table', 'Per-cycle table']
];

const TABLE_PAGE = 200;

const STAGE_LABELS: Record<IAnalysisProgress['stage'], string> = {
  summary: 'Reading the summary…',
  decode: 'Decoding row groups…',
  store: 'Reading stored cycles…',
  'second-pass': 'Outliers and quantiles…',
  kernels: 'Running the kernels…'
};

/** The analysis view. */
export class AnalysisView extends Widget {
  constructor(
    private readonly datasets: ILocolensDatasets,
    readonly request: IAnalysisRequest,
    private readonly exportTarget: IExportTarget,
    private readonly performance: ILocolensPerformance | null = null
  ) {
    super();
    this.addClass('locolens-analysis');
    this.title.label = `${request.task}${request.subject ? ` · ${request.subject}` : ''}`;
    this.title.caption = `${request.path}: ${this.title.label}`;
    this.title.closable = true;
    this.node.replaceChildren(this.header, this.controls, this.plot, this.table, this.footer);
    this.status('Analysing…', 'loading');
    // A subject's view computes all its tasks (the Compare tab draws them).
    this.model = new AnalysisModel(datasets, {
      path: request.path,
      task: request.task,
      subject: request.subject,
      subjects: request.subjects,
      allTasksOfSubject: true
    });
    this.model.progressChanged.connect((_, progress) => this.showProgress(progress));
    this.model.statusChanged.connect((_, status) => this.onStatus(status));
    this.model.resultChanged.connect(() => this.onResult());
    this.model.featureChanged.connect(() => {
      this.page = 0;
      void this.draw();
    });
  }

  /** The analysis this view shows and drives. */
  readonly model: AnalysisModel;

  private readonly header = h('div', { class: 'locolens-analysis-header' });
  private readonly controls = h('div', { class: 'locolens-analysis-controls', role: 'toolbar' });
  private readonly plot = h('div', { class: 'locolens-plot', 'data-locolens': 'plot' });
  private readonly table = h('div', { class: 'locolens-analysis-table' });
  private readonly footer = h('div', { class: 'locolens-analysis-footer' });
  private result: IAnalysisResult | null = null;
  private comparison: IAnalysisResult | null = null;
  private group: IGroupAnalysis | null = null;
  private tab: Tab = 'patterns';
  private phase: number | null = null;
  /** Draw every cycle as a line even past MAX_CYCLE_LINES. */
  private allLines = false;
  /** Subjects the task view is restricted to (empty: all). */
  private subjectFilter: string[] = [];
  private page = 0;
  private plotly: typeof import('plotly.js-dist-min').default | null = null;
  private drawing = 0;

  /** The result shown (for tests and the notebook renderer). */
  get currentResult(): IAnalysisResult | null {
    return this.result;
  }

  /** Run the analysis (again); the view follows its model. */
  load(): Promise<void> {
    return this.model.run();
  }

  private get feature(): number {
    return this.model.feature;
  }

  private onStatus(status: string): void {
    if (status === 'running') {
      this.showProgress(null);
    } else if (status === 'cancelled' || status === 'error') {
      this.status(
        status === 'cancelled'
          ? 'Analysis cancelled. Change an option or press Analyse again to rerun it.'
          : (this.model.error?.message ?? 'The analysis failed.'),
        'error'
      );
      this.header.append(this.rerunButton());
      if (this.model.error?.code === 'not-phase-indexed') {
        const force = h('button', { class: 'jp-mod-styled jp-mod-warn', 'data-locolens': 'force' }, 'Analyse anyway');
        force.addEventListener('click', () => void this.model.setOptions({ force: true }));
        this.header.append(force);
      }
    }
  }

  private onResult(): void {
    const result = this.model.result!;
    const group = this.model.group!;
    if (this.result !== result && this.result?.options.ddof !== result.options.ddof) {
      this.comparison = null;
    }
    this.result = result;
    this.group = group;
    if (this.request.subject && !this.comparison) {
      this.comparison = result;
    }
    this.renderControls();
    this.renderHeader();
    void this.draw();
  }

  /** One feature's cycles of a streamed group from the tensor store (kept per feature). */
  private storedSamples(feature: number): Promise<Float32Array | null> {
    const result = this.result!;
    let samples = this.samplesByFeature.get(feature);
    if (!samples || this.samplesOf !== result) {
      if (this.samplesOf !== result) {
        this.samplesByFeature.clear();
        this.samplesOf = result;
      }
      samples = this.datasets.groupSamples(this.request.path, result, result.groups.indexOf(this.group!), feature);
      this.samplesByFeature.set(feature, samples);
    }
    return samples;
  }

  private readonly samplesByFeature = new Map<number, Promise<Float32Array | null>>();
  private samplesOf: IAnalysisResult | null = null;

  private progressShown = 0;

  /** A progress bar (bytes, row groups, cycles) and a Cancel button while the analysis runs. */
  private showProgress(progress: IAnalysisProgress | null): void {
    const at = performance.now();
    if (progress && at - this.progressShown < 100 && progress.cyclesDone < progress.cycles) {
      return;
    }
    this.progressShown = at;
    const fraction = progressFraction(progress);
    const stage = !progress ? 'Analysing…' : STAGE_LABELS[progress.stage];
    const bar = h('progress', {
      class: 'locolens-progress',
      'data-locolens': 'progress',
      max: 1,
      value: fraction,
      'aria-label': 'Analysis progress'
    });
    const cancel = h('button', { class: 'jp-mod-styled jp-mod-warn', 'data-locolens': 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => this.model.abort());
    const details = progress
      ? [
          progress.rowGroups ? `row groups ${progress.rowGroupsDone}/${progress.rowGroups}` : null,
          `${formatBytes(progress.bytesRead)} read`,
          `cycles ${progress.cyclesDone.toLocaleString('en-US')}/${progress.cycles.toLocaleString('en-US')}`
        ]
          .filter(Boolean)
          .join(' · ')
      : '';
    this.header.replaceChildren(
      h(
        'div',
        { class: 'locolens-message locolens-message-loading locolens-progress-row', role: 'status', 'data-locolens': 'loading' },
        h('span', {}, stage),
        bar,
        h('span', { 'data-locolens': 'progress-details' }, details),
        cancel
      )
    );
  }

  private rerunButton(): HTMLElement {
    const button = h('button', { class: 'jp-mod-styled', 'data-locolens': 'rerun' }, 'Analyse again');
    button.addEventListener('click', () => void this.load());
    return button;
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  /** Redraw with the current theme's colours. */
  refreshTheme(): void {
    if (this.result) {
      void this.draw();
    }
  }

  protected onResize(): void {
    if (this.plotly && this.plot.childElementCount) {
      this.plotly.Plots.resize(this.plot);
    }
  }

  protected onBeforeDetach(): void {
    this.plotly?.purge(this.plot);
  }

  private status(text: string, kind: 'loading' | 'error'): void {
    this.header.replaceChildren(
      h(
        'div',
        { class: `locolens-message locolens-message-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-locolens': kind },
        text
      )
    );
  }

  private renderHeader(): void {
    const group = this.group!;
    const result = this.result!;
    const invalid = group.cycles - group.validation.valid.reduce((sum, v) => sum + v, 0);
    this.header.replaceChildren(
      h('h2', {}, `${group.task} — ${group.subjects.length === 1 ? group.subjects[0] : `${group.subjects.length} subjects`}`),
      h(
        'p',
        { class: 'locolens-analysis-status', 'data-locolens': 'analysis-status' },
        h('span', { 'data-locolens': 'cycle-count' }, `${group.cycles} cycles`),
        ' · ',
        h('span', { 'data-locolens': 'outlier-count' }, `${group.outliers.cycles.length} outliers`),
        ` (RMSE > ${group.outliers.cut.toPrecision(4)}) · `,
        h('span', { 'data-locolens': 'invalid-count' }, `${invalid} invalid`),
        ` · SD ddof ${result.options.ddof} · backend `,
        h('span', { 'data-locolens': 'backend' }, result.backend),
        result.adapter ? h('span', { 'data-locolens': 'adapter' }, ` on ${result.adapter}`) : null,
        ` · ${Math.round(result.timings.totalMs)} ms`,
        result.cached ? h('span', { 'data-locolens': 'from-cache' }, ' · from the browser cache') : null,
        result.tensorSource === 'store' && !result.cached ? ' · cycles from the tensor store' : null
      ),
      this.missingNote(group, result),
      ...(result.memory.mode === 'streamed'
        ? [
            h(
              'p',
              { class: 'locolens-message', 'data-locolens': 'streamed' },
              `Streamed under the ${formatBytes(result.memory.budgetBytes)} memory budget (${formatBytes(result.memory.tensorBytes)} of cycles, chunks of ${result.memory.chunkCycles} cycles): each feature's cycles are read back from the browser's tensor store when drawn (without it, the patterns show mean ± SD only).`
            )
          ]
        : []),
      ...(result.fallback
        ? [h('p', { class: 'locolens-message-error', 'data-locolens': 'fallback', role: 'status' }, result.fallback)]
        : []),
      ...(result.warnings ?? []).map(warning =>
        h('p', { class: 'locolens-message-error', 'data-locolens': 'warning', role: 'status' }, warning)
      ),
      ...result.skipped.map(s => h('p', { class: 'locolens-message-error' }, `Left out ${s.subject} × ${s.task}: ${s.reason}`))
    );
  }

  /** How many samples are missing and how they were treated, with the switch to the other policy. */
  private missingNote(group: IGroupAnalysis, result: IAnalysisResult): HTMLElement {
    const { missing, total } = missingSamples(group);
    const ignore = result.options.nan === 'ignore';
    const share = total ? (100 * missing) / total : 0;
    const count = missing
      ? `${missing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} samples missing (${share < 0.1 ? share.toPrecision(2) : share.toFixed(1)} %)`
      : 'No missing samples';
    const how = !missing
      ? ignore
        ? '; LocoHub-exact propagation would give the same numbers.'
        : '.'
      : ignore
        ? ': statistics over the samples present (NaN ignored, as LocoHub R).'
        : ': NaN propagates, LocoHub-exact (what LocoHub Python reports): a cycle with a missing sample has NaN statistics, and no cycle can be an outlier.';
    const button = h(
      'button',
      { class: 'jp-mod-styled locolens-link-button', 'data-locolens': 'nan-switch' },
      ignore ? 'Use LocoHub-exact NaN propagation' : 'Ignore missing samples'
    );
    button.addEventListener('click', () => {
      this.comparison = null;
      void this.model.setOptions({ nan: ignore ? 'propagate' : 'ignore' });
    });
    return h(
      'p',
      { class: 'locolens-note', 'data-locolens': 'missing-samples', 'data-missing': missing, 'data-nan': result.options.nan },
      `${count}${how} `,
      missing || !ignore ? button : null
    );
  }

  private renderControls(): void {
    const group = this.group!;
    const tabs = h(
      'div',
      { class: 'locolens-tabs', role: 'tablist' },
      TABS.filter(([tab]) => tab !== 'population' || !this.request.subject).map(([tab, label]) => {
        const button = h(
          'button',
          { class: 'locolens-tab', role: 'tab', 'aria-selected': tab === this.tab ? 'true' : 'false', 'data-tab': tab },
          label
        );
        button.addEventListener('click', () => {
          this.tab = tab;
          this.renderControls();
          void this.draw();
        });
        return button;
      })
    );
    const feature = h(
      'select',
      { class: 'jp-mod-styled', 'aria-label': 'Feature', 'data-locolens': 'feature' },
      group.features.map((name, f) => {
        const option = h('option', { value: f }, name);
        option.selected = f === this.feature;
        return option;
      })
    );
    feature.addEventListener('change', () => this.model.setFeature(Number(feature.value)));
    const nan = h(
      'select',
      {
        class: 'jp-mod-styled',
        'aria-label': 'NaN policy',
        'data-locolens': 'nan-policy',
        title: 'propagate: as LocoHub Python; ignore: as LocoHub R'
      },
      [h('option', { value: 'ignore' }, 'NaN ignored (LocoHub R)'), h('option', { value: 'propagate' }, 'NaN propagates (LocoHub Python)')]
    );
    nan.value = this.model.options.nan;
    const ddof = h(
      'select',
      {
        class: 'jp-mod-styled',
        'aria-label': 'SD degrees of freedom',
        'data-locolens': 'ddof',
        title: '0: LocoHub Python (population SD); 1: MATLAB/R (sample SD)'
      },
      [h('option', { value: '0' }, 'SD ddof 0'), h('option', { value: '1' }, 'SD ddof 1')]
    );
    ddof.value = String(this.model.options.ddof);
    const rerun = () => {
      this.comparison = null;
      void this.model.setOptions({ nan: nan.value as 'propagate' | 'ignore', ddof: Number(ddof.value) as 0 | 1 });
    };
    const threshold = h('input', {
      type: 'number',
      class: 'jp-mod-styled locolens-threshold',
      min: 0,
      step: 0.1,
      value: this.model.options.outlierThreshold,
      'aria-label': 'Outlier threshold k',
      'data-locolens': 'threshold',
      title: 'Outlier cycles: RMSE > mean + k · SD of the per-cycle RMSE (applied at once, no rerun)'
    });
    threshold.addEventListener('change', () => {
      const k = Number(threshold.value);
      if (Number.isFinite(k) && k >= 0) {
        void this.model.setOptions({ outlierThreshold: k });
      }
    });
    const backend = h(
      'select',
      { class: 'jp-mod-styled', 'aria-label': 'Backend', 'data-locolens': 'backend-select', title: 'Where the kernels run' },
      [
        h('option', { value: '' }, 'backend as in the settings'),
        h('option', { value: 'workers' }, 'worker pool'),
        h('option', { value: 'webgpu' }, 'WebGPU')
      ]
    );
    backend.value = this.model.options.backend ?? '';
    backend.addEventListener('change', () => {
      this.comparison = null;
      void this.model.setOptions({ backend: (backend.value || undefined) as BrowserBackend | undefined });
    });
    nan.addEventListener('change', rerun);
    ddof.addEventListener('change', rerun);
    const extra: HTMLElement[] = [nan, ddof, h('label', { class: 'locolens-inline' }, 'outliers k ', threshold), backend];
    if (!this.request.subject) {
      extra.push(this.subjectPicker());
    }
    if (this.tab === 'patterns' && group.cycles > MAX_CYCLE_LINES) {
      const lines = h('input', { type: 'checkbox', 'data-locolens': 'all-lines' });
      lines.checked = this.allLines;
      lines.addEventListener('change', () => {
        this.allLines = lines.checked;
        void this.draw();
      });
      extra.push(
        h(
          'label',
          { class: 'locolens-inline', title: 'Without a GPU, drawing many thousands of lines can take long' },
          lines,
          ` draw all ${group.cycles} cycles as lines`
        )
      );
    }
    if (this.tab === 'correlation') {
      const slider = h('input', {
        type: 'range',
        min: -1,
        max: PHASES - 1,
        value: this.phase ?? -1,
        'aria-label': 'Phase',
        'data-locolens': 'phase-slider',
        disabled: !group.correlations.phases
      });
      const label = h('span', { 'data-locolens': 'phase-label' }, this.phaseLabel());
      slider.addEventListener('input', () => {
        const value = Number(slider.value);
        this.phase = value < 0 ? null : value;
        label.textContent = this.phaseLabel();
        void this.draw();
      });
      extra.push(h('label', { class: 'locolens-inline' }, 'Phase ', slider, ' ', label));
    }
    if (this.tab === 'population') {
      const parquet = h('button', { class: 'jp-mod-styled', 'data-locolens': 'export-population' }, 'Export parquet');
      const csv = h('button', { class: 'jp-mod-styled', 'data-locolens': 'export-population-csv' }, 'Export CSV');
      parquet.addEventListener('click', () => void this.exportPopulation('parquet'));
      csv.addEventListener('click', () => void this.exportPopulation('csv'));
      extra.push(parquet, csv);
    }
    if (this.tab === 'table') {
      const parquet = h('button', { class: 'jp-mod-styled', 'data-locolens': 'export-parquet' }, 'Export parquet');
      const csv = h('button', { class: 'jp-mod-styled', 'data-locolens': 'export-csv' }, 'Export CSV');
      parquet.addEventListener('click', () => void this.export('parquet'));
      csv.addEventListener('click', () => void this.export('csv'));
      extra.push(parquet, csv);
    }
    if (this.tab !== 'table') {
      extra.push(exportFigureButton(this.footer, this.exportTarget, () => this.drawnFigure));
    }
    this.controls.replaceChildren(
      tabs,
      this.tab === 'correlation' ? h('span') : h('label', { class: 'locolens-inline' }, 'Feature ', feature),
      ...extra
    );
  }

  /** A task view's choice of subjects: all of the task's, or a selection. */
  private subjectPicker(): HTMLElement {
    const all = this.allSubjects ?? this.group!.subjects;
    this.allSubjects = all;
    const chosen = new Set(this.subjectFilter.length ? this.subjectFilter : all);
    const boxes = all.map(subject => {
      const box = h('input', { type: 'checkbox', value: subject, 'data-subject': subject });
      box.checked = chosen.has(subject);
      return h('label', { class: 'locolens-subject-choice' }, box, ` ${subject}`);
    });
    const apply = h('button', { class: 'jp-mod-styled jp-mod-accept', 'data-locolens': 'apply-subjects' }, 'Apply');
    apply.addEventListener('click', () => {
      const picked = boxes
        .map(label => label.querySelector('input')!)
        .filter(box => box.checked)
        .map(box => box.value);
      if (picked.length === 0) {
        return;
      }
      this.subjectFilter = picked.length === all.length ? [] : picked;
      this.comparison = null;
      void this.model.setRequest({ subjects: this.subjectFilter.length ? this.subjectFilter : this.request.subjects });
    });
    return h(
      'details',
      { class: 'locolens-subject-picker', 'data-locolens': 'subject-picker' },
      h('summary', {}, `Subjects (${chosen.size} of ${all.length})`),
      h('div', { class: 'locolens-subject-choices' }, boxes),
      apply
    );
  }

  private allSubjects: string[] | null = null;

  private phaseLabel(): string {
    return this.phase === null ? 'all samples' : `${((this.phase * 100) / (PHASES - 1)).toFixed(1)} %`;
  }

  private async draw(): Promise<void> {
    const id = ++this.drawing;
    this.drawnFigure = null;
    const group = this.group!;
    const theme = readTheme(this.node);
    this.table.replaceChildren();
    // The table tab has no plot: its box would leave a blank area above the table.
    this.plot.hidden = this.tab === 'table';
    if (this.tab === 'table') {
      this.plotly?.purge(this.plot);
      this.plot.replaceChildren();
      this.renderTable();
      return;
    }
    const drawStarted = performance.now();
    let figure;
    if (this.tab === 'patterns') {
      const C = group.cycles;
      // A streamed group keeps no tensor: one feature's cycles are read back from the tensor store.
      const samples = group.tensor
        ? group.tensor.data.subarray(this.feature * C * PHASES, (this.feature + 1) * C * PHASES)
        : await this.storedSamples(this.feature);
      if (id !== this.drawing) {
        return;
      }
      figure = patternFigure(group, this.feature, samples, theme, this.allLines ? Infinity : MAX_CYCLE_LINES);
    } else if (this.tab === 'rom') {
      figure = romFigure(group, this.feature, theme);
    } else if (this.tab === 'compare' || this.tab === 'population') {
      const loading = !this.comparison;
      if (loading) {
        // Not the previous tab's plot while the comparison is computed.
        this.plotly?.purge(this.plot);
        this.plot.replaceChildren(
          h(
            'div',
            { class: 'locolens-message locolens-message-loading', role: 'status', 'data-locolens': 'compare-loading' },
            this.request.subject ? `Analysing the other tasks of ${this.request.subject}… ` : 'Analysing each subject of the task… ',
            h('span', { 'data-locolens': 'compare-progress' })
          )
        );
      }
      const comparison = await this.comparisonResult();
      if (loading && id === this.drawing) {
        // The message goes; plotly draws afresh in the purged box.
        this.plot.replaceChildren();
      }
      if (id !== this.drawing) {
        return;
      }
      if (this.tab === 'compare') {
        const bySubject = !this.request.subject;
        figure = comparisonFigure(
          comparison.groups,
          group.features[this.feature],
          g => (bySubject ? g.subjects.join(', ') : g.task),
          theme
        );
      } else {
        const population = await this.population();
        figure = populationFigure(population, this.feature, theme);
        this.table.replaceChildren(populationTable(population, this.feature));
      }
    } else {
      figure = correlationFigure(group, this.phase, theme);
    }
    if (!this.plotly) {
      this.plotly = (await import('plotly.js-dist-min')).default;
    }
    if (id !== this.drawing || this.isDisposed) {
      return;
    }
    this.drawnFigure = { figure, ...this.figureContext() };
    const renderStarted = performance.now();
    await this.plotly.react(this.plot, figure.data, figure.layout, { responsive: true, displaylogo: false });
    this.performance?.recordStage('render', performance.now() - renderStarted);
    // A user-timing entry per draw (the figure built from the samples, plotly loaded, drawn, and
    // the frame plotly's WebGL traces paint after `react` resolves): the page's long tasks can be
    // told apart from drawing.
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
    performance.measure?.('locolens:render', { start: drawStarted, end: performance.now() });
    this.plot.setAttribute('data-drawn', this.tab);
  }

  /** The figure drawn last, for "Export figure…" (null before the first). */
  private drawnFigure: IExportableFigure | null = null;

  /** What the drawn tab's figure shows (axis titles, the phase axis) and its file name's parts. */
  private figureContext(): { meta: IFigureMeta; datasetPath: string; nameParts: Array<string | undefined> } {
    const group = this.group!;
    const variable = group.features[this.feature];
    const meta = plotMeta(this.tab as PlotKind, variable);
    const plot = this.tab === 'correlation' && this.phase !== null ? `correlation-phase${this.phase}` : this.tab;
    return {
      meta,
      datasetPath: this.request.path,
      nameParts: [group.task, this.request.subject, this.tab === 'correlation' ? undefined : variable, plot]
    };
  }

  /** The task's population statistics (from the subject × task groups of the Compare tab). */
  private async population(): Promise<IPopulationStatistics> {
    const comparison = await this.comparisonResult();
    const result = this.model.result!;
    if (!this.populationOf || this.populationOf.comparison !== comparison || this.populationOf.result !== result) {
      this.populationOf = {
        comparison,
        result,
        statistics: populationStatistics(comparison.groups, this.model.group!, result.options)
      };
    }
    return this.populationOf.statistics;
  }

  private populationOf: { comparison: IAnalysisResult; result: IAnalysisResult; statistics: IPopulationStatistics } | null = null;

  private exportPopulation(format: 'parquet' | 'csv'): Promise<void> {
    return showExport(this.footer, format, async () =>
      exportPopulationTables(await this.population(), this.request, format, this.exportTarget)
    );
  }

  /** Mean patterns of the other tasks (subject view) or of each subject (task view). */
  private async comparisonResult(): Promise<IAnalysisResult> {
    if (!this.comparison) {
      this.comparison = await this.datasets.analyze(
        this.request.path,
        {
          task: this.request.task,
          subjects: this.subjectFilter.length ? this.subjectFilter : this.request.subjects,
          groupBy: 'subject-task'
        },
        {
          ...this.model.options,
          // Its progress in the box the plot will take.
          onProgress: progress => {
            const note = this.plot.querySelector('[data-locolens="compare-progress"]');
            if (note) {
              note.textContent = `${Math.round(100 * progressFraction(progress))} % · ${formatBytes(progress.bytesRead)} read · cycles ${progress.cyclesDone.toLocaleString('en-US')}/${progress.cycles.toLocaleString('en-US')}`;
            }
          }
        }
      );
    }
    return this.comparison;
  }

  private renderTable(): void {
    const group = this.group!;
    const C = group.cycles;
    const f = this.feature;
    const outliers = new Set(group.outliers.cycles);
    const value = (array: Float64Array, c: number) => {
      const v = array[f * C + c];
      return Number.isFinite(v) ? v.toPrecision(5) : 'NaN';
    };
    const pages = Math.ceil(C / TABLE_PAGE);
    const rows = [];
    for (let c = this.page * TABLE_PAGE; c < Math.min(C, (this.page + 1) * TABLE_PAGE); c++) {
      rows.push(
        h(
          'tr',
          { class: outliers.has(c) ? 'locolens-row-outlier' : group.validation.valid[c] ? '' : 'locolens-row-invalid' },
          [
            group.cycleSubjects[c],
            String(group.cycleIndex[c]),
            value(group.perCycle.mean, c),
            value(group.perCycle.std, c),
            value(group.perCycle.min, c),
            value(group.perCycle.max, c),
            value(group.perCycle.rom, c),
            value(group.perCycle.peakTiming, c),
            value(group.perCycle.skewness, c),
            value(group.perCycle.kurtosis, c),
            Number.isFinite(group.perCycle.dominantFrequency[f * C + c])
              ? String(Math.round(group.perCycle.dominantFrequency[f * C + c] * PHASES))
              : 'NaN',
            Number.isFinite(group.outliers.rmse[c]) ? group.outliers.rmse[c].toPrecision(5) : 'NaN',
            outliers.has(c) ? 'outlier' : group.validation.valid[c] ? '' : 'invalid'
          ].map(cell => h('td', {}, cell))
        )
      );
    }
    const previous = h('button', { class: 'jp-mod-styled', disabled: this.page === 0 }, '‹ previous');
    const next = h('button', { class: 'jp-mod-styled', disabled: this.page >= pages - 1 }, 'next ›');
    previous.addEventListener('click', () => {
      this.page--;
      this.renderTable();
    });
    next.addEventListener('click', () => {
      this.page++;
      this.renderTable();
    });
    this.table.replaceChildren(
      h(
        'div',
        { class: 'locolens-scroll-x' },
        h(
          'table',
          { class: 'locolens-table', 'data-locolens': 'per-cycle-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['subject', 'cycle', 'mean', 'std', 'min', 'max', 'ROM', 'peak timing', 'skewness', 'kurtosis', 'harmonic', 'RMSE', ''].map(
                name =>
                  h(
                    'th',
                    name === 'harmonic' ? { title: 'The dominant frequency as a harmonic of the gait cycle (DFT bin 1–74)' } : {},
                    name
                  )
              )
            )
          ),
          h('tbody', {}, rows)
        )
      ),
      h(
        'p',
        { class: 'locolens-note' },
        previous,
        ` cycles ${this.page * TABLE_PAGE + 1}–${Math.min(C, (this.page + 1) * TABLE_PAGE)} of ${C} `,
        next
      )
    );
  }

  private export(format: 'parquet' | 'csv'): Promise<void> {
    return showExport(this.footer, format, () => exportPerCycleTable(this.group!, this.request, format, this.exportTarget));
  }
}

/** The population statistics per feature (the drawn one marked), as the export names them. */
function populationTable(population: IPopulationStatistics, drawn: number): HTMLElement {
  const number = (v: number) => (Number.isFinite(v) ? v.toPrecision(4) : 'NaN');
  const header = [
    'feature',
    'mean SD (between subjects)',
    'max SD',
    'CV',
    'mean of cycle means',
    'SD of cycle means',
    'mean of cycle SDs',
    'ROM mean',
    'ROM SD',
    ...ROM_PERCENTILES.map(q => `ROM p${q}`)
  ];
  const rows = population.features.map((name, f) =>
    h(
      'tr',
      { class: f === drawn ? 'locolens-row-drawn' : '' },
      [
        name,
        number(population.meanStd[f]),
        number(population.maxStd[f]),
        number(population.coefficientOfVariation[f]),
        number(population.meanOfMeans[f]),
        number(population.stdOfMeans[f]),
        number(population.meanOfStds[f]),
        number(population.romMean[f]),
        number(population.romStd[f]),
        ...ROM_PERCENTILES.map((_, k) => number(population.romPercentiles[f * ROM_PERCENTILES.length + k]))
      ].map(cell => h('td', {}, cell))
    )
  );
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'locolens-note', 'data-locolens': 'population-note' },
      `${population.subjects.length} subjects weighted equally, ${population.cycles.toLocaleString('en-US')} cycles; mean variability (mean between-subject SD) ${number(population.meanVariability)}.`
    ),
    h(
      'div',
      { class: 'locolens-scroll-x' },
      h(
        'table',
        { class: 'locolens-table', 'data-locolens': 'population-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            header.map(name => h('th', {}, name))
          )
        ),
        h('tbody', {}, rows)
      )
    )
  );
}
