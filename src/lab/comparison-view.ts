/**
 * The cross-dataset comparison (main area): a task present in every chosen file, each dataset's
 * mean ± SD pattern of a feature (overlaid, or side by side on a shared y range), the differences
 * of each dataset's mean patterns from the first's (mean difference, RMSE, Pearson r), subjects
 * and cycles per dataset, and the variables some datasets lack (with the standard name a
 * non-standard one likely means).
 *
 * #### Notes
 * Each dataset is one analysis of the task by subject × task on the shared worker pool, all at
 * once, cached like any analysis; choosing another feature or layout reruns nothing, another
 * task reruns (or reads the cache). Closing the view cancels the analyses. Statistics are over
 * the samples present (NaN ignored, as the analysis view's default), SD with ddof 0. Text from
 * the files is set as text; plot labels are escaped.
 */
import { Widget } from '@lumino/widgets';

import { analyzeComparison, commonTasks, type IDatasetComparison } from '../core/analysis/dataset-comparison';
import { progressFraction, type IAnalysisProgress } from '../core/analysis/result';
import { describeError, errorCode } from '../core/errors';
import type { IKernelOptions } from '../core/kernels/types';
import { datasetPatternsFigure, sharedRange, shortName } from '../plots/comparison-figures';
import { readTheme } from '../plots/plot-theme';
import { h, tableOf } from './dom';
import { exportFigureButton } from './figure-export';
import { plotMeta } from '../plots/publication';
import type { ILocolensDatasets } from './tokens';

/** How the patterns are laid out. */
export type ComparisonLayout = 'overlay' | 'side-by-side';

/** What the view compares. */
export interface IComparisonRequest {
  paths: string[];
  task?: string;
}

/** A number in a cell: 4 significant digits, NaN as "NaN". */
function cell(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4) : 'NaN';
}

/** The comparison view of several datasets. */
export class ComparisonView extends Widget {
  constructor(
    private readonly datasets: ILocolensDatasets,
    readonly request: IComparisonRequest
  ) {
    super();
    this.addClass('locolens-analysis');
    this.addClass('locolens-comparison');
    const names = request.paths.map(shortName);
    this.title.label = `Compare · ${names.join(' · ')}`;
    this.title.caption = `Comparison of ${request.paths.join(', ')}`;
    this.title.closable = true;
    this.task = request.task ?? null;
    this.node.replaceChildren(this.header, this.controls, this.plots, this.tables, this.footer);
  }

  private readonly header = h('div', { class: 'locolens-analysis-header' });
  private readonly controls = h('div', { class: 'locolens-analysis-controls', role: 'toolbar' });
  private readonly plots = h('div', { class: 'locolens-comparison-plots', 'data-locolens': 'comparison-plots' });
  private readonly tables = h('div', { class: 'locolens-comparison-tables' });
  private readonly footer = h('div', { class: 'locolens-analysis-footer' });
  private readonly options: IKernelOptions = { ddof: 0, nan: 'ignore' };
  private tasks: string[] = [];
  private task: string | null;
  private feature: string | null = null;
  private layoutMode: ComparisonLayout = 'overlay';
  private comparison: IDatasetComparison | null = null;
  private controller: AbortController | null = null;
  private plotly: typeof import('plotly.js-dist-min').default | null = null;
  private drawing = 0;
  private themeObserver: MutationObserver | null = null;

  /** The comparison shown (null until loaded). */
  get result(): IDatasetComparison | null {
    return this.comparison;
  }

  /** Read the files' summaries, pick a task present in every file, and compare. */
  async load(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    if (this.request.paths.length < 2) {
      this.status('Choose at least two parquet files to compare.', true);
      return;
    }
    this.status(`Reading ${this.request.paths.length} datasets…`);
    try {
      const summaries = await Promise.all(this.request.paths.map(path => this.datasets.inspect(path)));
      if (controller !== this.controller) {
        return;
      }
      this.tasks = commonTasks(summaries.map(summary => summary.tasks.map(task => task.task)));
      if (!this.tasks.length) {
        this.status(
          `No task is present in every file (${this.request.paths
            .map((path, d) => `${shortName(path)}: ${summaries[d].tasks.map(task => task.task).join(', ') || 'none'}`)
            .join('; ')}).`,
          true
        );
        return;
      }
      if (!this.task || !this.tasks.includes(this.task)) {
        this.task = this.tasks[0];
      }
      const progress = this.request.paths.map(() => 0);
      const report = () =>
        this.status(
          `Analysing ${this.task} in ${this.request.paths.length} datasets: ${this.request.paths
            .map((path, d) => `${shortName(path)} ${Math.round(100 * progress[d])} %`)
            .join(' · ')}`
        );
      report();
      const comparison = await analyzeComparison(this.request.paths, this.task, {
        inspect: path => this.datasets.inspect(path),
        analyze: (path, selection) =>
          this.datasets.analyze(path, selection, {
            ...this.options,
            phaseCorrelations: false,
            signal: controller.signal,
            onProgress: (update: IAnalysisProgress) => {
              progress[this.request.paths.indexOf(path)] = progressFraction(update);
              if (controller === this.controller) {
                report();
              }
            }
          })
      });
      if (controller !== this.controller) {
        return;
      }
      this.comparison = comparison;
      if (!this.feature || !comparison.features.includes(this.feature)) {
        this.feature = comparison.features[0] ?? null;
      }
      this.render();
    } catch (error) {
      if (controller === this.controller) {
        this.status(errorCode(error) === 'cancelled' ? 'The comparison was cancelled.' : describeError(error), true);
      }
    }
  }

  dispose(): void {
    this.controller?.abort();
    this.purgePlots();
    super.dispose();
  }

  /** Redraw with the current theme's colours. */
  refreshTheme(): void {
    if (this.comparison) {
      void this.draw();
    }
  }

  protected onResize(): void {
    for (const plot of Array.from(this.plots.querySelectorAll<HTMLElement>('.locolens-plot'))) {
      if (this.plotly && plot.childElementCount) {
        this.plotly.Plots.resize(plot);
      }
    }
  }

  protected onAfterAttach(): void {
    // A theme change (JupyterLab marks it on <body>) redraws with the new theme's colours.
    this.themeObserver = new MutationObserver(() => this.refreshTheme());
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light'] });
  }

  protected onBeforeDetach(): void {
    this.themeObserver?.disconnect();
    this.themeObserver = null;
    this.purgePlots();
  }

  private purgePlots(): void {
    for (const plot of Array.from(this.plots.querySelectorAll<HTMLElement>('.locolens-plot'))) {
      this.plotly?.purge(plot);
    }
  }

  private status(text: string, error = false): void {
    this.header.replaceChildren(
      h('h2', {}, `Comparison — ${this.request.paths.map(shortName).join(' · ')}`),
      h(
        'div',
        {
          class: `locolens-message ${error ? 'locolens-message-error' : 'locolens-message-loading'}`,
          role: error ? 'alert' : 'status',
          'data-locolens': error ? 'error' : 'loading'
        },
        text
      )
    );
    if (error) {
      this.purgePlots();
      this.plots.replaceChildren();
      this.tables.replaceChildren();
    }
  }

  private render(): void {
    const comparison = this.comparison!;
    this.header.replaceChildren(
      h('h2', {}, `Comparison — ${comparison.task}`),
      h(
        'p',
        { class: 'locolens-analysis-status', 'data-locolens': 'comparison-status' },
        `${comparison.datasets.length} datasets · reference ${shortName(comparison.reference)} · ` +
          `${comparison.features.length} features in every dataset · SD ddof ${comparison.options.ddof} · ` +
          `NaN ${comparison.options.nan === 'ignore' ? 'ignored (samples present)' : 'propagated'}`
      )
    );
    this.renderControls();
    this.renderTables();
    void this.draw();
  }

  private renderControls(): void {
    const comparison = this.comparison!;
    const task = h(
      'select',
      { class: 'jp-mod-styled', 'aria-label': 'Task', 'data-locolens': 'compare-task' },
      this.tasks.map(name => {
        const option = h('option', { value: name }, name);
        option.selected = name === comparison.task;
        return option;
      })
    );
    task.addEventListener('change', () => {
      this.task = task.value;
      void this.load();
    });
    const feature = h(
      'select',
      { class: 'jp-mod-styled', 'aria-label': 'Feature', 'data-locolens': 'compare-feature' },
      comparison.features.map(name => {
        const option = h('option', { value: name }, name);
        option.selected = name === this.feature;
        return option;
      })
    );
    feature.addEventListener('change', () => {
      this.feature = feature.value;
      this.markFeature();
      void this.draw();
    });
    const layouts: Array<[ComparisonLayout, string]> = [
      ['overlay', 'Overlay'],
      ['side-by-side', 'Side by side']
    ];
    const toggle = h(
      'div',
      { class: 'locolens-tabs', role: 'tablist', 'aria-label': 'Layout', 'data-locolens': 'compare-layout' },
      layouts.map(([mode, label]) => {
        const button = h(
          'button',
          { class: 'locolens-tab', role: 'tab', 'data-layout': mode, 'aria-selected': mode === this.layoutMode ? 'true' : 'false' },
          label
        );
        button.addEventListener('click', () => {
          this.layoutMode = mode;
          for (const other of Array.from(toggle.children)) {
            other.setAttribute('aria-selected', other === button ? 'true' : 'false');
          }
          void this.draw();
        });
        return button;
      })
    );
    this.controls.replaceChildren(
      h('label', {}, 'Task ', task),
      h('label', {}, 'Feature ', feature),
      toggle,
      // The datasets' patterns overlaid, as a figure for a paper (next to the first dataset).
      exportFigureButton(this.footer, this.datasets, () =>
        this.comparison && this.feature
          ? {
              figure: datasetPatternsFigure(this.comparison.datasets, this.feature, readTheme(this.node)),
              meta: plotMeta('compare', this.feature),
              datasetPath: this.request.paths[0],
              nameParts: [this.task ?? undefined, this.feature, 'dataset-comparison']
            }
          : null
      ),
      h('button', { class: 'jp-mod-styled', 'data-locolens': 'compare-rerun', title: 'Analyse again (or read the cache)' }, 'Refresh')
    );
    this.controls.lastElementChild!.addEventListener('click', () => void this.load());
  }

  private renderTables(): void {
    const comparison = this.comparison!;
    const [reference, ...others] = comparison.datasets;
    const counts = tableOf(
      ['dataset', 'subjects', 'cycles', 'blocks left out'],
      comparison.datasets.map(pattern => [
        pattern.name,
        String(pattern.subjects.length),
        String(pattern.cycles),
        pattern.skipped.length ? pattern.skipped.map(block => `${block.subject}: ${block.reason}`).join('; ') : '—'
      ]),
      { 'data-locolens': 'counts-table' }
    );
    const differences = h(
      'table',
      { class: 'locolens-table', 'data-locolens': 'differences-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['feature', 'dataset', 'mean diff', 'RMSE', 'r'].map(label => h('th', {}, label))
        )
      ),
      h(
        'tbody',
        {},
        comparison.differences.flatMap(difference =>
          others.map((pattern, k) =>
            h(
              'tr',
              { 'data-feature': difference.feature, 'data-dataset': pattern.name },
              h('td', {}, difference.feature),
              h('td', { title: pattern.name }, shortName(pattern.name)),
              h('td', { 'data-col': 'mean-difference', 'data-value': difference.meanDifference[k] }, cell(difference.meanDifference[k])),
              h('td', { 'data-col': 'rmse', 'data-value': difference.rmse[k] }, cell(difference.rmse[k])),
              h('td', { 'data-col': 'r', 'data-value': difference.correlation[k] }, cell(difference.correlation[k]))
            )
          )
        )
      )
    );
    const coverage = comparison.coverage.length
      ? h(
          'table',
          { class: 'locolens-table', 'data-locolens': 'coverage-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'variable'),
              comparison.datasets.map(pattern => h('th', { title: pattern.name }, shortName(pattern.name))),
              h('th', {}, 'likely standard name')
            )
          ),
          h(
            'tbody',
            {},
            comparison.coverage.map(row =>
              h(
                'tr',
                { 'data-variable': row.variable },
                h('td', {}, row.variable),
                row.present.map((present, d) =>
                  h(
                    'td',
                    {
                      'data-present': present ? 'yes' : 'no',
                      'data-dataset': comparison.datasets[d].name,
                      class: present ? '' : 'locolens-bad'
                    },
                    present ? 'yes' : 'missing'
                  )
                ),
                h(
                  'td',
                  { 'data-col': 'suggestion' },
                  row.suggestion
                    ? `${row.suggestion.name}${row.suggestion.needsConversion ? ' (values need converting)' : ''}${
                        row.suggestion.presentIn.some(Boolean)
                          ? ` — in ${comparison.datasets
                              .filter((_, d) => row.suggestion!.presentIn[d])
                              .map(pattern => shortName(pattern.name))
                              .join(', ')}`
                          : ''
                      }`
                    : '—'
                )
              )
            )
          )
        )
      : h('p', { class: 'locolens-note', 'data-locolens': 'coverage-same' }, 'Every dataset has the same variables.');
    this.tables.replaceChildren(
      h('h3', {}, 'Datasets'),
      counts,
      h('h3', {}, `Differences from ${shortName(reference.name)} (the reference)`),
      h(
        'p',
        { class: 'locolens-note' },
        'Over the 150 phase samples of the two mean patterns: mean difference = mean(dataset − reference), ' +
          'RMSE = √mean((dataset − reference)²), r = Pearson correlation of the patterns. Each pattern is the mean over ' +
          'every cycle of the task in its dataset (subjects pooled).'
      ),
      h('div', { class: 'locolens-scroll-x' }, differences),
      h('h3', {}, 'Variable coverage'),
      comparison.coverage.length ? h('div', { class: 'locolens-scroll-x' }, coverage) : coverage
    );
    this.markFeature();
  }

  /** Bold the rows of the drawn feature in the differences table. */
  private markFeature(): void {
    for (const row of Array.from(this.tables.querySelectorAll('[data-locolens="differences-table"] tbody tr'))) {
      row.classList.toggle('locolens-row-drawn', row.getAttribute('data-feature') === this.feature);
    }
  }

  private async draw(): Promise<void> {
    const comparison = this.comparison;
    const feature = this.feature;
    const id = ++this.drawing;
    if (!comparison || !feature) {
      this.purgePlots();
      this.plots.replaceChildren(h('p', { class: 'locolens-note' }, 'No feature is analysed in every dataset.'));
      return;
    }
    if (!this.plotly) {
      this.plotly = (await import('plotly.js-dist-min')).default;
    }
    if (id !== this.drawing || this.isDisposed) {
      return;
    }
    const theme = readTheme(this.node);
    const figures =
      this.layoutMode === 'overlay'
        ? [datasetPatternsFigure(comparison.datasets, feature, theme)]
        : comparison.datasets.map((pattern, d) =>
            datasetPatternsFigure([pattern], feature, theme, {
              colorOffset: d,
              yRange: sharedRange(comparison.datasets, feature),
              title: shortName(pattern.name)
            })
          );
    this.purgePlots();
    const boxes = figures.map((_, d) =>
      h('div', {
        class: 'locolens-plot',
        'data-locolens': 'comparison-plot',
        'data-dataset': this.layoutMode === 'overlay' ? '' : comparison.datasets[d].name
      })
    );
    this.plots.setAttribute('data-layout', this.layoutMode);
    this.plots.removeAttribute('data-drawn');
    this.plots.replaceChildren(...boxes);
    await Promise.all(
      figures.map((figure, d) => this.plotly!.react(boxes[d], figure.data, figure.layout, { responsive: true, displaylogo: false }))
    );
    if (id === this.drawing) {
      this.plots.setAttribute('data-drawn', `${this.layoutMode}:${feature}`);
    }
  }
}
