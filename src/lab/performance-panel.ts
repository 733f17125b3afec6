/**
 * The performance panel (right sidebar): live gauges with sparklines (throughput in MB/s
 * decoded and cycles/s analysed, the page's JS heap, busy workers), the last run's stage
 * breakdown as a plotly bar, its backend and GPU adapter, the caches' hits, misses and size, and
 * an export of the profile as JSON.
 *
 * #### Notes
 * Redraws at most 4 times a second from the sampled history; nothing is sent per cycle. Worker
 * and WebAssembly memory are not visible to a page that is not cross-origin isolated (JupyterLab
 * is not): the panel says so instead of guessing.
 */
import { Widget } from '@lumino/widgets';
import type { Data, Layout } from 'plotly.js';

import type { IMonitorSample } from '../core/monitor/performance-monitor';
import { formatBytes } from '../core/format';
import { heapWarningText } from '../core/monitor/performance-monitor';
import { h } from './dom';
import { exportFigureButton } from './figure-export';
import { locolensIcon } from './icons';
import type { ICacheInfo, ILocolensDatasets, ILocolensPerformance } from './tokens';

const SVG = 'http://www.w3.org/2000/svg';

/** Per-second rates between consecutive samples of a cumulative counter. */
export function rates(history: IMonitorSample[], key: 'bytesRead' | 'cyclesDone'): number[] {
  const out: number[] = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1][key];
    const b = history[i][key];
    const dt = (history[i].t - history[i - 1].t) / 1000;
    out.push(a !== undefined && b !== undefined && b >= a && dt > 0 ? (b - a) / dt : 0);
  }
  return out;
}

/** An SVG sparkline of `values` (0 at the bottom). */
function sparkline(values: number[], label: string): SVGSVGElement {
  const width = 120;
  const height = 24;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'locolens-sparkline');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const max = Math.max(1e-9, ...values);
  const points = values.map(
    (v, i) => `${((i / Math.max(1, values.length - 1)) * width).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`
  );
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points.join(' '));
  svg.append(line);
  return svg;
}

/** The performance panel. */
export class PerformancePanel extends Widget {
  constructor(
    private readonly performance: ILocolensPerformance,
    private readonly datasets: ILocolensDatasets
  ) {
    super();
    this.id = 'locolens-performance';
    this.addClass('locolens-performance');
    this.title.icon = locolensIcon;
    this.title.caption = 'locolens performance';
    performance.changed.connect(() => this.schedule());
    datasets.activity.connect((_, activity) => {
      // Cache figures list the stored tensors (worker I/O): only while the panel is shown.
      if (activity.state !== 'running' && this.isVisible) {
        void datasets.cacheInfo().then(info => {
          this.cache = info;
          this.schedule();
        });
      }
    });
  }

  private cache: ICacheInfo | null = null;
  private pending = false;
  private lastDraw = 0;
  private plotly: typeof import('plotly.js-dist-min').default | null = null;
  private readonly stagePlot = h('div', { class: 'locolens-stage-plot', 'data-locolens': 'stage-plot' });
  /** The stage plot's figure as drawn last (for "Export figure…"). */
  private stageFigure: { data: Data[]; layout: Partial<Layout> } | null = null;
  /** Where "Export figure…" says what it wrote. */
  private readonly footer = h('div', { class: 'locolens-analysis-footer', 'data-locolens': 'perf-footer' });

  protected onAfterShow(): void {
    this.performance.setIdleSampling(true);
    void this.datasets.cacheInfo().then(info => {
      this.cache = info;
      this.render();
    });
    this.render();
  }

  protected onAfterHide(): void {
    this.performance.setIdleSampling(false);
  }

  private schedule(): void {
    if (!this.isVisible || this.pending) {
      return;
    }
    this.pending = true;
    const wait = Math.max(0, 250 - (Date.now() - this.lastDraw));
    setTimeout(() => {
      this.pending = false;
      this.lastDraw = Date.now();
      this.render();
    }, wait);
  }

  private render(): void {
    const history = this.performance.history;
    const latest = history[history.length - 1];
    const bytes = rates(history, 'bytesRead');
    const cycles = rates(history, 'cyclesDone');
    const heap = history.map(sample => sample.heapUsedBytes ?? 0);
    const busy = history.map(sample => (sample.workers ? (sample.busyWorkers ?? 0) / sample.workers : 0));
    const gauge = (key: string, label: string, value: string, values: number[]) =>
      h(
        'div',
        { class: 'locolens-gauge', 'data-locolens': `gauge-${key}` },
        h('span', { class: 'locolens-gauge-label' }, label),
        h('span', { class: 'locolens-gauge-value', 'data-locolens': `gauge-${key}-value` }, value),
        sparkline(values, label)
      );
    const profile = this.performance.lastProfile;
    const activity = this.performance.lastActivity;
    const result = activity?.result;
    const stats = this.cache?.results;
    const lookups = stats ? stats.hits + stats.misses : 0;
    const exportButton = h(
      'button',
      { class: 'jp-mod-styled', 'data-locolens': 'export-profile', disabled: profile ? undefined : 'disabled' },
      'Export JSON'
    );
    exportButton.addEventListener('click', () => this.download());
    const pngButton = h(
      'button',
      { class: 'jp-mod-styled', 'data-locolens': 'export-png', disabled: profile?.stages.length ? undefined : 'disabled' },
      'Export PNG'
    );
    pngButton.addEventListener('click', () => void this.downloadPng());
    const heapKnown = heap.some(v => v > 0);
    this.node.replaceChildren(
      h('h3', {}, 'Performance'),
      gauge('throughput', 'Decoded', `${formatBytes(bytes[bytes.length - 1] ?? 0)}/s`, bytes),
      gauge('cycles', 'Analysed', `${Math.round(cycles[cycles.length - 1] ?? 0).toLocaleString('en-US')} cycles/s`, cycles),
      gauge('heap', 'JS heap (page)', heapKnown ? formatBytes(latest?.heapUsedBytes ?? 0) : 'not reported by this browser', heap),
      heapWarning(latest?.heapUsedBytes ?? 0) ?? '',
      gauge('workers', 'Workers busy', latest?.workers ? `${latest.busyWorkers ?? 0} of ${latest.workers}` : '–', busy),
      this.ledgerLine(),
      h(
        'p',
        { class: 'locolens-gauge-note', 'data-locolens': 'memory-note' },
        globalThis.crossOriginIsolated
          ? 'Worker and WebAssembly memory: see performance.measureUserAgentSpecificMemory().'
          : 'Worker and WebAssembly memory are not visible to this page (it is not cross-origin isolated), so they are not shown.'
      ),
      h('h4', {}, 'Last run'),
      h(
        'p',
        { 'data-locolens': 'last-run' },
        result
          ? `${result.groups.reduce((sum, group) => sum + group.cycles, 0).toLocaleString('en-US')} cycles · ${Math.round(result.timings.totalMs)} ms · backend ${result.backend}${result.adapter ? ` on ${result.adapter}` : ''}${result.cached ? ' · from the cache' : ''} · ${formatBytes(result.io.bytesRead)} read · ${result.memory.mode}`
          : activity
            ? `${activity.state}: ${activity.message ?? activity.label}`
            : 'No analysis yet.'
      ),
      this.stagePlot,
      h('h4', {}, 'Caches'),
      h(
        'p',
        { 'data-locolens': 'perf-cache' },
        stats
          ? `${stats.hits} hits · ${stats.misses} misses${lookups ? ` (${Math.round((100 * stats.hits) / lookups)} %)` : ''} · ${stats.entries} entries · ${formatBytes(stats.bytes)} · tensors ${formatBytes(this.cache!.tensors.bytes)}`
          : '–'
      ),
      exportButton,
      pngButton,
      // No dataset here: the figure goes to the server root (locolens-profile.stages.<format>).
      exportFigureButton(this.footer, this.datasets, () =>
        this.stageFigure
          ? { figure: this.stageFigure, meta: { xTitle: 'Time (ms)', yTitle: '' }, datasetPath: 'locolens-profile', nameParts: ['stages'] }
          : null
      ),
      this.footer
    );
    void this.drawStages();
  }

  /** What the analyses hold together against the one memory budget (the ledger's reservations). */
  private ledgerLine(): HTMLElement {
    const ledger = this.datasets.memoryLedger;
    return h(
      'p',
      {
        class: 'locolens-gauge-note',
        'data-locolens': 'perf-ledger',
        'data-reserved': ledger?.reserved ?? 0,
        'data-peak': ledger?.peak ?? 0,
        'data-capacity': ledger?.capacity ?? 0
      },
      ledger
        ? `Analyses hold ${formatBytes(ledger.reserved)} of the ${formatBytes(ledger.capacity)} budget (most at once ${formatBytes(ledger.peak)}) · ${ledger.running} running · ${ledger.waiting} waiting`
        : 'Analyses hold nothing yet.'
    );
  }

  private async drawStages(): Promise<void> {
    const stages = this.performance.lastProfile?.stages ?? [];
    if (!stages.length) {
      return;
    }
    // A draw, as the views' (plotly loaded on the first, then drawn): the page's long tasks can be
    // told apart from drawing.
    const drawStarted = globalThis.performance.now();
    if (!this.plotly) {
      this.plotly = (await import('plotly.js-dist-min')).default;
    }
    const style = getComputedStyle(this.node);
    const color = style.getPropertyValue('--jp-ui-font-color1').trim() || '#333';
    const figure: { data: Data[]; layout: Partial<Layout> } = {
      data: [
        {
          type: 'bar',
          orientation: 'h',
          name: 'stage time (ms)',
          x: stages.map(stage => stage.ms),
          y: stages.map(stage => stage.name),
          hovertemplate: '%{y}: %{x:.0f} ms<extra></extra>'
        }
      ],
      layout: {
        height: 40 + 24 * stages.length,
        margin: { l: 150, r: 10, t: 10, b: 30 },
        paper_bgcolor: 'rgba(0,0,0,0)',
        plot_bgcolor: 'rgba(0,0,0,0)',
        font: { color, size: 11 },
        xaxis: { title: { text: 'ms' } },
        showlegend: false
      }
    };
    this.stageFigure = figure;
    await this.plotly.react(this.stagePlot, figure.data, figure.layout, { displayModeBar: false, responsive: true });
    globalThis.performance.measure?.('locolens:render', { start: drawStarted, end: globalThis.performance.now() });
    this.stagePlot.dataset.drawn = String(stages.length);
  }

  private download(): void {
    saveAs(URL.createObjectURL(new Blob([this.performance.exportJSON()], { type: 'application/json' })), 'locolens-profile.json');
  }

  /** The last run's stage plot as a PNG (plotly's image export, at twice the shown size). */
  private async downloadPng(): Promise<void> {
    if (!this.plotly || !this.stagePlot.dataset.drawn) {
      return;
    }
    const url = await this.plotly.toImage(this.stagePlot, {
      format: 'png',
      width: 900,
      height: 60 + 36 * Number(this.stagePlot.dataset.drawn),
      scale: 2
    });
    saveAs(url, 'locolens-stages.png');
  }
}

/** A warning when the page's JS heap nears its limit (80 %), where the browser reports both. */
export function heapWarning(
  used: number,
  limit = (performance as Performance & { memory?: { jsHeapSizeLimit: number } }).memory?.jsHeapSizeLimit
): HTMLElement | null {
  const text = heapWarningText(used, limit);
  return text ? h('p', { class: 'locolens-message-error', role: 'alert', 'data-locolens': 'heap-warning' }, text) : null;
}

/** Save a URL (object or data URL) as a download. */
function saveAs(href: string, name: string): void {
  const link = h('a', { href, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  if (href.startsWith('blob:')) {
    setTimeout(() => URL.revokeObjectURL(href), 10000);
  }
}
