/**
 * Notebooks and data files from anyone (#15), in a real JupyterLab: a saved notebook (untrusted,
 * never run) whose outputs claim 10^9 cycles, arrays whose lengths disagree with their counts,
 * 100,000 features, a megabyte of task name, paths that leave the server root (as written, and
 * through real symlinks to a file and a folder outside it), and hostile names in every text field
 * of every view's spec and saved results; then a data file whose name, subjects, tasks and a
 * column are hostile, shown live by a kernel and opened in the report, validation and comparison
 * views. Each refusal is one line of text in the output; no dialog opens, and no element or
 * attribute comes from the hostile text.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import { newNotebook, waitForApplication } from './notebooks';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');
const MIME = 'application/vnd.locolens.v1+json';
const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '"><script>alert(1)</script>';
const JS = 'javascript:alert(1)';
const SVG = '"><svg onload=alert(1)>';

test.use({ waitForApplication });

/** Nothing on the page came from hostile text: no such element, no event attribute, no script URL, no dialog. */
async function expectNoInjection(page: IJupyterLabPageFixture, dialogs: string[]): Promise<void> {
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('[onerror], [onload]')).toHaveCount(0);
  await expect(page.locator('script', { hasText: 'alert(1)' })).toHaveCount(0);
  await expect(page.locator('svg[onload]')).toHaveCount(0);
  await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
  expect(dialogs).toEqual([]);
}

function collectDialogs(page: IJupyterLabPageFixture): string[] {
  const dialogs: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return dialogs;
}

/** Saved results with a hostile name in every text field. */
function hostileResults(view: string): Record<string, unknown> {
  const features = [IMG, SCRIPT, JS];
  const cycles = 4;
  const pattern = Array.from({ length: 150 }, (_, p) => Math.sin(p / 24));
  const results: Record<string, unknown> = {
    token: SCRIPT,
    computedAt: IMG,
    locolensVersion: SVG,
    file: { path: `${IMG}.parquet`, size: 1, lastModified: SCRIPT },
    backend: JS,
    adapter: SVG,
    task: SCRIPT,
    subjects: [IMG, JS],
    cycles,
    features
  };
  if (view === 'patterns' || view === 'outliers') {
    results.patterns = Object.fromEntries(features.map(name => [name, { mean: pattern, std: pattern.map(v => Math.abs(v) / 10) }]));
    results.outliers = { cycles: [3], cut: 1, rmse: [0.1, 0.2, 0.3, 2], cycleSubjects: [IMG, IMG, JS, JS], cycleIndex: [0, 1, 0, 1] };
  }
  if (view === 'rom') {
    results.rom = Object.fromEntries(
      features.map(name => [
        name,
        { [IMG]: { min: 0, q1: 1, median: 2, q3: 3, max: 4, n: 2 }, [JS]: { min: 1, q1: 2, median: 3, q3: 4, max: 5, n: 2 } }
      ])
    );
  }
  if (view === 'correlation') {
    results.correlation = features.map((_, a) => features.map((__, b) => (a === b ? 1 : 0.5)));
  }
  if (view === 'summary') {
    results.summary = Object.fromEntries(
      features.map(name => [name, { mean: 0, std: 1, min: -1, max: 1, median: 0, q25: -0.5, q75: 0.5 }])
    );
  }
  if (view === 'dataset') {
    results.dataset = { file: IMG, subjects: [SCRIPT] };
  }
  return results;
}

function output(spec: Record<string, unknown>): Record<string, unknown> {
  return { output_type: 'display_data', metadata: {}, data: { [MIME]: spec, 'text/plain': ['locolens output'] } };
}

function spec(path: string, view: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: 1, path, view, selection: { task: SCRIPT, subject: IMG, features: [IMG, SCRIPT, JS] }, options: {}, ...extra };
}

test('a hostile saved notebook: absurd claims and paths out of the root refused with one line each, hostile names drawn as text', async ({
  page,
  tmpPath
}) => {
  const dialogs = collectDialogs(page);
  // A file outside the server root, and symlinks to it and to its folder inside the root.
  const outside = mkdtempSync(join(tmpdir(), 'locolens-outside-'));
  const folder = join(DATA, tmpPath);
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(DATA, 'fixtures', 'multi_rowgroup.parquet'), join(outside, 'secret.parquet'));
  symlinkSync(join(outside, 'secret.parquet'), join(folder, 'escape.parquet'));
  symlinkSync(outside, join(folder, 'elsewhere'));
  try {
    // What the server does with them: the Contents API follows the link out of the root (it
    // checks the path as written); /files/, which locolens reads bytes from, refuses it (403).
    const contents = await page.request.get(`/api/contents/${tmpPath}/escape.parquet?content=0`);
    expect(contents.status()).toBe(200);
    expect((await page.request.head(`/files/${tmpPath}/escape.parquet`)).status()).toBe(403);
    expect((await page.request.head(`/files/${tmpPath}/elsewhere/secret.parquet`)).status()).toBe(403);

    const cycles = hostileResults('patterns');
    const mismatch = hostileResults('patterns');
    (mismatch.outliers as { rmse: number[] }).rmse = [0.1, 0.2, 0.3];
    const features = hostileResults('summary');
    features.features = Array.from({ length: 100_000 }, (_, i) => `f${i}`);
    const longTask = hostileResults('summary');
    longTask.task = 'x'.repeat(1_000_000);
    const refused: Array<[Record<string, unknown>, string]> = [
      [
        spec('walk.parquet', 'patterns', { results: { ...cycles, cycles: 1e9 } }),
        'the saved results are refused: /results/cycles must be <= 1000000'
      ],
      [
        spec('walk.parquet', 'patterns', { results: mismatch }),
        'the saved results are refused: /results/outliers/rmse has 3 entries for 4 cycles'
      ],
      [
        spec('walk.parquet', 'summary', { results: features }),
        'the saved results are refused: /results/features must NOT have more than 2048 items'
      ],
      [
        spec('walk.parquet', 'summary', { results: longTask }),
        'the saved results are refused: /results/task must NOT have more than 1024 characters'
      ],
      [spec('walk.parquet', 'patterns', { live: { id: IMG } }), '/live/id must match pattern'],
      [spec('walk.parquet', 'patterns', { html: IMG }), 'spec must NOT have additional properties'],
      [spec('../../etc/passwd.parquet', 'dataset'), 'the path "../../etc/passwd.parquet" leaves the server root'],
      [spec('/etc/passwd.parquet', 'dataset'), 'the path "/etc/passwd.parquet" must be relative to the notebook\'s folder'],
      [spec(`${JS}//x.parquet`, 'dataset'), `the path "${JS}//x.parquet" must be relative to the notebook's folder`],
      [
        spec('escape.parquet', 'dataset'),
        `the path "${tmpPath}/escape.parquet" is refused by the server: it resolves outside the server root`
      ],
      [
        spec('elsewhere/secret.parquet', 'patterns'),
        `the path "${tmpPath}/elsewhere/secret.parquet" is refused by the server: it resolves outside the server root`
      ]
    ];
    const views = ['patterns', 'rom', 'correlation', 'summary', 'outliers', 'dataset'];
    const drawn = views.map(view => spec(`${IMG}.parquet`, view, { results: hostileResults(view) }));
    const notebook = {
      cells: [
        {
          cell_type: 'code',
          execution_count: 1,
          metadata: {},
          source: '# saved by someone else',
          outputs: [...refused.map(([s]) => output(s)), ...drawn.map(output)]
        }
      ],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } },
      nbformat: 4,
      nbformat_minor: 5
    };
    const name = 'hostile.ipynb';
    expect(await page.contents.uploadContent(JSON.stringify(notebook), 'text', `${tmpPath}/${name}`)).toBe(true);
    await page.evaluate(
      async file => void (await (window as any).jupyterapp.commands.execute('docmanager:open', { path: file })),
      `${tmpPath}/${name}`
    );

    const outputs = page.locator('.locolens-output');
    await expect(outputs).toHaveCount(refused.length + views.length, { timeout: 60000 });
    for (let i = 0; i < refused.length; i++) {
      const error = outputs.nth(i).locator('[data-locolens="error"]');
      await expect(error).toContainText(refused[i][1], { timeout: 30000 });
      // One line: a title and at most one problem.
      expect(await error.locator('li').count()).toBeLessThanOrEqual(1);
    }
    const saved = (view: string) => outputs.nth(refused.length + views.indexOf(view));
    for (const view of views) {
      await expect(saved(view).locator('[data-locolens="saved"]')).toBeVisible();
      // The strip tells the file, its time, the backend and adapter as text.
      await expect(saved(view).locator('[data-locolens="strip"]')).toContainText(
        `${IMG}.parquet as of ${SCRIPT} · computed ${IMG} by ${JS} on ${SVG}`
      );
    }
    for (const view of ['patterns', 'rom', 'correlation', 'outliers']) {
      await expect(saved(view).locator('[data-locolens="plot"][data-drawn]')).toBeVisible();
    }
    for (const view of ['patterns', 'rom', 'outliers']) {
      await expect(saved(view).locator('[data-locolens="feature"] option')).toHaveText([IMG, SCRIPT, JS]);
    }
    await expect(saved('summary').locator('[data-locolens="summary-table"] tbody td:first-child')).toHaveText([IMG, SCRIPT, JS]);
    await expect(saved('outliers').locator('[data-locolens="outlier-list"]')).toHaveText(`Outlier cycles: ${JS} #1`);
    // Plotly's labels: the escaped text, drawn as text (its own markup is not read from them).
    await expect(saved('rom').locator('.xtick text', { hasText: IMG })).toHaveCount(1);
    await expect(saved('correlation').locator('.ytick text', { hasText: IMG })).toHaveCount(1);
    await expect(saved('patterns').locator('.gtitle')).toContainText(`${IMG} — ${SCRIPT}`);
    await expectNoInjection(page, dialogs);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

test('hostile names from a data file stay text: a live notebook output, the report, the validation tuner and the comparison', async ({
  page,
  tmpPath
}) => {
  const dialogs = collectDialogs(page);
  const folder = join(DATA, tmpPath);
  mkdirSync(folder, { recursive: true });
  const fileA = `${IMG}.parquet`;
  const fileB = `${SVG}.parquet`;
  // The fixture with hostile subjects, tasks and an extra column; B is A with the knee + 0.1 rad.
  const names = JSON.parse(
    execFileSync(
      PYTHON,
      [
        '-c',
        `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
source, a, b, subject, task, column = sys.argv[1:7]
frame = pq.read_table(source).to_pandas()
frame["subject"] = subject + frame["subject"].astype(str)
frame["task"] = task + frame["task"].astype(str)
frame[column] = frame["knee_flexion_angle_ipsi_rad"]
pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), a)
frame["knee_flexion_angle_ipsi_rad"] = frame["knee_flexion_angle_ipsi_rad"] + 0.1
pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), b)
first = frame.iloc[0]
print(json.dumps({"subject": str(first["subject"]), "task": str(first["task"])}))
`,
        join(DATA, 'fixtures', 'multi_rowgroup.parquet'),
        join(folder, fileA),
        join(folder, fileB),
        IMG,
        SCRIPT,
        `${JS}_${IMG}_ipsi_rad`
      ],
      { encoding: 'utf8' }
    )
  );
  const { task, subject } = names as { task: string; subject: string };
  expect(task.startsWith(SCRIPT)).toBe(true);

  // locolens.show() in a kernel: the file's names reach the live output.
  await newNotebook(page, `${tmpPath}/live.ipynb`);
  await page.notebook.setCell(
    0,
    'code',
    `import locolens\nlocolens.show(${JSON.stringify(fileA)}, task=${JSON.stringify(task)}, subject=${JSON.stringify(subject)})`
  );
  await page.notebook.runCell(0);
  const live = page.locator('.locolens-output').first();
  await expect(live.locator('[data-locolens="plot"][data-drawn]')).toBeVisible({ timeout: 90000 });
  await expect(live.locator('[data-locolens="strip"]')).toContainText(`${task} · ${subject} ·`);
  await expectNoInjection(page, dialogs);

  // The whole-file report.
  const open = (command: string, args: Record<string, unknown>) =>
    page.evaluate(async ([c, a]) => void (await (window as any).jupyterapp.commands.execute(c, a)), [command, args] as const);
  await open('locolens:report', { path: `${tmpPath}/${fileA}` });
  const report = page.locator('.locolens-report').last();
  await expect(report.locator('[data-locolens="report-table"]')).toBeVisible({ timeout: 90000 });
  await expect(report.locator('[data-locolens="report-table"]')).toContainText(task);
  await expectNoInjection(page, dialogs);

  // The validation tuner, with ranges suggested from the data.
  await open('locolens:validate', { path: `${tmpPath}/${fileA}` });
  const validation = page.locator('.locolens-validation').last();
  await validation.locator('[data-locolens="suggest"]').click();
  await expect(validation.locator('[data-locolens="validation-tasks"]')).toBeVisible({ timeout: 90000 });
  await expect(validation.locator('[data-locolens="validation-tasks"]')).toContainText(task);
  await expect(validation.locator('[data-locolens="tuner-task"] option', { hasText: task })).toHaveCount(1);
  await expectNoInjection(page, dialogs);

  // The comparison of the two files.
  await open('locolens:compare', { paths: [`${tmpPath}/${fileA}`, `${tmpPath}/${fileB}`] });
  const comparison = page.locator('.locolens-comparison').last();
  await expect(comparison.locator('[data-locolens="differences-table"]')).toBeVisible({ timeout: 90000 });
  await expect(comparison.locator('[data-locolens="compare-task"] option', { hasText: task })).toHaveCount(1);
  await expect(comparison.locator('[data-locolens="comparison-plot"].js-plotly-plot').first()).toBeVisible();
  // The file names in plotly's legend: escaped, drawn as text.
  await expect(comparison.locator('.legendtext', { hasText: IMG }).first()).toBeVisible();
  await expect(page.locator('.lm-TabBar-tab', { hasText: 'Compare ·' }).last()).toContainText(IMG);
  await expectNoInjection(page, dialogs);
});
