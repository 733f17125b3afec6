/**
 * A light performance monitor: per-stage times of a run and sampled memory and CPU, in one JSON
 * format for the CLI's `--profile` (Node) and the UI's gauges and export (browser).
 *
 * #### Notes
 * Sampling is a timer, not instrumentation: no per-cycle messages, negligible cost.
 */
import { formatBytes } from '../format';

/** One sample of the process. */
export interface IMonitorSample {
  /** Milliseconds since the monitor started. */
  t: number;
  rssBytes?: number;
  heapUsedBytes?: number;
  /** Memory outside the JS heap (ArrayBuffers, WebAssembly). */
  externalBytes?: number;
  cpuUserMs?: number;
  cpuSystemMs?: number;
  /** Bytes read and cycles analysed so far by the run (browser: from its progress). */
  bytesRead?: number;
  cyclesDone?: number;
  /** Decode workers, and how many were busy. */
  workers?: number;
  busyWorkers?: number;
}

/** The exported profile (the same JSON from the CLI and the UI). */
export interface IProfile {
  schemaVersion: 1;
  tool: 'locolens';
  environment: 'node' | 'browser';
  command: string;
  startedAt: string;
  totalMs: number;
  stages: Array<{ name: string; ms: number }>;
  samples: IMonitorSample[];
  peak: { rssBytes?: number; heapUsedBytes?: number; externalBytes?: number };
  cpu?: { userMs: number; systemMs: number };
  result?: Record<string, unknown>;
}

/** Samples a process at an interval and records the stages of a run. */
export class PerformanceMonitor {
  /**
   * @param sample - reads the current memory and CPU (Node: process.memoryUsage / cpuUsage).
   * @param intervalMs - sampling period.
   * @param onSample - told of each sample (live gauges).
   */
  constructor(
    private readonly sample: () => Omit<IMonitorSample, 't'>,
    private readonly environment: IProfile['environment'],
    private readonly intervalMs = 50,
    private readonly onSample?: (sample: IMonitorSample) => void
  ) {}

  private started = 0;
  private startedAt = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly samples: IMonitorSample[] = [];
  private readonly stages: Array<{ name: string; ms: number }> = [];

  start(): void {
    this.started = now();
    this.startedAt = new Date().toISOString();
    this.take();
    this.timer = setInterval(() => this.take(), this.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Record a stage's duration (e.g. from the result's timings). */
  stage(name: string, ms: number): void {
    this.stages.push({ name, ms: Math.round(ms * 10) / 10 });
  }

  /** Stop sampling and build the profile. */
  stop(command: string, result?: Record<string, unknown>): IProfile {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.take();
    const peak = (key: 'rssBytes' | 'heapUsedBytes' | 'externalBytes') => {
      const values = this.samples.map(s => s[key]).filter((v): v is number => typeof v === 'number');
      return values.length ? Math.max(...values) : undefined;
    };
    const last = this.samples[this.samples.length - 1];
    const first = this.samples[0];
    return {
      schemaVersion: 1,
      tool: 'locolens',
      environment: this.environment,
      command,
      startedAt: this.startedAt,
      totalMs: Math.round(now() - this.started),
      stages: this.stages,
      samples: this.samples,
      peak: { rssBytes: peak('rssBytes'), heapUsedBytes: peak('heapUsedBytes'), externalBytes: peak('externalBytes') },
      cpu:
        last?.cpuUserMs !== undefined && first?.cpuUserMs !== undefined
          ? {
              userMs: Math.round(last.cpuUserMs - first.cpuUserMs),
              systemMs: Math.round((last.cpuSystemMs ?? 0) - (first.cpuSystemMs ?? 0))
            }
          : undefined,
      result
    };
  }

  private take(): void {
    const sample = { t: Math.round(now() - this.started), ...this.sample() };
    this.samples.push(sample);
    this.onSample?.(sample);
  }
}

/** The browser's memory figures: the page's JS heap where `performance.memory` exists (Chromium). */
export function browserSampler(): Omit<IMonitorSample, 't'> {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return memory ? { heapUsedBytes: memory.usedJSHeapSize } : {};
}

/** The Node sampler: RSS, heap, external memory and CPU time of this process. */
export function nodeSampler(): Omit<IMonitorSample, 't'> {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000
  };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** The warning the gauges show when the page's JS heap passes 80 % of its limit (null below it, or unknown). */
export function heapWarningText(used: number, limit: number | null | undefined): string | null {
  if (!limit || !used || used < 0.8 * limit) {
    return null;
  }
  return `The page's JS heap is at ${Math.round((100 * used) / limit)} % of its limit (${formatBytes(used)} of ${formatBytes(limit)}): close views of large analyses, or lower the memory budget in the settings.`;
}
