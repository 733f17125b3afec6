/**
 * The status-bar item: what locolens is doing (stage, row groups, bytes, cycles) with a cancel
 * button while an analysis runs, and how the last one went.
 */
import { Widget } from '@lumino/widgets';

import { progressFraction } from '../core/analysis/result';
import { formatBytes } from '../core/format';
import { h } from './dom';
import type { IActivity, ILocolensDatasets } from './tokens';

/** The status-bar item. */
export class ActivityStatus extends Widget {
  /** @param openGauges - opens the performance panel (a click on the text). */
  constructor(datasets: ILocolensDatasets, openGauges?: () => void) {
    super();
    this.addClass('locolens-activity-status');
    this.node.dataset.locolens = 'activity-status';
    this.node.append(this.text, this.cancel);
    this.cancel.addEventListener('click', () => this.current?.cancel?.());
    if (openGauges) {
      this.text.addEventListener('click', openGauges);
      this.text.style.cursor = 'pointer';
      this.text.title = 'Open the performance gauges';
    }
    datasets.activity.connect((_, activity) => this.showActivity(activity));
    this.showActivity(null);
  }

  private readonly text = h('span', { 'data-locolens': 'activity-text' });
  private readonly cancel = h(
    'button',
    { class: 'locolens-activity-cancel', title: 'Cancel the analysis', 'aria-label': 'Cancel the analysis' },
    '×'
  );
  private current: IActivity | null = null;
  private shown = 0;

  /** Analyses running now, and how many ended in each way (data-running, data-done, …: tests read them). */
  private readonly running = new Set<number>();
  private readonly ended: Record<string, number> = { done: 0, cancelled: 0, failed: 0 };

  private showActivity(activity: IActivity | null): void {
    if (activity) {
      if (activity.state === 'running') {
        this.running.add(activity.id);
      } else if (this.running.delete(activity.id)) {
        this.ended[activity.state]++;
        this.node.dataset[activity.state] = String(this.ended[activity.state]);
      }
      this.node.dataset.running = String(this.running.size);
    }
    const at = performance.now();
    // At most 10 updates a second while running; ends are always shown.
    if (activity?.state === 'running' && activity.progress && activity.id === this.current?.id && at - this.shown < 100) {
      this.current = activity;
      return;
    }
    this.shown = at;
    this.current = activity;
    this.cancel.hidden = activity?.state !== 'running';
    if (!activity) {
      // Not "idle": Galata finds a kernel's state by the text "Idle" in the status bar.
      this.text.textContent = 'locolens: ready';
      return;
    }
    const p = activity.progress;
    switch (activity.state) {
      case 'running': {
        const percent = Math.round(100 * progressFraction(p));
        const rowGroups = p?.rowGroups ? ` · row groups ${p.rowGroupsDone}/${p.rowGroups}` : '';
        this.text.textContent = p
          ? `locolens: ${p.stage} ${percent} %${rowGroups} · ${formatBytes(p.bytesRead)} · cycles ${p.cyclesDone}/${p.cycles}`
          : `locolens: ${activity.label}…`;
        break;
      }
      case 'done': {
        const result = activity.result;
        this.text.textContent = result
          ? `locolens: ${result.groups.reduce((sum, group) => sum + group.cycles, 0)} cycles in ${Math.round(result.timings.totalMs)} ms${result.cached ? ' (cache)' : ''}`
          : `locolens: ${activity.label}`;
        break;
      }
      case 'cancelled':
        this.text.textContent = 'locolens: analysis cancelled';
        break;
      case 'failed':
        this.text.textContent = `locolens: failed: ${activity.message ?? ''}`;
        break;
    }
    this.node.title = `${activity.label}${activity.message ? `\n${activity.message}` : ''}`;
  }
}
