/**
 * The dataset browser: a left-sidebar panel listing the parquet files under a folder of the
 * server, and the summary of the selected one. Files ticked (their checkbox, or a ctrl/⌘-click)
 * are compared with _Compare_.
 */
import { SplitPanel, Widget } from '@lumino/widgets';
import { refreshIcon } from '@jupyterlab/ui-components';

import { describeError } from '../core/errors';
import { formatBytes } from '../core/format';
import { CacheSection } from './cache-section';
import { DatasetSummaryView, type ISummaryActions } from './dataset-summary-view';
import { h } from './dom';
import { locolensIcon } from './icons';
import type { IParquetFileEntry, ILocolensDatasets } from './tokens';

/** The file list at the top of the panel. */
class ParquetFileList extends Widget {
  constructor(
    private readonly onSelect: (entry: IParquetFileEntry) => void,
    private readonly onCheck: (paths: string[]) => void = () => undefined
  ) {
    super();
    this.addClass('locolens-file-list');
  }

  private entries: IParquetFileEntry[] = [];
  private selected: string | null = null;
  /** Files ticked for a comparison, in the order they were ticked. */
  private checked: string[] = [];

  /** The files ticked for a comparison, in the order they were ticked. */
  get checkedPaths(): string[] {
    return this.checked.slice();
  }

  /** Tick or untick a file for a comparison. */
  setChecked(path: string, on: boolean): void {
    this.checked = this.checked.filter(other => other !== path).concat(on ? [path] : []);
    for (const box of Array.from(this.node.querySelectorAll<HTMLInputElement>('.locolens-file-check'))) {
      box.checked = this.checked.includes(box.value);
    }
    this.onCheck(this.checkedPaths);
  }

  setHeader(header: HTMLElement): void {
    this.node.replaceChildren(header, ...Array.from(this.node.children).slice(1));
  }

  showFiles(entries: IParquetFileEntry[], folder: string): void {
    this.entries = entries;
    this.checked = this.checked.filter(path => entries.some(entry => entry.path === path));
    const body =
      entries.length === 0
        ? h('p', { class: 'locolens-message', 'data-locolens': 'no-files' }, `No .parquet files under "${folder || '/'}".`)
        : h(
            'ul',
            { class: 'locolens-files', role: 'listbox', 'aria-label': 'Parquet files' },
            entries.map(entry => {
              const check = h('input', {
                type: 'checkbox',
                class: 'locolens-file-check',
                value: entry.path,
                title: 'Tick to compare',
                'aria-label': `Compare ${entry.path}`
              });
              check.checked = this.checked.includes(entry.path);
              // The row's own click and keys (select, open) stay off the checkbox.
              check.addEventListener('click', event => event.stopPropagation());
              check.addEventListener('keydown', event => event.stopPropagation());
              check.addEventListener('change', () => this.setChecked(entry.path, check.checked));
              const item = h(
                'li',
                {
                  class: 'locolens-file',
                  role: 'option',
                  tabindex: 0,
                  title: entry.path,
                  'data-path': entry.path,
                  'aria-selected': entry.path === this.selected ? 'true' : 'false'
                },
                check,
                h('span', { class: 'locolens-file-name' }, entry.path),
                h('span', { class: 'locolens-file-size' }, formatBytes(entry.size))
              );
              const select = () => {
                this.select(entry.path);
                this.onSelect(entry);
              };
              item.addEventListener('click', event => {
                if (event.ctrlKey || event.metaKey) {
                  this.setChecked(entry.path, !this.checked.includes(entry.path));
                } else {
                  select();
                }
              });
              item.addEventListener('keydown', event => {
                if (event.key === 'Enter' || event.key === ' ') {
                  event.preventDefault();
                  select();
                }
              });
              return item;
            })
          );
    this.replaceBody(body);
    this.onCheck(this.checkedPaths);
  }

  showError(text: string): void {
    this.replaceBody(h('p', { class: 'locolens-message locolens-message-error', role: 'alert' }, text));
  }

  showLoading(folder: string): void {
    this.replaceBody(h('p', { class: 'locolens-message', role: 'status' }, `Listing .parquet files under "${folder || '/'}"…`));
  }

  select(path: string): void {
    this.selected = path;
    for (const item of Array.from(this.node.querySelectorAll('.locolens-file'))) {
      item.setAttribute('aria-selected', item.getAttribute('data-path') === path ? 'true' : 'false');
    }
  }

  get files(): IParquetFileEntry[] {
    return this.entries;
  }

  private replaceBody(body: HTMLElement): void {
    const header = this.node.firstElementChild;
    this.node.replaceChildren(...(header ? [header, body] : [body]));
  }
}

/** The dataset browser panel. */
export class DatasetBrowser extends SplitPanel {
  /**
   * @param datasets - the dataset service.
   * @param actions - what the summary offers (open in the main area, analyse).
   */
  /**
   * @param compare - compares the ticked files (the Compare button; absent: no button).
   */
  constructor(
    private readonly datasets: ILocolensDatasets,
    actions: ISummaryActions = {},
    compare?: (paths: string[]) => void
  ) {
    super({ orientation: 'vertical', spacing: 4 });
    this.id = 'locolens-dataset-browser';
    this.addClass('locolens-dataset-browser');
    this.title.icon = locolensIcon;
    this.title.caption = 'locolens datasets';
    const compareButton = h(
      'button',
      {
        class: 'jp-ToolbarButtonComponent locolens-compare-selected',
        'data-locolens': 'compare-selected',
        title: 'Compare the ticked files (tick two or more)',
        disabled: true
      },
      'Compare'
    );
    compareButton.addEventListener('click', () => compare?.(this.fileList.checkedPaths));
    this.fileList = new ParquetFileList(
      entry => void this.summary.load(entry.path),
      paths => {
        compareButton.disabled = paths.length < 2;
        compareButton.textContent = paths.length ? `Compare (${paths.length})` : 'Compare';
      }
    );
    this.summary = new DatasetSummaryView(datasets, actions);
    const refresh = h('button', {
      class: 'jp-ToolbarButtonComponent locolens-refresh',
      title: 'Refresh the file list',
      'aria-label': 'Refresh'
    });
    refreshIcon.element({ container: refresh, tag: 'span' });
    refresh.addEventListener('click', () => void this.refresh());
    this.fileList.setHeader(
      h('div', { class: 'locolens-browser-header' }, h('h3', {}, 'Datasets'), compare ? compareButton : null, refresh)
    );
    this.cache = new CacheSection(datasets);
    this.addWidget(this.fileList);
    this.addWidget(this.summary);
    this.addWidget(this.cache);
    this.setRelativeSizes([1, 3, 1]);
  }

  private readonly fileList: ParquetFileList;
  private readonly summary: DatasetSummaryView;
  private readonly cache: CacheSection;
  private folder = '';
  private limit = 2000;

  /** Set the folder to list (from the settings) and refresh. */
  configure(folder: string, limit: number): void {
    const changed = folder !== this.folder || limit !== this.limit;
    this.folder = folder;
    this.limit = limit;
    if (changed && this.isAttached) {
      void this.refresh();
    }
  }

  /** List the files again. */
  async refresh(): Promise<void> {
    this.fileList.showLoading(this.folder);
    try {
      this.fileList.showFiles(await this.datasets.listParquetFiles(this.folder, this.limit), this.folder);
    } catch (error) {
      this.fileList.showError(describeError(error));
    }
  }

  /** The files ticked for a comparison, in the order they were ticked. */
  get checkedPaths(): string[] {
    return this.fileList.checkedPaths;
  }

  /** Show the summary of `path` (selects it in the list when listed). */
  async open(path: string): Promise<void> {
    this.fileList.select(path);
    await this.summary.load(path);
  }

  protected onAfterAttach(): void {
    void this.refresh();
  }
}
