/**
 * The headless view model of one analysis (src/model: above src/core, below the widgets; Lumino
 * signals, no DOM, no JupyterLab): what is asked (file, task, subjects, features), with
 * which options, the run in progress (progress, abort), its result, the drawn feature and the
 * selected cycles. The analysis view, the notebook output and the kernel's comm all drive and
 * follow this one object; none of them holds analysis state of its own.
 *
 * #### Notes
 * A change of what is computed (request, ddof, NaN policy, backend) aborts the run in progress and
 * starts another; the outlier threshold is re-derived from the per-cycle RMSE at once (no rerun);
 * the drawn feature only redraws. Disposing aborts the run, so a closed view or a re-executed
 * notebook cell leaves no work in the pool.
 */
import { Signal, type ISignal } from '@lumino/signaling';

import { describeError, errorCode } from '../core/errors';
import type { ISelection } from '../core/kernels/cycle-tensor';
import { outliersFromRmse } from '../core/kernels/reference';
import type { IAnalysisProgress, IAnalysisResult, IGroupAnalysis } from '../core/analysis/result';

/** Where the kernels run in the browser. */
export type ModelBackend = 'auto' | 'workers' | 'webgpu';

/** What the model asks its runner for (the dataset service fits). */
export interface IAnalysisRunner {
  analyze(
    path: string,
    selection: ISelection,
    options: {
      ddof?: 0 | 1;
      nan?: 'propagate' | 'ignore';
      outlierThreshold?: number;
      backend?: ModelBackend;
      force?: boolean;
      signal?: AbortSignal;
      onProgress?: (progress: IAnalysisProgress) => void;
    }
  ): Promise<IAnalysisResult>;
}

/** What is analysed: a task (all or some of its subjects), or one subject × task. */
export interface IModelRequest {
  path: string;
  task: string;
  subject?: string | null;
  /** Some subjects of the task (a task view narrowed down). */
  subjects?: string[];
  features?: string[] | null;
  /** With a subject: compute all of the subject's tasks (for comparing them), not only `task`. */
  allTasksOfSubject?: boolean;
}

/** How it is analysed. */
export interface IModelOptions {
  ddof: 0 | 1;
  nan: 'propagate' | 'ignore';
  outlierThreshold: number;
  backend?: ModelBackend;
  /** Analyse a file that is not phase-indexed (refused otherwise, as LocoHub does). */
  force?: boolean;
}

/** Where the model stands. */
export type ModelStatus = 'idle' | 'running' | 'done' | 'error' | 'cancelled';

/**
 * The defaults of a new analysis in the browser: LocoHub Python's SD (ddof 0) and threshold, and
 * statistics over the samples present (a file with missing samples still has outliers, SD bands
 * and correlations); LocoHub-exact NaN propagation is one switch away.
 */
export const DEFAULT_MODEL_OPTIONS: IModelOptions = { ddof: 0, nan: 'ignore', outlierThreshold: 2 };

/** One analysis, shared by whatever shows or drives it. */
export class AnalysisModel {
  constructor(
    private readonly runner: IAnalysisRunner,
    request: IModelRequest,
    options: Partial<IModelOptions> = {}
  ) {
    this._request = { ...request };
    this._options = { ...DEFAULT_MODEL_OPTIONS, ...withoutUndefined(options) };
  }

  /** What is analysed changed (a rerun follows). */
  get requestChanged(): ISignal<this, IModelRequest> {
    return this._requestChanged;
  }
  /** How it is analysed changed (a rerun, or a re-derivation of the outliers, follows). */
  get optionsChanged(): ISignal<this, IModelOptions> {
    return this._optionsChanged;
  }
  /** A new result (or the same run's result with re-derived outliers). */
  get resultChanged(): ISignal<this, IAnalysisResult> {
    return this._resultChanged;
  }
  /** The selected cycles (indices into the group's cycles) changed. */
  get selectionChanged(): ISignal<this, number[]> {
    return this._selectionChanged;
  }
  /** The run in progress reported progress. */
  get progressChanged(): ISignal<this, IAnalysisProgress | null> {
    return this._progressChanged;
  }
  /** The drawn feature changed. */
  get featureChanged(): ISignal<this, number> {
    return this._featureChanged;
  }
  /** The status changed: running, done, error (with `error`), cancelled. */
  get statusChanged(): ISignal<this, ModelStatus> {
    return this._statusChanged;
  }

  get request(): IModelRequest {
    return this._request;
  }
  get options(): IModelOptions {
    return this._options;
  }
  get status(): ModelStatus {
    return this._status;
  }
  /** The last run's error as one line (status 'error'). */
  get error(): { message: string; code: string | null } | null {
    return this._error;
  }
  get progress(): IAnalysisProgress | null {
    return this._progress;
  }
  /** The last complete result (kept while a rerun is under way). */
  get result(): IAnalysisResult | null {
    return this._result;
  }
  /** The group of the result that the request names. */
  get group(): IGroupAnalysis | null {
    return this._group;
  }
  /** The drawn feature (index into the group's features). */
  get feature(): number {
    return this._feature;
  }
  get selection(): number[] {
    return this._selection;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Change what is analysed and rerun. */
  setRequest(changes: Partial<IModelRequest>): Promise<void> {
    this._request = { ...this._request, ...changes };
    this._requestChanged.emit(this._request);
    return this.run();
  }

  /**
   * Change options: ddof, NaN policy or backend rerun; the threshold alone re-derives the
   * outliers from the per-cycle RMSE of the current result.
   */
  setOptions(changes: Partial<IModelOptions>): Promise<void> {
    const before = this._options;
    this._options = { ...before, ...withoutUndefined(changes) };
    this._optionsChanged.emit(this._options);
    const rerun =
      this._options.ddof !== before.ddof ||
      this._options.nan !== before.nan ||
      this._options.backend !== before.backend ||
      this._options.force !== before.force;
    // After a failed or cancelled run the result in hand is not the one asked for: run again.
    if (rerun || !this._result || this._status === 'error' || this._status === 'cancelled') {
      return this.run();
    }
    if (this._options.outlierThreshold !== before.outlierThreshold && this._status !== 'running') {
      this.rederiveOutliers();
    }
    return Promise.resolve();
  }

  /** Draw another feature (by index, or by name). */
  setFeature(feature: number | string): void {
    if (typeof feature === 'string' && !this._group) {
      // Before the first result: drawn once it is here (if the analysis has that variable).
      this.pendingFeature = feature;
      return;
    }
    const index = typeof feature === 'string' ? (this._group?.features.indexOf(feature) ?? -1) : feature;
    if (index < 0 || (this._group && index >= this._group.features.length)) {
      throw new RangeError(`no feature ${JSON.stringify(feature)} in this analysis`);
    }
    this._feature = index;
    this._featureChanged.emit(index);
  }

  /** Select cycles (indices into the group's cycles; out-of-range ones are dropped). */
  select(cycles: number[]): void {
    const C = this._group?.cycles ?? 0;
    this._selection = Array.from(new Set(cycles.filter(c => Number.isInteger(c) && c >= 0 && c < C))).sort((a, b) => a - b);
    this._selectionChanged.emit(this._selection);
  }

  /** Run (again): the run in progress, if any, is aborted first. */
  async run(): Promise<void> {
    if (this._disposed) {
      return;
    }
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    this._error = null;
    this.setProgress(null);
    this.setStatus('running');
    const { path, task, subject, subjects, features, allTasksOfSubject } = this._request;
    try {
      const selection: ISelection = subject
        ? { subjects: [subject], task: allTasksOfSubject ? undefined : task, features: features ?? undefined, groupBy: 'subject-task' }
        : { task, subjects: subjects?.length ? subjects : undefined, features: features ?? undefined, groupBy: 'task' };
      const result = await this.runner.analyze(path, selection, {
        ...this._options,
        signal: controller.signal,
        onProgress: progress => {
          if (controller === this.running) {
            this.setProgress(progress);
          }
        }
      });
      if (controller !== this.running) {
        return;
      }
      const group = result.groups.find(g => g.task === task);
      if (!group) {
        throw new Error(`no cycles of ${task}${subject ? ` for ${subject}` : ''}`);
      }
      this.running = null;
      this.accept(result, group);
    } catch (error) {
      if (controller !== this.running) {
        return;
      }
      this.running = null;
      if (errorCode(error) === 'cancelled') {
        this.setStatus('cancelled');
      } else {
        this._error = { message: describeError(error), code: errorCode(error) ?? null };
        this.setStatus('error');
      }
    }
  }

  /** Cancel the run in progress (status 'cancelled'). */
  abort(): void {
    this.running?.abort();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.running?.abort();
    this.running = null;
    Signal.clearData(this);
  }

  private accept(result: IAnalysisResult, group: IGroupAnalysis): void {
    const sameFeatures = this._group && this._group.features.join('\n') === group.features.join('\n');
    this._result = result;
    this._group = group;
    if (!sameFeatures) {
      this._feature = Math.max(
        0,
        group.features.findIndex(name => name.startsWith('knee_flexion_angle'))
      );
    }
    if (this.pendingFeature !== null) {
      const index = group.features.indexOf(this.pendingFeature);
      this.pendingFeature = null;
      if (index >= 0) {
        this._feature = index;
      }
    }
    if (this._options.outlierThreshold !== result.options.outlierThreshold) {
      this.rederiveOutliers();
    } else {
      this._resultChanged.emit(result);
    }
    if (this._selection.length) {
      this.select([]);
    }
    this.setStatus('done');
  }

  /** The outliers at the current threshold, from the result's per-cycle RMSE. */
  private rederiveOutliers(): void {
    const result = this._result;
    const group = this._group;
    if (!result || !group) {
      return;
    }
    const threshold = this._options.outlierThreshold;
    const options = { ...result.options, outlierThreshold: threshold };
    const groups = result.groups.map(g => ({ ...g, outliers: outliersFromRmse(g.outliers.rmse, result.options, threshold) }));
    this._result = { ...result, options, groups };
    this._group = groups[result.groups.indexOf(group)];
    this._resultChanged.emit(this._result);
  }

  private setStatus(status: ModelStatus): void {
    this._status = status;
    this._statusChanged.emit(status);
  }

  private setProgress(progress: IAnalysisProgress | null): void {
    this._progress = progress;
    this._progressChanged.emit(progress);
  }

  private _request: IModelRequest;
  private _options: IModelOptions;
  private _status: ModelStatus = 'idle';
  private _error: { message: string; code: string | null } | null = null;
  private _progress: IAnalysisProgress | null = null;
  private _result: IAnalysisResult | null = null;
  private _group: IGroupAnalysis | null = null;
  private _feature = 0;
  private _selection: number[] = [];
  private _disposed = false;
  private pendingFeature: string | null = null;
  private running: AbortController | null = null;
  private readonly _requestChanged = new Signal<this, IModelRequest>(this);
  private readonly _optionsChanged = new Signal<this, IModelOptions>(this);
  private readonly _resultChanged = new Signal<this, IAnalysisResult>(this);
  private readonly _selectionChanged = new Signal<this, number[]>(this);
  private readonly _progressChanged = new Signal<this, IAnalysisProgress | null>(this);
  private readonly _featureChanged = new Signal<this, number>(this);
  private readonly _statusChanged = new Signal<this, ModelStatus>(this);
}

function withoutUndefined<T extends object>(value: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
