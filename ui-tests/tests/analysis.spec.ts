/**
 * The analysis view in a real JupyterLab: the numbers drawn equal numpy's for the same file,
 * the plot follows the theme, and the export reads back with pyarrow.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

import { longTasksOutsideDraws, watchLongTasks } from './long-tasks';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const DEMO = 'locolens_demo_phase.parquet';
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');

interface IExpected {
  subject: string;
  task: string;
  cycles: number;
  outliers: number[];
}

function python(...args: string[]): string {
  return execFileSync(PYTHON, args, { encoding: 'utf8' });
}

test('analysis of one subject×task: cycles, outliers, theme, export', async ({ page }, testInfo) => {
  const expected: IExpected = JSON.parse(python(join(__dirname, '..', 'expected_outliers.py'), join(DATA, DEMO)));
  expect(expected.outliers.length).toBeGreaterThan(0);
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(error.message));

  await page.getByRole('tab', { name: 'locolens datasets' }).click();
  const panel = page.locator('#locolens-dataset-browser');
  await panel.locator(`.locolens-file[data-path="${DEMO}"]`).click();
  await panel.locator('[data-locolens="section-blocks"] > summary').click();
  await panel.locator(`[data-locolens="analyze"][data-task="${expected.task}"][data-subject="${expected.subject}"]`).click();

  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(`${expected.cycles} cycles`, { timeout: 90000 });
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText(`${expected.outliers.length} outliers`);
  await expect(view.locator('[data-locolens="backend"]')).toHaveText('workers');
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 60000 });

  // Count what plotly drew: every cycle is one null-separated run in the cycle traces.
  const drawn = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => {
    const runs = (trace: any) => trace.y.filter((y: number | null, i: number) => y !== null && (i === 0 || trace.y[i - 1] === null)).length;
    const byName = (prefix: string) => plot.data.find((trace: any) => trace.name.startsWith(prefix));
    return {
      cycles: ['cycles', 'invalid', 'outliers'].reduce((sum, name) => sum + runs(byName(name)), 0),
      outliers: runs(byName('outliers')),
      type: byName('cycles').type,
      background: plot.layout.paper_bgcolor
    };
  });
  expect(drawn.cycles).toBe(expected.cycles);
  expect(drawn.outliers).toBe(expected.outliers.length);
  expect(drawn.type).toBe('scattergl');

  // The per-cycle table marks the same cycles as outliers.
  await view.locator('.locolens-tab[data-tab="table"]').click();
  const marked = await view.locator('[data-locolens="per-cycle-table"] tbody tr.locolens-row-outlier td:nth-child(2)').allTextContents();
  expect(marked.map(Number)).toEqual(expected.outliers);

  // Export next to the dataset, and read it back with pyarrow.
  await view.locator('[data-locolens="export-parquet"]').click();
  await expect(view.locator('[data-locolens="export-snippet"]')).toContainText('pd.read_parquet(');
  const base = `${DEMO.replace('.parquet', '')}.${expected.task}.${expected.subject}`;
  const readBack = JSON.parse(
    python(
      '-c',
      'import sys,json,pyarrow.parquet as pq;t=pq.read_table(sys.argv[1]);p=pq.read_table(sys.argv[2]);' +
        'print(json.dumps({"rows":t.num_rows,"outliers":[int(c) for c,o in zip(t["cycle"].to_pylist(),t["outlier"].to_pylist()) if o],"subjects":sorted(set(t["subject"].to_pylist())),"pattern_rows":p.num_rows}))',
      join(DATA, `${base}.cycle-features.parquet`),
      join(DATA, `${base}.patterns.parquet`)
    )
  );
  expect(readBack).toEqual({ rows: expected.cycles, outliers: expected.outliers, subjects: [expected.subject], pattern_rows: 150 * 34 });
  await view.locator('[data-locolens="export-csv"]').click();
  await expect(view.locator('[data-locolens="export-snippet"]')).toContainText('pd.read_csv(');
  const csvRows = Number(
    python('-c', 'import sys,csv;print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))', join(DATA, `${base}.cycle-features.csv`))
  );
  expect(csvRows).toBe(expected.cycles);

  // Switch to the dark theme: the plot follows it.
  await view.locator('.locolens-tab[data-tab="patterns"]').click();
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible();
  await page.theme.setDarkTheme();
  await expect
    .poll(async () => view.locator('[data-locolens="plot"]').evaluate((plot: any) => plot.layout.paper_bgcolor))
    .not.toBe(drawn.background);
  await page.screenshot({ path: testInfo.outputPath('analysis-dark.png') });
  await page.theme.setLightTheme();
  expect(errors).toEqual([]);
});

test('the analysis view shows an error for a file that cannot be analysed', async ({ page }) => {
  await page.evaluate(
    async () =>
      void (await (window as any).jupyterapp.commands.execute('locolens:analyze', { path: 'fixtures/random_bytes.parquet', task: 'run' }))
  );
  await expect(page.locator('.locolens-analysis [role="alert"]')).toHaveText(/not a parquet file/);
});

test('a whole task, then a selection of its subjects', async ({ page }) => {
  const counts: Record<string, number> = JSON.parse(
    python(
      '-c',
      'import sys,json,collections,pyarrow.parquet as pq;t=pq.read_table(sys.argv[1],columns=["subject","task"]);' +
        'c=collections.Counter(s for s,k in zip(t["subject"].to_pylist(),t["task"].to_pylist()) if k=="stair_ascent");' +
        'print(json.dumps({s:n//150 for s,n in c.items()}))',
      join(DATA, DEMO)
    )
  );
  const subjects = Object.keys(counts).sort();
  await page.getByRole('tab', { name: 'locolens datasets' }).click();
  const panel = page.locator('#locolens-dataset-browser');
  await panel.locator(`.locolens-file[data-path="${DEMO}"]`).click();
  await panel.locator('[data-locolens="analyze"][data-task="stair_ascent"]:not([data-subject])').click();
  const view = page.locator('.locolens-analysis');
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(`${total} cycles`, { timeout: 90000 });

  await view.locator('[data-locolens="subject-picker"] > summary').click();
  for (const subject of subjects.slice(2)) {
    await view.locator(`input[data-subject="${subject}"]`).uncheck();
  }
  await view.locator('[data-locolens="apply-subjects"]').click();
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(`${counts[subjects[0]] + counts[subjects[1]]} cycles`, {
    timeout: 90000
  });
  await expect(view.locator('h2')).toHaveText('stair_ascent — 2 subjects');
});

test('10,000 cycles of one task draw, with numpy’s outliers', async ({ page }) => {
  const file = 'large/ten_thousand_cycles.parquet';
  const expected: IExpected = JSON.parse(python(join(__dirname, '..', 'expected_outliers.py'), join(DATA, file)));
  expect(expected.cycles).toBe(10000);
  await page.evaluate(
    async path => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', { path, task: 'run' })),
    file
  );
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 120000 });
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText(`${expected.outliers.length} outliers`);
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 120000 });
  const drawn = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => {
    const density = plot.data.find((trace: any) => trace.type === 'heatmap');
    const outliers = plot.data.find((trace: any) => trace.name.startsWith('outliers'));
    // Every ordinary cycle is counted once in each phase column of the density.
    const perPhase = density.z[0].map((_: unknown, p: number) =>
      density.z.reduce((sum: number, row: Array<number | null>) => sum + (row[p] ?? 0), 0)
    );
    const runs = outliers.y.filter((y: number | null, i: number) => y !== null && (i === 0 || outliers.y[i - 1] === null)).length;
    return { min: Math.min(...perPhase), max: Math.max(...perPhase), outliers: runs };
  });
  expect(drawn).toEqual({
    min: 10000 - expected.outliers.length,
    max: 10000 - expected.outliers.length,
    outliers: expected.outliers.length
  });
});

test('WebGPU in the browser (SwiftShader without a GPU) gives the worker pool’s numbers', async ({ page }) => {
  const file = 'fixtures/multi_rowgroup.parquet';
  await page.evaluate(
    async path => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', { path, task: 'level_walking' })),
    file
  );
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="backend"]')).toHaveText('workers', { timeout: 90000 });
  const table = async () => {
    await view.locator('.locolens-tab[data-tab="table"]').click();
    return view
      .locator('[data-locolens="per-cycle-table"] tbody tr')
      .evaluateAll(rows => rows.map(row => Array.from(row.children, cell => cell.textContent)));
  };
  const header = async () => [
    await view.locator('[data-locolens="cycle-count"]').textContent(),
    await view.locator('[data-locolens="outlier-count"]').textContent()
  ];
  const workers = { header: await header(), table: await table() };

  await view.locator('[data-locolens="backend-select"]').selectOption('webgpu');
  await expect(view.locator('[data-locolens="backend"]')).toHaveText('webgpu', { timeout: 90000 });
  // A real adapter: the view names it, and nothing fell back to the CPU.
  await expect(view.locator('[data-locolens="adapter"]')).toContainText(/swiftshader|nvidia|amd|intel|apple/i);
  await expect(view.locator('[data-locolens="fallback"]')).toHaveCount(0);
  const gpu = { header: await header(), table: await table() };
  expect(gpu.header).toEqual(workers.header);
  // Per-cycle values shown with 5 significant digits: equal, but for a last-digit rounding.
  expect(gpu.table.length).toBe(workers.table.length);
  gpu.table.forEach((row, r) => {
    row.forEach((cell, c) => {
      const a = Number(cell);
      const b = Number(workers.table[r][c]);
      if (Number.isFinite(a) && Number.isFinite(b)) {
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(b)));
      } else {
        expect(cell).toBe(workers.table[r][c]);
      }
    });
  });
});

test('the page thread only draws: no long task over 200 ms outside plotly while 10,000 cycles are analysed', async ({ page }) => {
  const file = 'large/ten_thousand_cycles.parquet';
  await watchLongTasks(page);
  // Computed, not from the result cache.
  await page.evaluate(async path => {
    const app = (window as any).jupyterapp;
    await app.commands.execute('locolens:clear-cache');
    await app.commands.execute('locolens:analyze', { path, task: 'run' });
  }, file);
  const view = page.locator('.locolens-analysis').last();
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 120000 });
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 120000 });
  const { tasks, outside: outsideDraws, draws } = await longTasksOutsideDraws(page);
  expect(draws).toBeGreaterThan(0);
  const over = outsideDraws.filter(task => task.duration > 200);
  console.log(
    `long tasks: ${tasks.length} in all, ${outsideDraws.length} outside plotly's draws, longest outside ${Math.max(0, ...outsideDraws.map(t => t.duration)).toFixed(0)} ms`
  );
  expect(over).toEqual([]);
});
