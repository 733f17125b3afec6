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
import { Widget } from '@lumino/widgets';
import type { Data, Layout } from 'plotly.js';

import type { IAnalysisResult, IGroupAnalysis } from '../core/analysis/result';
import { describeError } from '../core/errors';
import { quantileSorted } from '../core/kernels/reference';
import { PHASES } from '../core/kernels/types';
import { baseLayout, correlationFigure, patternFigure, PHASE_PERCENT, romFigure, safeLabel, type IPlotTheme } from '../plots/figures';
import { readTheme } from '../lab/analysis-view';
import { DatasetSummaryView } from '../lab/dataset-summary-view';
import { h, tableOf } from '../lab/dom';
import type { ILocolensDatasets } from '../lab/tokens';
import { LOCOLENS_MIME, checkSpec, type ILocolensSpec, type ISavedResults } from './spec';

/** The version written into saved results. */

type Plotly = typeof import('plotly.js-dist-min').default;

/** Renders one locolens output. */
export class LocolensRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly datasets: ILocolensDatasets
  ) {
    super();
    this.addClass('locolens-output');
  }

  private writtenToken: string | null = null;
  private plotly: Plotly | null = null;
  private feature = 0;

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

  private async compute(spec: ILocolensSpec, model: IRenderMime.IMimeModel): Promise<void> {
    this.node.replaceChildren(h('div', { class: 'locolens-message', role: 'status' }, `locolens: reading ${spec.path}…`));
    let path: string;
    try {
      path = await this.resolve(spec.path);
    } catch (error) {
      this.showError(describeError(error));
      return;
    }
    try {
      const file = await this.datasets.stat(path);
      const token = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const base: ISavedResults = {
        token,
        computedAt: new Date().toISOString(),
        locolensVersion: LOCOLENS_VERSION,
        file,
        backend: 'workers',
        features: []
      };
      let results: ISavedResults;
      if (spec.view === 'dataset') {
        const summary = await this.datasets.inspect(path);
        // The summary view's DOM only (it needs no Lumino lifecycle); the file is read once.
        const view = new DatasetSummaryView(this.datasets);
        this.node.replaceChildren(this.strip(`dataset summary · ${summary.io.millis} ms · read ${summary.io.bytesRead} bytes`), view.node);
        await view.load(path);
        results = { ...base, backend: 'none', features: summary.variables.map(v => v.name), dataset: summary };
      } else {
        const selection = spec.selection.subject
          ? {
              subjects: [spec.selection.subject],
              task: spec.selection.task ?? undefined,
              features: spec.selection.features ?? undefined,
              groupBy: 'subject-task' as const
            }
          : { task: spec.selection.task ?? undefined, features: spec.selection.features ?? undefined, groupBy: 'task' as const };
        const result = await this.datasets.analyze(path, selection, {
          ddof: spec.options.ddof,
          nan: spec.options.nan,
          outlierThreshold: spec.options.threshold,
          backend: spec.options.backend
        });
        const group = result.groups[0];
        if (!group) {
          throw new Error('no cycles match the selection');
        }
        results = { ...base, ...this.compact(spec, result, group) };
        await this.drawLive(spec, path, result, group);
      }
      await this.save(spec, results, model);
    } catch (error) {
      this.showError(`${spec.path}: ${describeError(error)}`);
    }
  }

  /** Draw a fresh result. */
  private async drawLive(spec: ILocolensSpec, path: string, result: IAnalysisResult, group: IGroupAnalysis): Promise<void> {
    const theme = readTheme(this.node);
    const plot = h('div', { class: 'locolens-output-plot', 'data-locolens': 'plot' });
    const label = `${group.task} · ${group.subjects.length === 1 ? group.subjects[0] : `${group.subjects.length} subjects`} · ${group.cycles} cycles · ${group.outliers.cycles.length} outliers`;
    const strip = this.strip(`${label} · ${runGauges(result).text}`);
    this.feature = Math.max(
      0,
      group.features.findIndex(name => name.startsWith('knee_flexion_angle'))
    );
    const draw = async () => {
      const f = this.feature;
      const C = group.cycles;
      if (spec.view === 'patterns' || spec.view === 'outliers') {
        // The drawn feature's cycles: kept by the analysis, else read back from the tensor store (that feature only).
        const samples = group.tensor
          ? group.tensor.data.subarray(f * C * PHASES, (f + 1) * C * PHASES)
          : await this.datasets.groupSamples(path, result, result.groups.indexOf(group), f);
        return patternFigure(group, f, samples, theme);
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
      parts.push(this.featureSelect(group.features, () => void draw().then(figure => this.plot(plot, figure))));
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
    this.node.replaceChildren(...parts);
    await this.plot(plot, await draw());
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

  /** A path relative to the notebook, resolved to the server root; it may not leave the root. */
  private async resolve(path: string): Promise<string> {
    if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/')) {
      throw new Error(`the path ${JSON.stringify(path)} must be relative to the notebook's folder`);
    }
    // The notebook's folder, from the output's resolver ("" at the server root).
    const resolver = this.options.resolver;
    const probe = resolver ? decodeURIComponent(await resolver.resolveUrl('locolens-probe')) : 'locolens-probe';
    const folder = probe.replace(/^\/+/, '').split('/').slice(0, -1);
    const parts = [...folder];
    for (const segment of path.split('/')) {
      if (segment === '..') {
        if (parts.length === 0) {
          throw new Error(`the path ${JSON.stringify(path)} leaves the server root`);
        }
        parts.pop();
      } else if (segment && segment !== '.') {
        parts.push(segment);
      }
    }
    return parts.join('/');
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

  private async plot(node: HTMLElement, figure: { data: Data[]; layout: Partial<Layout> } | null): Promise<void> {
    if (!figure) {
      return;
    }
    if (!this.plotly) {
      this.plotly = (await import('plotly.js-dist-min')).default;
    }
    await this.plotly.react(node, figure.data, { ...figure.layout, height: 420 }, { responsive: true, displaylogo: false });
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

function savedPatternFigure(name: string, results: ISavedResults, theme: IPlotTheme): { data: Data[]; layout: Partial<Layout> } {
  const { mean, std } = results.patterns![name];
  const m = mean.map(v => v ?? NaN);
  const s = std.map(v => v ?? NaN);
  const data: Data[] = [
    {
      type: 'scatter',
      mode: 'lines',
      x: PHASE_PERCENT,
      y: m.map((v, p) => v - s[p]),
      line: { width: 0, color: theme.accent },
      hoverinfo: 'skip',
      showlegend: false
    },
    {
      type: 'scatter',
      mode: 'lines',
      name: 'mean ± 1 SD',
      x: PHASE_PERCENT,
      y: m.map((v, p) => v + s[p]),
      fill: 'tonexty',
      line: { width: 0, color: theme.accent }
    },
    { type: 'scatter', mode: 'lines', name: 'mean', x: PHASE_PERCENT, y: m, line: { color: theme.accent, width: 2.5 } }
  ];
  const layout = baseLayout(
    theme,
    `${safeLabel(name)} — ${safeLabel(results.task ?? '')} (saved: ${results.cycles} cycles, ${results.outliers?.cycles.length ?? 0} outliers)`,
    ''
  );
  (layout.xaxis as Record<string, unknown>).title = { text: 'gait cycle (%)' };
  return { data, layout };
}

function savedRomFigure(
  name: string,
  boxes: Record<string, { min: number; q1: number; median: number; q3: number; max: number }>,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const subjects = Object.keys(boxes);
  return {
    data: [
      {
        type: 'box',
        x: subjects.map(safeLabel),
        lowerfence: subjects.map(s => boxes[s].min),
        q1: subjects.map(s => boxes[s].q1),
        median: subjects.map(s => boxes[s].median),
        q3: subjects.map(s => boxes[s].q3),
        upperfence: subjects.map(s => boxes[s].max),
        marker: { color: theme.accent }
      } as unknown as Data
    ],
    layout: { ...baseLayout(theme, `ROM per cycle — ${safeLabel(name)} (saved)`, ''), showlegend: false }
  };
}

function savedCorrelationFigure(
  features: string[],
  matrix: Array<Array<number | null>>,
  theme: IPlotTheme
): { data: Data[]; layout: Partial<Layout> } {
  const labels = features.map(safeLabel);
  const layout = baseLayout(theme, 'Pearson correlation over all samples (saved)', '');
  layout.margin = { l: 220, r: 20, t: 40, b: 180 };
  (layout.yaxis as Record<string, unknown>).autorange = 'reversed';
  return {
    data: [{ type: 'heatmap', z: matrix, x: labels, y: labels, zmin: -1, zmax: 1, colorscale: 'RdBu', reversescale: true } as Data],
    layout
  };
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
