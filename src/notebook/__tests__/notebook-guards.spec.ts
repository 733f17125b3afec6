/**
 * What a notebook may hand the renderer, checked before anything is drawn or allocated: the spec
 * and its saved results against the schema's bounds and for counts that agree with their arrays,
 * the data file's path, and the messages of a kernel on a `locolens.analyze()` comm.
 */
import type { Kernel } from '@jupyterlab/services';

import { COMM_LIMITS, LiveAnalyses, checkOpenMessage, checkSetMessage, withinBytes } from '../live-analyses';
import { checkServed, resolveNotebookPath } from '../paths';
import { LOCOLENS_MIME, SPEC_LIMITS, checkSpec, type ISavedResults } from '../spec';

const EVIL = ['<img src=x onerror=alert(1)>', '"><script>alert(1)</script>', 'javascript:alert(1)'];

const pattern = () => Array.from({ length: 150 }, (_, p) => Math.sin(p / 24));

function savedResults(features = ['knee_flexion_angle_ipsi_rad', 'hip_flexion_angle_ipsi_rad'], cycles = 4): ISavedResults {
  const subjects = ['S1', 'S2'];
  return {
    token: 't',
    computedAt: '2026-01-01T00:00:00.000Z',
    locolensVersion: '0.1.0',
    file: { path: 'walk.parquet', size: 1000, lastModified: '2026-01-01T00:00:00Z' },
    backend: 'workers',
    task: 'level_walking',
    subjects,
    cycles,
    features,
    patterns: Object.fromEntries(features.map(name => [name, { mean: pattern(), std: pattern().map(v => v * 0.1) }])),
    outliers: {
      cycles: [cycles - 1],
      cut: 1.5,
      rmse: Array.from({ length: cycles }, (_, c) => c / 10),
      cycleSubjects: Array.from({ length: cycles }, (_, c) => subjects[c % 2]),
      cycleIndex: Array.from({ length: cycles }, (_, c) => Math.floor(c / 2))
    },
    rom: Object.fromEntries(features.map(name => [name, { S1: { min: 0, q1: 1, median: 2, q3: 3, max: 4, n: 2 } }])),
    correlation: features.map((_, a) => features.map((__, b) => (a === b ? 1 : 0.5))),
    summary: Object.fromEntries(features.map(name => [name, { mean: 0, std: 1, min: -1, max: 1, median: 0, q25: -0.5, q75: 0.5 }]))
  };
}

function spec(results?: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    path: 'walk.parquet',
    view: 'patterns',
    selection: { task: 'level_walking', subject: null, features: null },
    options: {},
    ...(results === undefined ? {} : { results }),
    ...extra
  };
}

/** The one error of a refused spec. */
function refusal(value: unknown): string {
  const checked = checkSpec(value);
  if (!('errors' in checked)) {
    throw new Error('accepted');
  }
  expect(checked.errors).toHaveLength(1);
  return checked.errors[0];
}

describe('saved results', () => {
  it('accepts what the renderer saves, and hostile names in every text field (they are data)', () => {
    expect('spec' in checkSpec(spec(savedResults()))).toBe(true);
    for (const evil of EVIL) {
      const results = savedResults([evil, `${evil}2`]);
      Object.assign(results, { computedAt: evil, backend: evil, adapter: evil, task: evil, subjects: [evil], token: evil });
      results.file = { path: evil, size: 1, lastModified: evil };
      results.outliers!.cycleSubjects = results.outliers!.cycleSubjects.map(() => evil);
      results.rom = { [evil]: { [evil]: { min: 0, q1: 1, median: 2, q3: 3, max: 4, n: 1 } } };
      const value = spec(results, { selection: { task: evil, subject: evil, features: [evil] }, path: `${evil}.parquet` });
      expect(checkSpec(value)).toEqual({ spec: value });
    }
  });

  it('refuses a claim of 10^9 cycles with one message, at once and allocating nothing', () => {
    const results = savedResults();
    results.cycles = 1e9;
    const originals = { Float64Array, Float32Array };
    let made = 0;
    const g = globalThis as unknown as Record<string, unknown>;
    for (const [name, Original] of Object.entries(originals)) {
      g[name] = new Proxy(Original, { construct: (target, args) => (made++, Reflect.construct(target, args)) });
    }
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    let message: string;
    try {
      message = refusal(spec(results));
    } finally {
      Object.assign(g, originals);
    }
    expect(performance.now() - started).toBeLessThan(50);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(1 << 20);
    expect(made).toBe(0);
    expect(message).toBe('the saved results are refused: /results/cycles must be <= 1000000');
  });

  it('refuses counts that disagree with their arrays, absurd counts and huge strings', () => {
    const cases: Array<[string, (r: ISavedResults) => unknown, RegExp]> = [
      ['rmse of another length', r => r.outliers!.rmse.pop(), /\/results\/outliers\/rmse has 3 entries for 4 cycles/],
      ['cycle subjects of another length', r => r.outliers!.cycleSubjects.push('S3'), /cycleSubjects has 5 entries for 4 cycles/],
      ['cycle index of another length', r => (r.cycles = 3), /rmse has 4 entries for 3 cycles/],
      ['an outlier beyond the cycles', r => (r.outliers!.cycles = [7]), /outliers\/cycles\/0 is cycle 7 of 4/],
      ['more outliers than cycles', r => (r.outliers!.cycles = [0, 1, 2, 3, 0]), /lists 5 outliers of 4 cycles/],
      [
        'a pattern of 149 phases',
        r => r.patterns![r.features[0]].mean.pop(),
        /\/results\/patterns\/knee_flexion_angle_ipsi_rad\/mean must NOT have fewer than 150 items/
      ],
      ['a pattern of 10^6 phases', r => (r.patterns![r.features[0]].std = new Array(1e6).fill(0)), /must NOT have more than 150 items/],
      [
        'a pattern of a feature not listed',
        r => (r.patterns!.other = r.patterns![r.features[0]]),
        /\/results\/patterns names "other", which is not among its 2 features/
      ],
      ['a correlation with a row short', r => r.correlation![1].pop(), /\/results\/correlation\/1 has 1 entries for 2 features/],
      ['a correlation of three rows', r => r.correlation!.push([1, 1]), /correlation has 3 rows for 2 features/],
      [
        'absurdly many features',
        r => (r.features = Array.from({ length: 100_000 }, (_, i) => `f${i}`)),
        /\/results\/features must NOT have more than 2048 items/
      ],
      ['a huge name', r => (r.task = 'x'.repeat(1e6)), /\/results\/task must NOT have more than 1024 characters/],
      ['a huge feature name', r => (r.features[0] = 'x'.repeat(1e6)), /\/results\/features\/0 must NOT have more than 1024 characters/],
      ['a ROM box of more cycles than there are', r => (r.rom![r.features[0]].S1.n = 99), /\/results\/rom counts 99 cycles/],
      ['a ROM of a feature not listed', r => (r.rom!.other = {}), /\/results\/rom names "other"/],
      ['a summary of a feature not listed', r => (r.summary!.other = {}), /\/results\/summary names "other"/],
      ['a summary with a script', r => (r.summary![r.features[0]].script = 1), /must NOT have additional properties/],
      [
        'an unknown field',
        r => ((r as unknown as Record<string, unknown>).html = '<b>x</b>'),
        /\/results must NOT have additional properties/
      ],
      ['a negative cycle count', r => (r.cycles = -4), /\/results\/cycles must be >= 0/],
      ['a fractional cycle count', r => (r.cycles = 4.5), /\/results\/cycles must be integer/],
      ['a file size of 10^18', r => (r.file.size = 1e18), /\/results\/file\/size must be <= 1000000000000000/],
      ['no features', r => delete (r as Partial<ISavedResults>).features, /\/results must have required property 'features'/],
      ['a cycle count as a string', r => ((r as unknown as Record<string, unknown>).cycles = '4'), /\/results\/cycles must be integer/],
      ['outliers without cycles', r => delete r.cycles, /outliers without \/results\/cycles/]
    ];
    for (const [what, edit, expected] of cases) {
      const results = savedResults();
      edit(results);
      const message = refusal(spec(results));
      expect([what, message]).toEqual([what, expect.stringMatching(/^the saved results are refused: /)]);
      expect([what, message]).toEqual([what, expect.stringMatching(expected)]);
      expect(message.length).toBeLessThan(400);
    }
  });

  it('bounds the spec itself: names, feature lists, the threshold, unknown fields', () => {
    const long = 'x'.repeat(2000);
    expect(refusal(spec(undefined, { selection: { task: long } }))).toBe('/selection/task must NOT have more than 1024 characters');
    expect(refusal(spec(undefined, { selection: { features: Array.from({ length: 3000 }, (_, i) => `f${i}`) } }))).toBe(
      '/selection/features must NOT have more than 2048 items'
    );
    expect(refusal(spec(undefined, { options: { threshold: 1e300 } }))).toBe('/options/threshold must be <= 1000');
    expect(refusal(spec(undefined, { path: `${'a/'.repeat(3000)}x.parquet` }))).toBe('/path must NOT have more than 4096 characters');
    expect(refusal(spec(undefined, { onload: 'alert(1)' }))).toBe('spec must NOT have additional properties');
    expect(refusal({ ...spec(), version: 'x'.repeat(1e6) })).toMatch(
      /^unsupported spec version "x{100,}…: this locolens renders version 1/
    );
    expect(SPEC_LIMITS.cycles).toBe(1_000_000);
    expect(LOCOLENS_MIME).toBe('application/vnd.locolens.v1+json');
  });
});

describe('data file paths', () => {
  it('resolves against the notebook folder and refuses what leaves the root or is not a plain path', () => {
    expect(resolveNotebookPath('a/b', '../data/walk.parquet')).toBe('a/data/walk.parquet');
    expect(resolveNotebookPath('', './walk.parquet')).toBe('walk.parquet');
    const refused: Array<[string, string, RegExp]> = [
      ['a/b', '../../../etc/passwd.parquet', /leaves the server root/],
      ['', '../outside.parquet', /leaves the server root/],
      ['', '/etc/passwd.parquet', /must be relative to the notebook's folder/],
      ['', 'javascript:alert(1).parquet', /must be relative/],
      ['', 'file:///etc/passwd.parquet', /must be relative/],
      ['', 'https://example.com/x.parquet', /must be relative/],
      ['', '..\\..\\etc\\passwd.parquet', /backslash or a control character/],
      ['', 'walk\u0000.parquet', /backslash or a control character/],
      ['', '~/walk.parquet', /must be relative/]
    ];
    for (const [folder, path, message] of refused) {
      expect(() => resolveNotebookPath(folder, path)).toThrow(message);
    }
  });

  it('refuses a file the server will not serve from its root (a symlink out of it)', async () => {
    await expect(checkServed('data/link.parquet', async () => ({ status: 403 }))).rejects.toThrow(
      'the path "data/link.parquet" is refused by the server: it resolves outside the server root'
    );
    await expect(checkServed('data/walk.parquet', async () => ({ status: 200 }))).resolves.toBeUndefined();
    // Missing files and network failures are told by the read that follows.
    await expect(checkServed('data/gone.parquet', async () => ({ status: 404 }))).resolves.toBeUndefined();
    await expect(checkServed('x.parquet', () => Promise.reject(new Error('offline')))).resolves.toBeUndefined();
  });
});

describe('comm messages of locolens.analyze()', () => {
  const openSpec = spec();

  it('accepts what the kernel sends, and nothing more', () => {
    expect(checkOpenMessage({ version: 1, id: 'abc_123-x', spec: openSpec })).toEqual({ id: 'abc_123-x' });
    expect(checkSetMessage({ type: 'set', seq: 3, changes: { task: 'run', subject: null, threshold: 2 } })).toEqual({
      seq: 3,
      changes: { task: 'run', subject: null, threshold: 2 }
    });
    const open: Array<[unknown, unknown[] | undefined, RegExp]> = [
      [{ version: 1, id: 'a', spec: openSpec, html: '<img>' }, undefined, /unknown field "html"/],
      [{ version: 2, id: 'a' }, undefined, /another protocol version/],
      [{ version: 1, id: '<img src=x onerror=alert(1)>' }, undefined, /valid analysis id/],
      [{ version: 1, id: 'a'.repeat(201) }, undefined, /valid analysis id/],
      [{ version: 1, id: 'a', spec: { ...openSpec, view: 'nope' } }, undefined, /spec is invalid/],
      [{ version: 1, id: 'a', spec: spec({}) }, undefined, /spec is invalid/],
      [{ version: 1, id: 'a' }, [new ArrayBuffer(8)], /binary buffers/],
      [
        { version: 1, id: 'a', spec: { ...openSpec, selection: { features: new Array(50_000).fill('x'.repeat(100)) } } },
        undefined,
        /larger than 256 KiB/
      ],
      [[1, 2], undefined, /not a record/]
    ];
    for (const [data, buffers, message] of open) {
      expect(checkOpenMessage(data, buffers)).toEqual({ error: expect.stringMatching(message) });
    }
    const set: Array<[unknown, RegExp, number | null]> = [
      [{ type: 'set', seq: 1, changes: { task: 'run' }, extra: 1 }, /unknown field "extra"/, 1],
      [{ type: 'eval', seq: 1, changes: {} }, /does not know the message type "eval"/, 1],
      [{ type: 'set', seq: -1, changes: {} }, /needs seq/, null],
      [{ type: 'set', seq: 1.5, changes: {} }, /needs seq/, null],
      [{ type: 'set', seq: 2, changes: [] }, /needs changes/, 2],
      [{ type: 'set', seq: 2, changes: { path: '/etc/passwd.parquet' } }, /cannot set "path"/, 2],
      [{ type: 'set', seq: 2, changes: { task: 'x'.repeat(5000) } }, /task is longer than 1024 characters/, 2],
      [{ type: 'set', seq: 2, changes: { feature: 'x'.repeat(300 * 1024) } }, /larger than 256 KiB/, 2]
    ];
    for (const [data, message, seq] of set) {
      expect(checkSetMessage(data)).toEqual({ error: expect.stringMatching(message), seq });
    }
  });

  it('measures a message without building its text, stopping at the bound', () => {
    expect(withinBytes({ a: 'x'.repeat(100) }, 200)).toBe(true);
    expect(withinBytes({ a: 'x'.repeat(300) }, 200)).toBe(false);
    const huge = new Array(1e7);
    const started = performance.now();
    expect(withinBytes({ a: huge }, COMM_LIMITS.messageBytes)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('closes a refused comm with one line, answers a refused change, and keeps at most 256 changes before the output', () => {
    const target: { open?: (comm: Kernel.IComm, message: unknown) => void } = {};
    const kernel = {
      registerCommTarget: (_: string, callback: (comm: Kernel.IComm, message: unknown) => void) => (target.open = callback)
    } as unknown as Kernel.IKernelConnection;
    const live = new LiveAnalyses();
    live.registerKernel(kernel);
    const comm = () => {
      const sent: unknown[] = [];
      const closed: unknown[] = [];
      const c = {
        isDisposed: false,
        onMsg: (_: unknown) => undefined,
        onClose: () => undefined,
        send: (data: unknown) => void sent.push(data),
        close: (data: unknown) => void closed.push(data)
      };
      return { c, sent, closed };
    };
    const bad = comm();
    target.open!(bad.c as unknown as Kernel.IComm, { content: { data: { version: 1, id: 'x', onload: 'alert(1)' } }, buffers: [] });
    expect(bad.closed).toEqual([{ type: 'error', message: 'locolens: refused a message with the unknown field "onload"' }]);
    const good = comm();
    target.open!(good.c as unknown as Kernel.IComm, { content: { data: { version: 1, id: 'x', spec: openSpec } }, buffers: [] });
    expect(good.sent).toEqual([{ type: 'attached', id: 'x' }]);
    for (let seq = 1; seq <= COMM_LIMITS.pending + 3; seq++) {
      good.c.onMsg({ content: { data: { type: 'set', seq, changes: { threshold: seq } } } });
    }
    expect(good.sent.slice(1)).toEqual(
      [1, 2, 3].map(k => ({
        type: 'error',
        seq: COMM_LIMITS.pending + k,
        message: `locolens: more than ${COMM_LIMITS.pending} changes before the output was drawn; this one is dropped`,
        code: 'bad-argument'
      }))
    );
  });
});
