/**
 * The validation tuner (main area): a file checked against LocoHub ranges, with the stride and
 * variable pass rates, LocoHub's labels and the 90 % gate; per task and variable, the strides drawn
 * with the range box at each checked phase. Dragging a box's edge or typing a bound re-checks that
 * task at once (the samples are kept: no file read); ranges can be suggested from the data with
 * LocoHub's methods, saved as YAML that LocoHub's tools read, and the clean file (failing strides
 * removed) written next to the dataset.
 *
 * #### Notes
 * The samples at the checked phases are read on the worker pool, a few per stride; the drawn
 * strides' curves are read once per task × variable. Text from files is set as text.
 */
import { InputDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { describeError, errorCode } from '../core/errors';
import { formatBytes } from '../core/format';
import { copyRanges, formatValidationRanges, parseValidationRanges, phaseIndex, type IValidationRanges } from '../core/validation/ranges';
import { DEFAULT_PHASES, SUGGEST_METHODS, SUGGEST_METHOD_TEXT, suggestTaskRanges, type SuggestMethod } from '../core/validation/suggest';
import { cleanFilePath, recheckTask, unboundedRanges, type IFileValidation } from '../core/validation/validate-file';
import {
  TASK_TABLE_COLUMNS,
  percentText,
  labelText,
  strideFailingVariables,
  taskTableRows,
  type ITaskValidation
} from '../core/validation/validator';
import { readTheme } from '../plots/plot-theme';
import { editedBoxes, tunerFigure, type ITunerBox } from '../plots/validation-figures';
import { h, tableOf } from './dom';
import { exportFigureButton } from './figure-export';
import { plotMeta } from '../plots/publication';
import type { ILocolensDatasets } from './tokens';

/** Strides drawn per class (failing this variable, passing) for one task × variable. */
const DRAWN_PER_CLASS = 300;
/** Failing strides listed. */
const LISTED_FAILURES = 100;

/** The tuner of one file. */
export class ValidationView extends Widget {
  constructor(
    private readonly datasets: ILocolensDatasets,
    readonly path: string,
    private rangesPath: string | null = null
  ) {
    super();
    this.addClass('locolens-validation');
    this.title.label = `Validate · ${path.split('/').pop()}`;
    this.title.caption = `${path}: LocoHub validation ranges`;
    this.title.closable = true;
    this.node.replaceChildren(
      this.header,
      this.controls,
      this.tasksBox,
      this.tunerControls,
      this.plot,
      this.boundsBox,
      this.variablesBox,
      this.failuresBox,
      this.footer
    );
    this.buildControls();
  }

  private readonly header = h('div', { class: 'locolens-analysis-header' });
  private readonly controls = h('div', { class: 'locolens-analysis-controls', role: 'toolbar' });
  private readonly tasksBox = h('div', { class: 'locolens-validation-tasks' });
  private readonly tunerControls = h('div', { class: 'locolens-analysis-controls', role: 'toolbar' });
  private readonly plot = h('div', { class: 'locolens-plot locolens-tuner-plot', 'data-locolens': 'tuner-plot' });
  private readonly boundsBox = h('div', { class: 'locolens-validation-bounds' });
  private readonly variablesBox = h('div', { class: 'locolens-validation-variables' });
  private readonly failuresBox = h('div', { class: 'locolens-validation-failures' });
  private readonly footer = h('div', { class: 'locolens-analysis-footer' });
  private readonly rangesInput = h('input', {
    type: 'text',
    class: 'jp-mod-styled',
    'data-locolens': 'ranges-path',
    placeholder: 'ranges YAML on the server, e.g. validation_ranges/default_ranges.yaml',
    'aria-label': 'Ranges file'
  });
  private readonly excludeInput = h('input', {
    type: 'text',
    class: 'jp-mod-styled',
    'data-locolens': 'exclude-columns',
    placeholder: 'columns to exclude (comma-separated)',
    'aria-label': 'Columns to exclude'
  });
  private readonly methodSelect = h(
    'select',
    { class: 'jp-mod-styled', 'data-locolens': 'suggest-method', 'aria-label': 'Method' },
    SUGGEST_METHODS.map(method => h('option', { value: method, title: SUGGEST_METHOD_TEXT[method] }, method))
  );
  private readonly taskSelect = h('select', { class: 'jp-mod-styled', 'data-locolens': 'tuner-task', 'aria-label': 'Task' });
  private readonly variableSelect = h('select', { class: 'jp-mod-styled', 'data-locolens': 'tuner-variable', 'aria-label': 'Variable' });

  private ranges: IValidationRanges | null = null;
  private rangesName = '';
  private validation: IFileValidation | null = null;
  private task = '';
  private variable = '';
  /** The drawn strides of the current task × variable and their curves. */
  private drawn: { key: string; strides: Int32Array; curves: Float64Array } | null = null;
  private controller: AbortController | null = null;
  private plotly: typeof import('plotly.js-dist-min').default | null = null;
  private lastEditMs: number | null = null;
  /** The figure drawn last (for Export figure…). */
  private drawnFigure: ReturnType<typeof tunerFigure> | null = null;

  /** Read the ranges file given at opening (if any) and validate. */
  async load(): Promise<void> {
    if (this.rangesPath) {
      this.rangesInput.value = this.rangesPath;
      await this.loadRanges(this.rangesPath);
    } else {
      this.status('Give a ranges YAML (LocoHub layout 2.0) and press Load, or suggest ranges from the data.');
    }
  }

  dispose(): void {
    this.controller?.abort();
    this.plotly?.purge(this.plot);
    super.dispose();
  }

  private buildControls(): void {
    const button = (label: string, name: string, title: string, action: () => void) => {
      const element = h('button', { class: 'jp-mod-styled', 'data-locolens': name, title }, label);
      element.addEventListener('click', action);
      return element;
    };
    this.controls.replaceChildren(
      this.rangesInput,
      button('Load', 'load-ranges', 'Read the ranges file and validate', () => void this.loadRanges(this.rangesInput.value.trim())),
      this.excludeInput,
      this.methodSelect,
      button(
        'Suggest from data',
        'suggest',
        'Ranges from the data with the chosen method (the shown task, or every task without ranges)',
        () => void this.suggest()
      ),
      button('Save ranges…', 'save-ranges', 'Write the ranges as YAML (LocoHub layout 2.0)', () => void this.saveRanges()),
      button('Export clean file…', 'export-clean', 'Write the file without its failing strides, next to it', () => void this.exportClean())
    );
    this.rangesInput.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.loadRanges(this.rangesInput.value.trim());
      }
    });
    this.taskSelect.addEventListener('change', () => {
      this.task = this.taskSelect.value;
      this.variable = '';
      void this.renderTuner();
    });
    this.variableSelect.addEventListener('change', () => {
      this.variable = this.variableSelect.value;
      void this.renderTuner();
    });
    this.tunerControls.replaceChildren(
      h('label', {}, 'Task ', this.taskSelect),
      h('label', {}, 'Variable ', this.variableSelect),
      // The strides and range boxes drawn, as a figure for a paper (next to the dataset).
      exportFigureButton(this.footer, this.datasets, () =>
        this.drawnFigure
          ? {
              figure: this.drawnFigure,
              meta: plotMeta('patterns', this.variable),
              datasetPath: this.path,
              nameParts: [this.task, this.variable, 'validation']
            }
          : null
      )
    );
  }

  private status(text: string, error = false): void {
    this.header.replaceChildren(
      h('h2', {}, `Validation — ${this.path.split('/').pop()}`),
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

  private excluded(): string[] {
    return this.excludeInput.value
      .split(',')
      .map(name => name.trim())
      .filter(Boolean);
  }

  private async loadRanges(path: string): Promise<void> {
    if (!path) {
      this.status('Give the path of a ranges YAML on the server.', true);
      return;
    }
    this.status(`Reading ${path}…`);
    try {
      const ranges = parseValidationRanges(await this.datasets.readText(path), path.split('/').pop());
      this.rangesPath = path;
      await this.validate(ranges, path.split('/').pop() ?? path);
    } catch (error) {
      this.status(describeError(error), true);
    }
  }

  /** Validate the file against `ranges` (reads the samples) and show everything. */
  private async validate(ranges: IValidationRanges, name: string): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.status(`Validating against ${name}…`);
    const started = performance.now();
    try {
      const validation = await this.datasets.validate(this.path, ranges, { ignore: this.excluded(), signal: controller.signal });
      if (controller !== this.controller) {
        return;
      }
      this.ranges = ranges;
      this.rangesName = name;
      this.validation = validation;
      this.drawn = null;
      this.lastEditMs = null;
      const tasks = validation.result.tasks.filter(task => task.strides > 0);
      if (!tasks.some(task => task.task === this.task)) {
        this.task = tasks[0]?.task ?? validation.result.tasks[0]?.task ?? '';
        this.variable = '';
      }
      this.readMs = performance.now() - started;
      this.renderAll();
    } catch (error) {
      if (controller === this.controller) {
        this.status(errorCode(error) === 'cancelled' ? 'Validation cancelled.' : describeError(error), true);
      }
    }
  }

  private readMs = 0;

  private renderAll(): void {
    this.renderStatus();
    this.renderTasks();
    void this.renderTuner();
  }

  private renderStatus(): void {
    const result = this.validation!.result;
    const warnings = this.ranges!.warnings;
    this.header.replaceChildren(
      h('h2', {}, `Validation — ${this.path.split('/').pop()}`),
      h(
        'p',
        { class: 'locolens-analysis-status', 'data-locolens': 'validation-status' },
        h('strong', { 'data-locolens': 'stride-pass-rate' }, percentText(result.stridePassRate)),
        ` of strides pass (${(result.totalStrides - result.failingStrides).toLocaleString('en-US')} of ${result.totalStrides.toLocaleString('en-US')}) `,
        h('span', { 'data-locolens': 'validation-label' }, labelText(result.label)),
        ` · variable pass rate ${percentText(result.variablePassRate)} (${result.totalViolations.toLocaleString('en-US')} violations in ${result.totalChecks.toLocaleString('en-US')} checks)`,
        ` · quality gate (≥ 90 %): `,
        h('span', { 'data-locolens': 'quality-gate' }, result.qualityGatePassed ? 'passed' : 'failed'),
        ` · ranges ${this.rangesName}`
      ),
      h(
        'p',
        { class: 'locolens-analysis-status', 'data-locolens': 'edit-ms' },
        this.lastEditMs === null
          ? `${result.phaseMessage} · samples read in ${Math.round(this.readMs)} ms`
          : `${result.phaseMessage} · re-checked in ${this.lastEditMs.toFixed(1)} ms`
      ),
      ...warnings.map(warning => h('p', { class: 'locolens-message', 'data-locolens': 'ranges-warning' }, warning))
    );
  }

  private renderTasks(): void {
    const result = this.validation!.result;
    const table = tableOf(TASK_TABLE_COLUMNS, taskTableRows(result), { 'data-locolens': 'validation-tasks' });
    table.querySelectorAll('tbody tr').forEach((row, i) => {
      const task = result.tasks[i];
      row.setAttribute('data-task', task.task);
      if (task.strides) {
        row.classList.add('locolens-clickable');
        row.addEventListener('click', () => {
          this.task = task.task;
          this.variable = '';
          void this.renderTuner();
        });
      }
    });
    this.tasksBox.replaceChildren(table);
  }

  private taskResult(): ITaskValidation | undefined {
    return this.validation?.result.tasks.find(task => task.task === this.task);
  }

  private async renderTuner(): Promise<void> {
    const validation = this.validation;
    const task = this.taskResult();
    if (!validation || !task) {
      this.plot.replaceChildren();
      return;
    }
    const checked = validation.result.tasks.filter(candidate => candidate.strides > 0);
    this.taskSelect.replaceChildren(...checked.map(candidate => h('option', { value: candidate.task }, candidate.task)));
    this.taskSelect.value = this.task;
    if (!task.variables.includes(this.variable)) {
      // The variable with the most violations first.
      this.variable =
        [...task.variables].sort((a, b) => (task.violations.get(b)?.length ?? 0) - (task.violations.get(a)?.length ?? 0))[0] ?? '';
    }
    this.variableSelect.replaceChildren(
      ...task.variables.map(variable =>
        h('option', { value: variable }, `${variable} (${(task.violations.get(variable)?.length ?? 0).toLocaleString('en-US')})`)
      )
    );
    this.variableSelect.value = this.variable;
    this.renderBounds();
    this.renderVariables();
    this.renderFailures();
    await this.drawPlot();
  }

  /** The boxes of the current task × variable. */
  private boxes(): ITunerBox[] {
    const taskRanges = this.ranges!.tasks.get(this.task);
    const out: ITunerBox[] = [];
    for (const [phase, variables] of taskRanges?.phases ?? []) {
      const range = variables.get(this.variable);
      if (range) {
        out.push({ phase, index: phaseIndex(phase), min: range.min, max: range.max });
      }
    }
    return out;
  }

  /** Strides failing this variable (any phase). */
  private failingSet(): Set<number> {
    return new Set(this.taskResult()?.violations.get(this.variable) ?? []);
  }

  private renderBounds(): void {
    const task = this.taskResult()!;
    const sample = this.validation!.samples.find(candidate => candidate.task === this.task)!;
    const v = sample.variables.indexOf(this.variable);
    const rows = this.boxes().map(box => {
      const p = sample.phases.indexOf(box.phase);
      let failures = 0;
      if (v >= 0 && p >= 0 && box.min !== null && box.max !== null) {
        const [min, max] = box.min > box.max ? [box.max, box.min] : [box.min, box.max];
        const base = (v * sample.phases.length + p) * sample.strides;
        for (let s = 0; s < sample.strides; s++) {
          const x = sample.values[base + s];
          if ((x < min || x > max) && Number.isFinite(x)) {
            failures++;
          }
        }
      }
      const input = (which: 'min' | 'max') => {
        const value = box[which];
        const element = h('input', {
          type: 'number',
          step: 'any',
          class: 'jp-mod-styled locolens-bound',
          'data-locolens': `bound-${which}`,
          'data-phase': box.phase,
          'aria-label': `${which} at ${box.phase} %`,
          value: value === null ? '' : String(value),
          placeholder: 'no check'
        });
        element.addEventListener('change', () => {
          const text = element.value.trim();
          const number = text === '' ? null : Number(text);
          if (number !== null && !Number.isFinite(number)) {
            element.setCustomValidity('a number');
            element.reportValidity();
            return;
          }
          element.setCustomValidity('');
          this.edit(box.phase, which === 'min' ? { min: number } : { max: number });
        });
        return element;
      };
      return [
        `${box.phase} %`,
        box.index,
        input('min'),
        input('max'),
        h('span', { 'data-locolens': 'phase-failures', 'data-phase': box.phase }, failures)
      ];
    });
    this.boundsBox.replaceChildren(
      h('h3', {}, `Ranges of ${this.variable} — ${task.task}`),
      tableOf(['phase', 'sample', 'min', 'max', 'strides outside'], rows, { 'data-locolens': 'tuner-bounds' })
    );
  }

  private renderVariables(): void {
    const task = this.taskResult()!;
    const checksPerVariable = new Map<string, number>();
    for (const variables of this.ranges!.tasks.get(this.task)?.phases.values() ?? []) {
      for (const variable of task.variables) {
        if (variables.has(variable)) {
          checksPerVariable.set(variable, (checksPerVariable.get(variable) ?? 0) + task.strides);
        }
      }
    }
    const rows = task.variables.map(variable => {
      const list = task.violations.get(variable) ?? [];
      const checks = checksPerVariable.get(variable) ?? 0;
      return [variable, list.length, new Set(list).size, checks, checks ? percentText(1 - list.length / checks) : '–'];
    });
    this.variablesBox.replaceChildren(
      h('h3', {}, `Variables — ${task.task}`),
      tableOf(['variable', 'violations', 'strides failing', 'checks', 'pass rate'], rows, { 'data-locolens': 'tuner-variables' })
    );
  }

  private renderFailures(): void {
    const task = this.taskResult()!;
    const sample = this.validation!.samples.find(candidate => candidate.task === this.task)!;
    const rows: Array<Array<string | number>> = [];
    for (let s = 0; s < task.strides && rows.length < LISTED_FAILURES; s++) {
      if (task.strideFailures[s]) {
        rows.push([s, sample.subjects[sample.strideSubjects[s]], sample.strideCycles[s], strideFailingVariables(task, s).join(', ')]);
      }
    }
    this.failuresBox.replaceChildren(
      h(
        'h3',
        {},
        `Failing strides — ${task.task}: ${task.failingStrides.toLocaleString('en-US')}${task.failingStrides > LISTED_FAILURES ? ` (first ${LISTED_FAILURES})` : ''}`
      ),
      tableOf(['stride', 'subject', 'cycle of subject', 'failing variables'], rows, { 'data-locolens': 'failing-strides' })
    );
  }

  /** Change a bound of the current task × variable at `phase` and re-check the task. */
  private edit(phase: number, change: { min?: number | null; max?: number | null }): void {
    const range = this.ranges!.tasks.get(this.task)?.phases.get(phase)?.get(this.variable);
    if (!range || !this.validation) {
      return;
    }
    Object.assign(range, change);
    const started = performance.now();
    recheckTask(this.validation, this.ranges!, this.task);
    this.lastEditMs = performance.now() - started;
    this.renderStatus();
    this.renderTasks();
    void this.renderTuner();
  }

  private async drawPlot(): Promise<void> {
    const task = this.taskResult();
    const validation = this.validation;
    if (!task || !validation || !this.variable) {
      return;
    }
    const key = `${this.task}|${this.variable}`;
    if (this.drawn?.key !== key) {
      const failing = [...this.failingSet()].sort((a, b) => a - b);
      const pick = (list: number[], count: number) =>
        list.length <= count ? list : Array.from({ length: count }, (_, i) => list[Math.floor((i * list.length) / count)]);
      const failingSet = new Set(failing);
      const passing: number[] = [];
      for (let s = 0; s < task.strides; s++) {
        if (!failingSet.has(s)) {
          passing.push(s);
        }
      }
      const strides = Int32Array.from([...pick(failing, DRAWN_PER_CLASS), ...pick(passing, DRAWN_PER_CLASS)].sort((a, b) => a - b));
      try {
        const curves = await this.datasets.strideCurves(this.path, validation.strides.get(this.task)!, this.variable, strides);
        this.drawn = { key, strides, curves };
      } catch (error) {
        this.plot.replaceChildren(h('div', { class: 'locolens-message locolens-message-error', role: 'alert' }, describeError(error)));
        return;
      }
      if (key !== `${this.task}|${this.variable}` || this.isDisposed) {
        return;
      }
    }
    const failingNow = this.failingSet();
    const drawn = this.drawn!;
    const figure = tunerFigure(
      drawn.curves,
      Array.from(drawn.strides, s => failingNow.has(s)),
      this.boxes(),
      readTheme(this.node),
      { task: this.task, variable: this.variable },
      { strides: task.strides, failing: failingNow.size }
    );
    if (!this.plotly) {
      this.plotly = (await import('plotly.js-dist-min')).default;
    }
    if (this.isDisposed) {
      return;
    }
    const first = !this.plot.classList.contains('js-plotly-plot');
    if (!first) {
      // Keep the user's zoom while the bounds change.
      const current = (this.plot as unknown as { layout?: { xaxis?: { range?: number[] }; yaxis?: { range?: number[] } } }).layout;
      if (current?.yaxis?.range && (this.plot.getAttribute('data-drawn') ?? '') === key) {
        (figure.layout.yaxis as Record<string, unknown>).range = current.yaxis.range;
        (figure.layout.xaxis as Record<string, unknown>).range = current.xaxis?.range;
      }
    }
    this.drawnFigure = figure;
    await this.plotly.react(this.plot, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      edits: { shapePosition: true }
    });
    if (first) {
      (this.plot as unknown as { on(event: string, handler: (update: Record<string, unknown>) => void): void }).on(
        'plotly_relayout',
        update => this.onRelayout(update)
      );
    }
    this.plot.setAttribute('data-drawn', key);
  }

  /** A box dragged or resized: its y edges are the new bounds (its x snaps back). */
  private onRelayout(update: Record<string, unknown>): void {
    const edits = editedBoxes(update);
    if (!edits.size) {
      return;
    }
    const boxes = this.boxes().filter(box => box.min !== null && box.max !== null);
    for (const [index, { y0, y1 }] of edits) {
      const box = boxes[index];
      if (!box) {
        continue;
      }
      const low = Math.min(box.min!, box.max!);
      const high = Math.max(box.min!, box.max!);
      const a = y0 ?? low;
      const b = y1 ?? high;
      this.edit(box.phase, { min: Math.min(a, b), max: Math.max(a, b) });
    }
  }

  private async suggest(): Promise<void> {
    const method = this.methodSelect.value as SuggestMethod;
    try {
      if (!this.ranges || !this.validation) {
        // No ranges yet: every task at LocoHub's default phases, every feature, from the data.
        const summary = await this.datasets.inspect(this.path);
        const base = unboundedRanges(summary, DEFAULT_PHASES);
        this.status(`Reading the samples at ${DEFAULT_PHASES.join(', ')} % of every task…`);
        const validation = await this.datasets.validate(this.path, base, { ignore: this.excluded() });
        for (const sample of validation.samples) {
          if (sample.strides && sample.variables.length) {
            base.tasks.set(sample.task, suggestTaskRanges(sample, method, base.tasks.get(sample.task)));
          }
        }
        // The samples read are the ones these ranges check: no second read.
        this.ranges = base;
        this.rangesName = `suggested (${method})`;
        this.validation = validation;
        this.drawn = null;
        for (const sample of validation.samples) {
          recheckTask(validation, base, sample.task);
        }
        this.task = validation.result.tasks.find(task => task.strides > 0)?.task ?? '';
        this.variable = '';
        this.lastEditMs = null;
        this.renderAll();
        return;
      }
      const sample = this.validation.samples.find(candidate => candidate.task === this.task);
      if (!sample || !sample.strides) {
        return;
      }
      const ranges = copyRanges(this.ranges);
      ranges.tasks.set(this.task, suggestTaskRanges(sample, method, ranges.tasks.get(this.task)));
      this.ranges = ranges;
      this.rangesName = `${this.rangesName.replace(/ \+ .*$/, '')} + ${this.task} suggested (${method})`;
      const started = performance.now();
      recheckTask(this.validation, ranges, this.task);
      this.lastEditMs = performance.now() - started;
      this.renderAll();
    } catch (error) {
      this.status(describeError(error), true);
    }
  }

  private async saveRanges(): Promise<void> {
    if (!this.ranges) {
      return;
    }
    const folder = this.path.slice(0, this.path.lastIndexOf('/') + 1);
    const stem = (this.path.split('/').pop() ?? 'dataset').replace(/\.parquet$/i, '');
    const answer = await InputDialog.getText({
      title: 'Save ranges as',
      text: this.rangesPath ?? `${folder}${stem}_validation_ranges.yaml`
    });
    if (!answer.button.accept || !answer.value) {
      return;
    }
    const target = answer.value.trim();
    try {
      const yaml = formatValidationRanges(this.ranges, {
        source: 'locolens validation tuner',
        dataset: this.path.split('/').pop()
      });
      await this.datasets.writeFile(target, yaml);
      this.footer.replaceChildren(h('p', { 'data-locolens': 'ranges-saved' }, 'Saved the ranges to ', h('code', {}, target)));
    } catch (error) {
      this.footer.replaceChildren(h('p', { class: 'locolens-message locolens-message-error', role: 'alert' }, describeError(error)));
    }
  }

  private async exportClean(): Promise<void> {
    const validation = this.validation;
    if (!validation) {
      return;
    }
    const answer = await InputDialog.getText({ title: 'Write the clean file to', text: cleanFilePath(this.path) });
    if (!answer.button.accept || !answer.value) {
      return;
    }
    const output = answer.value.trim();
    this.footer.replaceChildren(h('p', { 'data-locolens': 'clean-writing' }, `Writing ${output}…`));
    try {
      const written = await this.datasets.writeCleanFile(this.path, validation, output, {
        exclude: this.excluded(),
        rangesSource: this.rangesName,
        onProgress: bytes =>
          this.footer.replaceChildren(h('p', { 'data-locolens': 'clean-writing' }, `Writing ${output}: ${formatBytes(bytes)}…`))
      });
      this.footer.replaceChildren(
        h(
          'p',
          { 'data-locolens': 'clean-done' },
          `Wrote `,
          h('code', { 'data-locolens': 'clean-path' }, output),
          `: ${written.keptStrides.toLocaleString('en-US')} strides kept, ${written.removedStrides.toLocaleString('en-US')} removed (report `,
          h('code', {}, written.reportPath),
          ')'
        ),
        h('pre', { class: 'locolens-code' }, `import pandas as pd\ndf = pd.read_parquet(${JSON.stringify(output.split('/').pop())})`)
      );
    } catch (error) {
      this.footer.replaceChildren(h('p', { class: 'locolens-message locolens-message-error', role: 'alert' }, describeError(error)));
    }
  }
}
