/**
 * The dataset summary as a widget: overview, subjects, tasks, cycles per subject×task,
 * variables grouped by joint / measurement / side / unit, and the conformance report.
 *
 * #### Notes
 * Used by the dataset browser panel and by the main-area document opened from the file browser.
 * Every string from the file (names, subjects, tasks) is inserted as text, never as HTML.
 */
import { Widget } from '@lumino/widgets';

import { columnRows, type IDatasetSummary, type IVariableSummary } from '../core/dataset/dataset-summary';
import { describeError } from '../core/errors';
import { formatBytes } from '../core/format';
import { breakable, h, tableOf } from './dom';
import type { ILocolensDatasets } from './tokens';

/** Actions the summary view offers, wired by the plugins. */
export interface ISummaryActions {
  /** Open the file's summary in the main area. */
  openInMainArea?: (path: string) => void;
  /** Open the analysis of a task (all subjects) or of one subject×task. */
  analyze?: (path: string, task: string, subject?: string) => void;
  /** Open the whole-file report (a row per subject × task). */
  report?: (path: string) => void;
  /** Open the validation tuner (LocoHub ranges). */
  validate?: (path: string) => void;
}

type Grouping = 'byJoint' | 'byMeasurement' | 'bySide' | 'byUnit';

const GROUPINGS: Array<[Grouping, string]> = [
  ['byJoint', 'joint / segment'],
  ['byMeasurement', 'measurement'],
  ['bySide', 'side'],
  ['byUnit', 'unit']
];

/** Shows the summary of one file, loading it through the dataset service. */
export class DatasetSummaryView extends Widget {
  /**
   * @param datasets - the dataset service.
   * @param actions - what the view offers: opening the file in the main area, analysing a task
   *   or a subject×task.
   */
  constructor(
    private readonly datasets: ILocolensDatasets,
    private readonly actions: ISummaryActions = {}
  ) {
    super();
    this.addClass('locolens-summary');
    this.node.tabIndex = -1;
    this.showMessage('Select a parquet file to see its subjects, tasks, variables and conformance.', 'empty');
  }

  private path: string | null = null;
  private summary: IDatasetSummary | null = null;
  private grouping: Grouping = 'byJoint';
  private loadId = 0;

  /** The file shown, if any. */
  get currentPath(): string | null {
    return this.path;
  }

  /** The summary shown, if any. */
  get currentSummary(): IDatasetSummary | null {
    return this.summary;
  }

  /**
   * Load and show the summary of `path`.
   *
   * @param scanValues - also count NaN values by decoding every variable column.
   */
  async load(path: string, scanValues = false): Promise<void> {
    const id = ++this.loadId;
    this.path = path;
    this.summary = null;
    this.showMessage(scanValues ? `Counting missing values in ${path}…` : `Reading ${path}…`, 'loading');
    try {
      const summary = await this.datasets.inspect(path, { scanValues });
      if (id === this.loadId && !this.isDisposed) {
        this.summary = summary;
        this.render();
      }
    } catch (error) {
      if (id === this.loadId && !this.isDisposed) {
        this.showMessage(describeError(error), 'error');
      }
    }
  }

  private showMessage(text: string, kind: 'empty' | 'loading' | 'error'): void {
    this.node.replaceChildren(
      h(
        'div',
        { class: `locolens-message locolens-message-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-locolens': kind },
        kind === 'error' && this.path ? h('strong', {}, `${this.path}: `) : null,
        text
      )
    );
  }

  private render(): void {
    const summary = this.summary!;
    const f = summary.file;
    const fraction = (100 * summary.io.bytesRead) / Math.max(1, f.sizeBytes);
    const parts: HTMLElement[] = [
      h(
        'header',
        { class: 'locolens-summary-header' },
        h('h2', { class: 'locolens-file-name', title: f.name }, f.name.split('/').pop() ?? f.name),
        h('span', { class: `locolens-status locolens-status-${summary.status}`, 'data-locolens': 'status' }, statusLabel(summary.status)),
        this.openButton(),
        this.reportButton(),
        this.validateButton()
      ),
      h(
        'dl',
        { class: 'locolens-overview' },
        term('Rows', f.rows.toLocaleString('en-US'), 'rows'),
        term('Row groups', f.rowGroups, 'row-groups'),
        term('Compression', f.compression.join(', ') || 'none', 'compression'),
        term('Size', formatBytes(f.sizeBytes), 'size'),
        term('Columns', summary.columns.length, 'column-count'),
        term('Cycles', summary.totalCycles.toLocaleString('en-US'), 'total-cycles'),
        term(
          'Read',
          summary.io.cached
            ? `from the browser cache (footer check: ${formatBytes(summary.io.bytesRead)})`
            : `${formatBytes(summary.io.bytesRead)} (${fraction.toFixed(1)} %) in ${summary.io.millis} ms`,
          'bytes-read'
        )
      ),
      section(`Subjects (${summary.subjects.length})`, 'subjects', [
        h(
          'ul',
          { class: 'locolens-chips' },
          summary.subjects.map(subject => h('li', {}, subject))
        )
      ]),
      section(`Tasks (${summary.tasks.length})`, 'tasks', [
        tableOf(
          ['task', 'task_id values', 'subjects', 'cycles', ''],
          summary.tasks.map(task => [
            breakable(task.task),
            task.taskIds.join(', ') || '–',
            task.subjects.length,
            task.cycles,
            this.analyzeButton(task.task)
          ]),
          { 'data-locolens': 'tasks-table' },
          [1, 2]
        )
      ]),
      section(
        `Cycles per subject × task (${summary.blocks.length})`,
        'blocks',
        [
          tableOf(
            ['subject', 'task', 'rows', 'cycles', 'remainder', ''],
            summary.blocks.map(block => [
              breakable(block.subject),
              breakable(block.task),
              block.rows,
              block.cycles,
              block.remainderRows ? h('span', { class: 'locolens-bad' }, `${block.remainderRows} rows`) : '',
              block.remainderRows || block.cycles === 0 ? '' : this.analyzeButton(block.task, block.subject)
            ]),
            { 'data-locolens': 'blocks-table' },
            [2, 4]
          )
        ],
        true
      ),
      this.variablesSection(summary),
      this.conformanceSection(summary),
      section(
        `Columns (${summary.columns.length})`,
        'columns',
        [tableOf(['name', 'type', 'parquet', 'nulls', 'compressed'], columnRows(summary, formatBytes))],
        true
      )
    ];
    this.node.replaceChildren(...parts);
  }

  private analyzeButton(task: string, subject?: string): HTMLElement | string {
    const analyze = this.actions.analyze;
    if (!analyze) {
      return '';
    }
    const path = this.path!;
    const button = h(
      'button',
      {
        class: 'jp-mod-styled locolens-analyze',
        'data-locolens': 'analyze',
        'data-task': task,
        'data-subject': subject,
        title: subject ? `Analyse ${subject} × ${task}` : `Analyse ${task}, all subjects`
      },
      'Analyze'
    );
    button.addEventListener('click', () => analyze(path, task, subject));
    return button;
  }

  private reportButton(): HTMLElement | null {
    const report = this.actions.report;
    if (!report) {
      return null;
    }
    const path = this.path!;
    const button = h(
      'button',
      { class: 'jp-mod-styled', 'data-locolens': 'open-report', title: 'A row per subject × task: cycles, validity, outliers, ROM' },
      'Report'
    );
    button.addEventListener('click', () => report(path));
    return button;
  }

  private validateButton(): HTMLElement | null {
    const validate = this.actions.validate;
    if (!validate) {
      return null;
    }
    const path = this.path!;
    const button = h(
      'button',
      { class: 'jp-mod-styled', 'data-locolens': 'open-validation', title: "Check every stride against LocoHub's validation ranges" },
      'Validate'
    );
    button.addEventListener('click', () => validate(path));
    return button;
  }

  private openButton(): HTMLElement | null {
    const openInMainArea = this.actions.openInMainArea;
    if (!openInMainArea) {
      return null;
    }
    const path = this.path!;
    const button = h(
      'button',
      { class: 'jp-mod-styled locolens-open-main', 'data-locolens': 'open-in-main-area', title: 'Open this summary in the main area' },
      'Open in main area'
    );
    button.addEventListener('click', () => openInMainArea(path));
    return button;
  }

  private variablesSection(summary: IDatasetSummary): HTMLElement {
    const byName = new Map(summary.variables.map(variable => [variable.name, variable]));
    const select = h(
      'select',
      { class: 'jp-mod-styled', 'aria-label': 'Group variables by', 'data-locolens': 'variable-grouping' },
      GROUPINGS.map(([value, label]) => {
        const option = h('option', { value }, label);
        option.selected = value === this.grouping;
        return option;
      })
    );
    const groups = h('div', { class: 'locolens-variable-groups' });
    const fill = () => {
      const grouped = summary.groups[this.grouping];
      groups.replaceChildren(
        ...Object.keys(grouped)
          .sort()
          .map(group =>
            h(
              'div',
              { class: 'locolens-variable-group', 'data-group': group },
              h('h4', {}, `${group} (${grouped[group].length})`),
              h(
                'ul',
                {},
                grouped[group].map(name => variableItem(byName.get(name)!))
              )
            )
          )
      );
    };
    select.addEventListener('change', () => {
      this.grouping = select.value as Grouping;
      fill();
    });
    fill();
    return section(`Variables (${summary.variables.length})`, 'variables', [
      h('label', { class: 'locolens-inline' }, 'Group by ', select),
      groups
    ]);
  }

  private conformanceSection(summary: IDatasetSummary): HTMLElement {
    const scanned = summary.variables.some(variable => variable.nanCount !== undefined);
    const button = h(
      'button',
      {
        class: 'jp-mod-styled jp-mod-accept locolens-scan',
        'data-locolens': 'scan-values',
        title: 'Decodes every variable column in the workers'
      },
      'Count NaN values in all variables'
    );
    button.addEventListener('click', () => void this.load(this.path!, true));
    const counts = { error: 0, warning: 0, info: 0 };
    summary.findings.forEach(finding => counts[finding.severity]++);
    return section(`Conformance (${counts.error} errors, ${counts.warning} warnings, ${counts.info} notes)`, 'conformance', [
      summary.findings.length === 0
        ? h('p', { class: 'locolens-ok' }, 'The file follows the LocoHub standard.')
        : h(
            'ul',
            { class: 'locolens-findings' },
            summary.findings.map(finding =>
              h(
                'li',
                { class: `locolens-finding locolens-finding-${finding.severity}`, 'data-code': finding.code },
                h('span', { class: 'locolens-severity' }, finding.severity),
                ' ',
                finding.message
              )
            )
          ),
      h(
        'p',
        { class: 'locolens-note' },
        scanned ? 'Missing values counted by decoding every variable column.' : 'Missing values from the footer statistics (nulls). ',
        scanned ? null : button
      )
    ]);
  }
}

function statusLabel(status: IDatasetSummary['status']): string {
  return status === 'conforms' ? 'conforms' : status === 'conforms-with-warnings' ? 'conforms, with warnings' : 'does not conform';
}

function term(label: string, value: string | number, key: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', { 'data-locolens': key }, value)] as HTMLElement[];
}

function section(title: string, key: string, content: Array<HTMLElement | null>, collapsed = false): HTMLElement {
  return h(
    'details',
    { class: 'locolens-section', 'data-locolens': `section-${key}`, open: !collapsed },
    h('summary', {}, title),
    ...content
  );
}

function variableItem(variable: IVariableSummary): HTMLElement {
  const missing = variable.nanCount ?? variable.nullCount;
  return h(
    'li',
    { class: variable.standard ? 'locolens-variable' : 'locolens-variable locolens-nonstandard', title: variable.reason ?? variable.type },
    h('code', {}, variable.name),
    missing ? h('span', { class: 'locolens-missing' }, ` ${missing} NaN`) : null,
    variable.suggestion ? h('span', { class: 'locolens-suggestion' }, ` → ${variable.suggestion}`) : null
  );
}
