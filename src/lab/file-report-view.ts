/**
 * The whole-file report (main area): a row per subject × task with cycles, valid fraction,
 * missing samples, outliers and the overall ROM of the sagittal ipsi angles; sortable by any
 * column, filtered by text, exported next to the dataset as parquet or CSV; each row opens its
 * analysis. A block that cannot be analysed is a failed row with its reason.
 *
 * #### Notes
 * The report is one analysis of the file grouped by subject × task on the worker pool (cached
 * like any analysis); closing the view cancels it. Text from the file is set as text.
 */
import { Widget } from '@lumino/widgets';

import { isolatedFileReport, reportCells, type IFileReport, type IReportRow } from '../core/analysis/file-report';
import { progressFraction, type IAnalysisProgress } from '../core/analysis/result';
import { describeError, errorCode } from '../core/errors';
import { formatBytes } from '../core/format';
import { h } from './dom';
import { exportReportTable, showExport, type IExportTarget } from './export-results';
import type { ILocolensDatasets } from './tokens';

type SortKey = 'subject' | 'task' | 'cycles' | 'validFraction' | 'missingSamples' | 'outliers' | 'seconds' | number;

/** The report view of one file. */
export class FileReportView extends Widget {
  constructor(
    private readonly datasets: ILocolensDatasets,
    readonly path: string,
    private readonly exportTarget: IExportTarget,
    private readonly openAnalysis: (path: string, task: string, subject?: string) => void
  ) {
    super();
    this.addClass('locolens-report');
    this.title.label = `Report · ${path.split('/').pop()}`;
    this.title.caption = `${path}: every subject × task`;
    this.title.closable = true;
    this.node.replaceChildren(this.header, this.controls, this.body, this.footer);
  }

  private readonly header = h('div', { class: 'locolens-analysis-header' });
  private readonly controls = h('div', { class: 'locolens-analysis-controls', role: 'toolbar' });
  private readonly body = h('div', { class: 'locolens-report-body' });
  private readonly footer = h('div', { class: 'locolens-analysis-footer' });
  private report: IFileReport | null = null;
  private sort: { key: SortKey; descending: boolean } = { key: 'subject', descending: false };
  private filter = '';
  private controller: AbortController | null = null;
  /** The variables whose overall ROM the report shows (empty: the sagittal ipsi angles). */
  private romFeatures: string[] = [];
  private variables: string[] = [];

  /** Analyse the file by subject × task and show the report. */
  async load(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.status('Analysing every subject × task…');
    try {
      const options = {
        nan: 'ignore' as const,
        phaseCorrelations: false,
        signal: controller.signal,
        onProgress: (progress: IAnalysisProgress) =>
          this.status(
            `Analysing every subject × task: ${Math.round(100 * progressFraction(progress))} % · ${formatBytes(progress.bytesRead)} read · cycles ${progress.cyclesDone.toLocaleString('en-US')}/${progress.cycles.toLocaleString('en-US')}`
          )
      };
      const summary = await this.datasets.inspect(this.path);
      this.variables = summary.variables.map(variable => variable.name);
      // One analysis by subject × task (cached: choosing other variables reruns nothing); on
      // damaged data, one per subject × task (failed rows).
      const report = await isolatedFileReport(
        selection => this.datasets.analyze(this.path, selection, options),
        summary.blocks,
        this.romFeatures
      );
      if (controller !== this.controller) {
        return;
      }
      this.report = report;
      this.render();
    } catch (error) {
      if (controller === this.controller) {
        this.status(errorCode(error) === 'cancelled' ? 'The report was cancelled.' : describeError(error), true);
      }
    }
  }

  dispose(): void {
    this.controller?.abort();
    super.dispose();
  }

  private status(text: string, error = false): void {
    this.header.replaceChildren(
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
  }

  private render(): void {
    const report = this.report!;
    const failed = report.rows.filter(row => row.state === 'failed').length;
    this.header.replaceChildren(
      h('h2', {}, `Report — ${report.file.split('/').pop()}`),
      h(
        'p',
        { class: 'locolens-analysis-status', 'data-locolens': 'report-status' },
        `${report.rows.length} subject × task rows · ${failed} failed · NaN ignored · SD ddof ${report.options.ddof} · backend ${report.backend} · ${Math.round(report.totalMs)} ms`
      )
    );
    const filter = h('input', {
      type: 'search',
      class: 'jp-mod-styled',
      placeholder: 'Filter subjects and tasks',
      'aria-label': 'Filter',
      'data-locolens': 'report-filter',
      value: this.filter
    });
    filter.addEventListener('input', () => {
      this.filter = filter.value;
      this.renderTable();
    });
    const parquet = h('button', { class: 'jp-mod-styled', 'data-locolens': 'export-report' }, 'Export parquet');
    const csv = h('button', { class: 'jp-mod-styled', 'data-locolens': 'export-report-csv' }, 'Export CSV');
    parquet.addEventListener('click', () => void this.export('parquet'));
    csv.addEventListener('click', () => void this.export('csv'));
    this.controls.replaceChildren(filter, this.romPicker(report), parquet, csv);
    this.renderTable();
  }

  /** Which variables' overall ROM the report shows. */
  private romPicker(report: IFileReport): HTMLElement {
    const shown = new Set(report.romFeatures);
    const boxes = this.variables.map(name => {
      const box = h('input', { type: 'checkbox', value: name, 'data-variable': name });
      box.checked = shown.has(name);
      return h('label', { class: 'locolens-subject-choice' }, box, ` ${name}`);
    });
    const apply = h('button', { class: 'jp-mod-styled jp-mod-accept', 'data-locolens': 'apply-rom' }, 'Apply');
    apply.addEventListener('click', () => {
      const picked = boxes
        .map(label => label.querySelector('input')!)
        .filter(box => box.checked)
        .map(box => box.value);
      if (picked.length) {
        this.romFeatures = picked;
        void this.load();
      }
    });
    return h(
      'details',
      { class: 'locolens-subject-picker', 'data-locolens': 'rom-picker' },
      h('summary', {}, `ROM of (${report.romFeatures.length} of ${this.variables.length})`),
      h('div', { class: 'locolens-subject-choices' }, boxes),
      apply
    );
  }

  private renderTable(): void {
    const report = this.report!;
    const needle = this.filter.trim().toLowerCase();
    const rows = report.rows.filter(row => !needle || `${row.subject} ${row.task}`.toLowerCase().includes(needle));
    const value = (row: IReportRow, key: SortKey): number | string =>
      typeof key === 'number' ? row.rom[key] : (row[key] as number | string);
    const { key, descending } = this.sort;
    // Rows without a number (failed ones) go last in either direction.
    rows.sort((a, b) => {
      const x = value(a, key);
      const y = value(b, key);
      if (typeof x === 'number' && typeof y === 'number' && (Number.isNaN(x) || Number.isNaN(y))) {
        return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
      }
      const order = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
      return descending ? -order : order;
    });
    const columns: Array<[SortKey, string]> = [
      ['subject', 'subject'],
      ['task', 'task'],
      ['cycles', 'cycles'],
      ['validFraction', 'valid %'],
      ['missingSamples', 'missing samples'],
      ['outliers', 'outliers'],
      ...report.romFeatures.map((name, k): [SortKey, string] => [k, `ROM ${name}`]),
      ['seconds', 'time (s)']
    ];
    const head = h(
      'tr',
      {},
      columns.map(([sortKey, label]) => {
        const th = h(
          'th',
          {
            'data-sort': String(sortKey),
            'aria-sort': sortKey === key ? (descending ? 'descending' : 'ascending') : 'none',
            class: 'locolens-sortable',
            title: 'Sort by this column'
          },
          label
        );
        th.addEventListener('click', () => {
          this.sort = { key: sortKey, descending: sortKey === key ? !descending : false };
          this.renderTable();
        });
        return th;
      }),
      h('th', {}, '')
    );
    const body = rows.map(row => {
      const open = h('button', { class: 'jp-mod-styled', 'data-locolens': 'report-open' }, 'Open');
      open.addEventListener('click', () => this.openAnalysis(this.path, row.task, row.subject));
      const cells =
        row.state === 'failed'
          ? [
              h('td', {}, row.subject),
              h('td', {}, row.task),
              h(
                'td',
                { colspan: columns.length - 1, class: 'locolens-bad', 'data-locolens': 'report-reason' },
                `failed: ${row.reason ?? ''}`
              )
            ]
          : reportCells(row)
              .map(cell => h('td', {}, cell))
              .concat(h('td', {}, open));
      return h(
        'tr',
        {
          'data-state': row.state,
          'data-subject': row.subject,
          'data-task': row.task,
          class: row.state === 'failed' ? 'locolens-row-invalid' : ''
        },
        cells
      );
    });
    this.body.replaceChildren(
      h(
        'div',
        { class: 'locolens-scroll-x' },
        h('table', { class: 'locolens-table', 'data-locolens': 'report-table' }, h('thead', {}, head), h('tbody', {}, body))
      ),
      h('p', { class: 'locolens-note' }, `${rows.length} of ${report.rows.length} rows shown`)
    );
  }

  private export(format: 'parquet' | 'csv'): Promise<void> {
    return showExport(this.footer, format, () => exportReportTable(this.report!, this.path, format, this.exportTarget));
  }
}
