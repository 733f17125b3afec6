/**
 * The cache section of the dataset browser: results and summaries in IndexedDB (entries, size,
 * hits, misses, hit rate), decoded tensors in OPFS, the origin's storage estimate, a switch
 * that asks the browser to keep the storage, and a button that clears it all.
 */
import { Widget } from '@lumino/widgets';

import { describeError } from '../core/errors';
import { formatBytes } from '../core/format';
import { h } from './dom';
import type { ICacheInfo, ILocolensDatasets } from './tokens';

/** The cache section. */
export class CacheSection extends Widget {
  constructor(private readonly datasets: ILocolensDatasets) {
    super();
    this.addClass('locolens-cache-section');
    this.node.dataset.locolens = 'cache-section';
    datasets.activity.connect((_, activity) => {
      if (activity.state !== 'running' && this.isVisible) {
        void this.refresh();
      }
    });
  }

  private refreshing: Promise<void> | null = null;

  /** Read the numbers again and show them. */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.datasets
        .cacheInfo()
        .then(info => this.showInfo(info))
        .catch(error =>
          this.node.replaceChildren(h('p', { class: 'locolens-message locolens-message-error' }, `Cache: ${describeError(error)}`))
        )
        .finally(() => (this.refreshing = null));
    }
    return this.refreshing;
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  protected onAfterAttach(): void {
    void this.refresh();
  }

  private showInfo(info: ICacheInfo): void {
    const { results, tensors, storage, persisted } = info;
    const lookups = results.hits + results.misses;
    const rate = lookups ? `${Math.round((100 * results.hits) / lookups)} %` : '–';
    const row = (label: string, value: string, key: string) =>
      h('tr', {}, h('th', { scope: 'row' }, label), h('td', { 'data-locolens': key }, value));
    const persist = h('input', { type: 'checkbox', 'data-locolens': 'persist' }) as HTMLInputElement;
    persist.checked = persisted === true;
    persist.disabled = persisted === null || persisted === true;
    persist.addEventListener('change', () => {
      void this.datasets.requestPersistence().then(granted => {
        if (!granted) {
          persist.checked = false;
          persist.title = 'The browser declined to keep the storage (it may grant it to a bookmarked or often used site).';
        }
        return this.refresh();
      });
    });
    const clear = h('button', { class: 'jp-mod-styled', 'data-locolens': 'clear-cache' }, 'Clear cache');
    clear.addEventListener('click', () => void this.datasets.clearCache().then(() => this.refresh()));
    this.node.replaceChildren(
      h('h3', {}, 'Cache'),
      h(
        'table',
        { class: 'locolens-cache-table' },
        h(
          'tbody',
          {},
          row('Results', `${results.entries} entries · ${formatBytes(results.bytes)}`, 'cache-entries'),
          row('Hits / misses', `${results.hits} / ${results.misses} (hit rate ${rate})`, 'cache-hits'),
          row('Decoded tensors', `${tensors.blocks} blocks · ${formatBytes(tensors.bytes)}`, 'cache-tensors'),
          row(
            'Browser storage',
            storage ? `${formatBytes(storage.usage)} of ${formatBytes(storage.quota)}` : 'no estimate in this browser',
            'storage-estimate'
          )
        )
      ),
      ...(results.disabled || tensors.disabled
        ? [
            h(
              'p',
              { class: 'locolens-message', role: 'status' },
              `Stepped aside: ${[results.disabled, tensors.disabled].filter(Boolean).join('; ')}`
            )
          ]
        : []),
      h(
        'label',
        { class: 'locolens-persist', title: 'navigator.storage.persist(): the browser keeps the caches under storage pressure' },
        persist,
        ' Keep the caches (persistent storage)'
      ),
      clear
    );
  }
}
