/**
 * The browser's end of `locolens.analyze()` (docs/notebook-protocol.md): the comm target
 * `locolens.analysis` on each notebook kernel, the analysis models of live notebook outputs by
 * ID, and the pairing of the two. Results go back to the kernel as Arrow IPC buffers; `set`
 * messages from Python drive the model; selections in the plot go to Python.
 *
 * #### Notes
 * The output (display) and the comm reach the browser in either order; they are paired by ID.
 * Every output that shows the same ID (`display(a)` again) shares one model, which is disposed
 * (its run aborted) when the last of them goes: a re-executed cell leaves no work behind.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';

import type { AnalysisModel, IModelOptions, IModelRequest } from '../model/analysis-model';
import { RESULT_TABLES, arrowIPC, resultMeta, resultTables } from '../core/analysis/result-tables';
import { progressFraction } from '../core/analysis/result';
import { checkSpec } from './spec';

/** The comm target name registered on each notebook kernel. */
export const ANALYSIS_COMM_TARGET = 'locolens.analysis';

/**
 * Bounds of what a kernel may send (its text is data: a notebook may come from anyone): the
 * size of a message's JSON, the characters of a name, the `set` messages kept before the output is
 * drawn.
 */
export const COMM_LIMITS = { messageBytes: 256 * 1024, name: 1024, pending: 256 } as const;

const SET_CHANGES = new Set(['task', 'subject', 'feature', 'threshold', 'nan', 'ddof']);

/**
 * Check the data of a comm open from the kernel: `{version: 1, id, spec}` and nothing else, the
 * ID as the schema's `live.id`, the spec valid, no buffers, within COMM_LIMITS.
 *
 * @returns the ID, or why the comm is refused (one line).
 */
export function checkOpenMessage(data: unknown, buffers?: unknown[]): { id: string } | { error: string } {
  const problem = messageShapeProblem(data, buffers, ['version', 'id', 'spec']);
  if (problem) {
    return { error: problem };
  }
  const { version, id, spec } = data as { version?: unknown; id?: unknown; spec?: unknown };
  if (version !== 1) {
    return { error: 'a comm of another protocol version' };
  }
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(id)) {
    return { error: 'a comm without a valid analysis id' };
  }
  if (spec !== undefined) {
    const checked = checkSpec(spec);
    if ('errors' in checked) {
      return { error: `a comm whose spec is invalid (${checked.errors[0] ?? 'invalid'})` };
    }
    if (checked.spec.results) {
      return { error: 'a comm whose spec carries results' };
    }
  }
  return { id };
}

/**
 * Check a message from the kernel on an analysis comm: `{type: 'set', seq, changes}` and nothing
 * else, `seq` a count, `changes` only the known keys (each value is checked when applied), names
 * within COMM_LIMITS, no buffers.
 *
 * @returns the message, or why it is refused (one line) with its `seq` when that was readable.
 */
export function checkSetMessage(
  data: unknown,
  buffers?: unknown[]
): { seq: number; changes: Record<string, unknown> } | { error: string; seq: number | null } {
  const record = data as { type?: unknown; seq?: unknown; changes?: unknown } | null;
  const seq =
    record && typeof record === 'object' && Number.isSafeInteger(record.seq) && (record.seq as number) >= 0 ? (record.seq as number) : null;
  const problem = messageShapeProblem(data, buffers, ['type', 'seq', 'changes']);
  if (problem) {
    return { error: problem, seq };
  }
  if (record!.type !== 'set') {
    return { error: `locolens does not know the message type ${JSON.stringify(record!.type)?.slice(0, 80) ?? 'undefined'}`, seq };
  }
  if (seq === null) {
    return { error: 'a set message needs seq, a count from 0', seq };
  }
  const changes = record!.changes;
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) {
    return { error: 'a set message needs changes, a record', seq };
  }
  for (const [key, value] of Object.entries(changes)) {
    if (!SET_CHANGES.has(key)) {
      return { error: `locolens cannot set ${JSON.stringify(key).slice(0, 80)}`, seq };
    }
    if (typeof value === 'string' && value.length > COMM_LIMITS.name) {
      return { error: `${key} is longer than ${COMM_LIMITS.name} characters`, seq };
    }
  }
  return { seq, changes: changes as Record<string, unknown> };
}

/** Whether a message is a record of the known keys only, without buffers, within the byte bound. */
function messageShapeProblem(data: unknown, buffers: unknown[] | undefined, keys: string[]): string | null {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return 'a message that is not a record';
  }
  const unknown = Object.keys(data).find(key => !keys.includes(key));
  if (unknown !== undefined) {
    return `a message with the unknown field ${JSON.stringify(unknown).slice(0, 80)}`;
  }
  if (buffers && buffers.length) {
    return 'a message with binary buffers (locolens expects none)';
  }
  if (!withinBytes(data, COMM_LIMITS.messageBytes)) {
    return `a message larger than ${COMM_LIMITS.messageBytes / 1024} KiB`;
  }
  return null;
}

/**
 * Whether a JSON value's text stays under `budget` characters (about: strings by length, numbers
 * as 24), walked without building the text, stopping as soon as the budget is spent.
 */
export function withinBytes(value: unknown, budget: number): boolean {
  const stack: unknown[] = [value];
  let left = budget;
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'string') {
      left -= item.length + 2;
    } else if (item && typeof item === 'object') {
      if (Array.isArray(item)) {
        left -= 2 + item.length;
        if (left < 0) {
          return false;
        }
        for (let i = 0; i < item.length; i++) {
          stack.push(item[i]);
        }
      } else {
        const keys = Object.keys(item);
        left -= 2 + keys.length;
        if (left < 0) {
          return false;
        }
        for (const key of keys) {
          left -= key.length + 3;
          stack.push((item as Record<string, unknown>)[key]);
        }
      }
    } else {
      left -= 24;
    }
    if (left < 0) {
      return false;
    }
  }
  return true;
}

/** The live models by ID, and their comms. */
export class LiveAnalyses {
  /** Register the comm target on a kernel connection (once per connection). */
  registerKernel(kernel: Kernel.IKernelConnection): void {
    if (this.kernels.has(kernel)) {
      return;
    }
    this.kernels.add(kernel);
    kernel.registerCommTarget(ANALYSIS_COMM_TARGET, (comm, message) => this.onCommOpen(comm, message));
  }

  /**
   * The model of a live output: the one already shown under this ID, else a new one from `create`.
   * Call the returned release when the output goes.
   */
  acquire(id: string, create: () => AnalysisModel): { model: AnalysisModel; release: () => void; fresh: boolean } {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { model: null, comm: null, seq: 0, users: 0, detach: null, pending: null };
      this.entries.set(id, entry);
    }
    let fresh = false;
    // One object per ID: the comm's handlers hold it.
    if (!entry.model || entry.model.isDisposed) {
      entry.detach?.();
      entry.detach = null;
      entry.model = create();
      entry.users = 0;
      fresh = true;
      this.pair(id);
    }
    entry.users++;
    const current = entry;
    let released = false;
    return {
      model: current.model!,
      fresh,
      release: () => {
        if (released) {
          return;
        }
        released = true;
        current.users--;
        if (current.users <= 0) {
          const wasRunning = current.model?.status === 'running';
          current.detach?.();
          current.detach = null;
          current.model?.dispose();
          current.model = null;
          const comm = current.comm && !current.comm.isDisposed ? current.comm : null;
          if (!comm) {
            this.entries.delete(id);
            return;
          }
          // No view computes now: the kernel hears that its run was cancelled, and so is each
          // change it sends until an output shows this analysis again.
          if (wasRunning) {
            send(comm, { type: 'cancelled', seq: current.seq });
          }
          comm.onMsg = message => {
            const checked = checkSetMessage(message.content.data, message.buffers);
            if ('error' in checked) {
              send(comm, { type: 'error', seq: checked.seq ?? current.seq, message: `locolens: ${checked.error}`, code: 'bad-argument' });
              return;
            }
            current.seq = checked.seq;
            send(comm, { type: 'cancelled', seq: current.seq });
          };
        }
      }
    };
  }

  /** How many live outputs are paired with a kernel (for tests). */
  get pairedCount(): number {
    return Array.from(this.entries.values()).filter(entry => entry.comm && entry.model).length;
  }

  private onCommOpen(comm: Kernel.IComm, message: KernelMessage.ICommOpenMsg): void {
    const checked = checkOpenMessage(message.content.data, message.buffers);
    if ('error' in checked) {
      comm.close({ type: 'error', message: `locolens: refused ${checked.error}` });
      return;
    }
    const id = checked.id;
    const entry = this.entries.get(id) ?? { model: null, comm: null, seq: 0, users: 0, detach: null, pending: null };
    entry.comm = comm;
    this.entries.set(id, entry);
    // `set` messages sent before the output is drawn wait for it.
    entry.pending = [];
    comm.onMsg = message => {
      if (entry.pending && entry.pending.length >= COMM_LIMITS.pending) {
        send(comm, {
          type: 'error',
          seq: checkSetMessage(message.content.data).seq ?? entry.seq,
          message: `locolens: more than ${COMM_LIMITS.pending} changes before the output was drawn; this one is dropped`,
          code: 'bad-argument'
        });
        return;
      }
      entry.pending?.push(message);
    };
    comm.onClose = () => {
      entry.model?.abort();
      entry.detach?.();
      entry.detach = null;
      entry.comm = null;
      if (!entry.model) {
        this.entries.delete(id);
      }
    };
    send(comm, { type: 'attached', id });
    this.pair(id);
  }

  /** Wire a model and its comm once both are here. */
  private pair(id: string): void {
    const entry = this.entries.get(id);
    if (!entry?.model || !entry.comm || entry.detach) {
      return;
    }
    const { model, comm } = entry;
    let progressSent = 0;
    let resultsSent = 0;
    const sendResults = () => {
      resultsSent++;
      const result = model.result;
      const group = model.group;
      if (!result || !group) {
        return;
      }
      const tables = resultTables(group);
      const buffers = RESULT_TABLES.map(name => arrowIPC(tables[name]));
      send(
        comm,
        { type: 'results', seq: entry.seq, meta: resultMeta(result, group, model.request.path), tables: [...RESULT_TABLES] },
        buffers
      );
    };
    const onStatus = () => {
      if (model.status === 'error') {
        send(comm, {
          type: 'error',
          seq: entry.seq,
          message: model.error?.message ?? 'the analysis failed',
          code: model.error?.code ?? null
        });
      } else if (model.status === 'cancelled') {
        send(comm, { type: 'cancelled', seq: entry.seq });
      }
    };
    const onProgress = () => {
      const now = Date.now();
      if (model.progress && now - progressSent > 250) {
        progressSent = now;
        send(comm, { type: 'progress', seq: entry.seq, stage: model.progress.stage, fraction: progressFraction(model.progress) });
      }
    };
    const onSelection = () => send(comm, { type: 'selection', seq: entry.seq, cycles: model.selection });
    model.resultChanged.connect(sendResults);
    model.statusChanged.connect(onStatus);
    model.progressChanged.connect(onProgress);
    model.selectionChanged.connect(onSelection);
    const onMessage = (message: KernelMessage.ICommMsgMsg) => {
      const checked = checkSetMessage(message.content.data, message.buffers);
      if ('error' in checked) {
        send(comm, { type: 'error', seq: checked.seq ?? entry.seq, message: `locolens: ${checked.error}`, code: 'bad-argument' });
        return;
      }
      entry.seq = checked.seq;
      const before = resultsSent;
      try {
        applyChanges(model, checked.changes);
      } catch (error) {
        send(comm, {
          type: 'error',
          seq: entry.seq,
          message: error instanceof Error ? error.message : String(error),
          code: 'bad-argument'
        });
        return;
      }
      // A change that neither reruns nor re-derives (the drawn feature) is answered with the same
      // tables; after a failed or cancelled run there are none for it: run again.
      if (model.status !== 'running' && resultsSent === before) {
        if (model.status === 'done') {
          sendResults();
        } else {
          void model.run();
        }
      }
    };
    comm.onMsg = onMessage;
    entry.detach = () => {
      model.resultChanged.disconnect(sendResults);
      model.statusChanged.disconnect(onStatus);
      model.progressChanged.disconnect(onProgress);
      model.selectionChanged.disconnect(onSelection);
      comm.onMsg = () => undefined;
    };
    // Whatever happened before the pairing.
    if (model.status === 'done') {
      sendResults();
    } else {
      onStatus();
    }
    const pending = entry.pending ?? [];
    entry.pending = null;
    pending.forEach(onMessage);
  }

  private readonly kernels = new WeakSet<Kernel.IKernelConnection>();
  private readonly entries = new Map<
    string,
    {
      model: AnalysisModel | null;
      comm: Kernel.IComm | null;
      seq: number;
      users: number;
      detach: (() => void) | null;
      pending: KernelMessage.ICommMsgMsg[] | null;
    }
  >();
}

/** A `set` message's changes applied to the model (checked: the kernel's text is data). */
function applyChanges(model: AnalysisModel, changes: Record<string, unknown>): void {
  const request: Partial<IModelRequest> = {};
  const options: Partial<IModelOptions> = {};
  for (const [key, value] of Object.entries(changes)) {
    switch (key) {
      case 'task':
        if (typeof value !== 'string' || !value) {
          throw new Error('task must be a non-empty string');
        }
        request.task = value;
        break;
      case 'subject':
        if (value !== null && (typeof value !== 'string' || !value)) {
          throw new Error('subject must be a non-empty string or None');
        }
        request.subject = value as string | null;
        break;
      case 'threshold':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1000) {
          throw new Error('threshold must be a number of at least 0 and at most 1000');
        }
        options.outlierThreshold = value;
        break;
      case 'nan':
        if (value !== 'propagate' && value !== 'ignore') {
          throw new Error("nan must be 'propagate' or 'ignore'");
        }
        options.nan = value;
        break;
      case 'ddof':
        if (value !== 0 && value !== 1) {
          throw new Error('ddof must be 0 or 1');
        }
        options.ddof = value;
        break;
      case 'feature':
        if (typeof value !== 'string') {
          throw new Error('feature must be a variable name');
        }
        model.setFeature(value);
        break;
      default:
        throw new Error(`locolens cannot set ${JSON.stringify(key).slice(0, 80)}`);
    }
  }
  if (Object.keys(request).length) {
    void model.setRequest(request);
  }
  if (Object.keys(options).length) {
    void model.setOptions(options);
  }
}

function send(comm: Kernel.IComm, data: Record<string, unknown>, buffers?: Uint8Array[]): void {
  if (comm.isDisposed) {
    return;
  }
  try {
    comm.send(data as KernelMessage.ICommMsgMsg['content']['data'], undefined, buffers as unknown as ArrayBuffer[]);
  } catch (error) {
    // The kernel went away (restarted, shut down): nobody to tell.
    console.warn(`locolens: a message to the kernel was not sent (${error instanceof Error ? error.message : String(error)})`);
  }
}
