/**
 * The browser's performance record: a PerformanceMonitor per analysis (sampled every 250 ms: the
 * page's JS heap, bytes read, cycles analysed, busy workers; no per-cycle messages), the stage
 * breakdown of the last run (fetch + decode + reshape, kernels, render), the history the
 * gauges draw as sparklines, and the JSON export (the CLI's `--profile` format).
 */
import { Signal, type ISignal } from '@lumino/signaling';

import type { IAnalysisProgress } from '../core/analysis/result';
import { PerformanceMonitor, browserSampler, type IMonitorSample, type IProfile } from '../core/monitor/performance-monitor';
import type { IActivity, ILocolensDatasets, ILocolensPerformance } from './tokens';

/** Samples kept for the sparklines (a minute at 250 ms). */
const HISTORY = 240;

/** Implementation of ILocolensPerformance. */
export class PerformanceService implements ILocolensPerformance {
  constructor(private readonly datasets: ILocolensDatasets) {
    datasets.activity.connect((_, activity) => this.onActivity(activity));
  }

  private monitor: PerformanceMonitor | null = null;
  private runningId = -1;
  private progress: IAnalysisProgress | null = null;
  private readonly changedSignal = new Signal<this, void>(this);
  private idleTimer: ReturnType<typeof setInterval> | null = null;

  /** The last samples, across runs and idle time. */
  readonly history: IMonitorSample[] = [];
  /** The last finished run's profile. */
  lastProfile: IProfile | null = null;
  /** The last run's activity (backend, adapter, cache). */
  lastActivity: IActivity | null = null;

  get changed(): ISignal<this, void> {
    return this.changedSignal;
  }

  /** Sample every 2 s while nothing runs (the panel is open). */
  setIdleSampling(on: boolean): void {
    if (on && !this.idleTimer) {
      this.idleTimer = setInterval(() => {
        if (!this.monitor) {
          this.push({ t: Date.now(), ...this.sample() });
        }
      }, 2000);
    } else if (!on && this.idleTimer) {
      clearInterval(this.idleTimer);
      this.idleTimer = null;
    }
  }

  /** A stage measured by a view (e.g. render), added to the last run. */
  recordStage(name: string, ms: number): void {
    if (this.lastProfile) {
      this.lastProfile.stages = [...this.lastProfile.stages.filter(stage => stage.name !== name), { name, ms: Math.round(ms * 10) / 10 }];
      this.changedSignal.emit();
    }
  }

  /** The last run's profile as JSON text (the same format as `locolens analyze --profile`). */
  exportJSON(): string {
    return `${JSON.stringify({ ...this.lastProfile, history: this.history }, null, 2)}\n`;
  }

  private sample(): Omit<IMonitorSample, 't'> {
    const pool = this.datasets.poolStats;
    return {
      ...browserSampler(),
      bytesRead: this.progress?.bytesRead,
      cyclesDone: this.progress?.cyclesDone,
      workers: pool.size,
      busyWorkers: pool.busy
    };
  }

  private push(sample: IMonitorSample): void {
    this.history.push(sample);
    if (this.history.length > HISTORY) {
      this.history.splice(0, this.history.length - HISTORY);
    }
    this.changedSignal.emit();
  }

  private onActivity(activity: IActivity): void {
    if (activity.state === 'running') {
      this.progress = activity.progress ?? this.progress;
      if (activity.id !== this.runningId) {
        this.runningId = activity.id;
        this.progress = activity.progress ?? null;
        this.monitor = new PerformanceMonitor(
          () => this.sample(),
          'browser',
          250,
          sample => this.push({ ...sample, t: Date.now() })
        );
        this.monitor.start();
      }
      return;
    }
    if (!this.monitor || activity.id !== this.runningId) {
      return;
    }
    const result = activity.result;
    const monitor = this.monitor;
    this.monitor = null;
    if (result) {
      monitor.stage('summary', result.timings.summaryMs);
      monitor.stage('fetch + decode + reshape', result.timings.decodeMs);
      monitor.stage('kernels', result.timings.kernelMs);
    }
    this.lastProfile = monitor.stop(activity.label, {
      state: activity.state,
      backend: result?.backend,
      adapter: result?.adapter,
      cached: result?.cached ?? false,
      cycles: result?.groups.reduce((sum, group) => sum + group.cycles, 0),
      bytesRead: result?.io.bytesRead,
      memory: result?.memory
    });
    this.lastActivity = activity;
    this.changedSignal.emit();
  }
}
