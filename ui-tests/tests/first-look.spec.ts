/**
 * What a new user meets first: on the demo file (missing samples) the analysis finds outliers by
 * default and says how many samples are missing and how they were treated, with one switch to
 * LocoHub-exact propagation; the outlier threshold applies at once; the sidebar's tables show every
 * task at the default width; a file without a phase column is refused with the finding, and
 * "Analyse anyway" analyses it with a warning.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const DEMO = 'locolens_demo_phase.parquet';
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');

test.use({ autoGoto: true });

test('missing samples: outliers by default, the count said, LocoHub-exact one click away; k applies at once', async ({
  page
}, testInfo) => {
  const expected = JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'expected_missing.py'), join(DATA, DEMO)], { encoding: 'utf8' }));
  expect(expected.missing).toBeGreaterThan(0);
  expect(expected.outliers.length).toBeGreaterThan(0);
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
    path: DEMO,
    task: expected.task,
    subject: expected.subject
  });
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(`${expected.cycles} cycles`, { timeout: 90000 });
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText(`${expected.outliers.length} outliers`);
  const note = view.locator('[data-locolens="missing-samples"]');
  await expect(note).toHaveAttribute('data-missing', String(expected.missing));
  await expect(note).toHaveAttribute('data-nan', 'ignore');
  await expect(note).toContainText(`${expected.missing} of ${expected.total.toLocaleString('en-US')} samples missing`);
  await expect(note).toContainText('NaN ignored');
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 60000 });
  await page.screenshot({ path: testInfo.outputPath('missing-samples-ignored.png') });

  // The threshold control: k = 1 at once, as numpy finds.
  const k = view.locator('[data-locolens="threshold"]');
  await k.fill('1');
  await k.press('Enter');
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText(`${expected.outliers_k1.length} outliers`);
  await k.fill('2');
  await k.press('Enter');
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText(`${expected.outliers.length} outliers`);

  // One click: LocoHub-exact propagation, which finds no outlier in a group with a missing sample.
  await view.locator('[data-locolens="nan-switch"]').click();
  await expect(note).toHaveAttribute('data-nan', 'propagate', { timeout: 60000 });
  await expect(note).toContainText('what LocoHub Python reports');
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText('0 outliers');
  await expect(view.locator('[data-locolens="nan-policy"]')).toHaveValue('propagate');
  await view.locator('[data-locolens="nan-switch"]').click();
  await expect(note).toHaveAttribute('data-nan', 'ignore', { timeout: 60000 });
  await expect(view.locator('[data-locolens="outlier-count"]')).toHaveText(`${expected.outliers.length} outliers`);
});

test('the sidebar at its default width shows every task and subject × task it offers to analyse', async ({ page }, testInfo) => {
  await page.getByRole('tab', { name: 'locolens datasets' }).click();
  const panel = page.locator('#locolens-dataset-browser');
  await panel.locator(`.locolens-file[data-path="${DEMO}"]`).click();
  await panel.locator('[data-locolens="section-blocks"] > summary').click();
  const tasks = panel.locator('[data-locolens="tasks-table"] tbody tr');
  await expect(tasks.first()).toBeVisible({ timeout: 60000 });
  const box = (await panel.boundingBox())!;
  expect(box.width).toBeLessThan(400);
  const inside = async (cell: ReturnType<typeof panel.locator>) => {
    const b = (await cell.boundingBox())!;
    expect(b.width).toBeGreaterThan(0);
    expect(b.x).toBeGreaterThanOrEqual(box.x - 1);
    expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width + 1);
  };
  for (const row of await tasks.all()) {
    await inside(row.locator('td').first());
    await inside(row.locator('[data-locolens="analyze"]'));
    expect((await row.locator('td').first().innerText()).trim().length).toBeGreaterThan(0);
  }
  for (const row of (await panel.locator('[data-locolens="blocks-table"] tbody tr').all()).slice(0, 12)) {
    await inside(row.locator('td').nth(0));
    await inside(row.locator('td').nth(1));
    await inside(row.locator('[data-locolens="analyze"]'));
  }
  await panel.screenshot({ path: testInfo.outputPath('sidebar.png') });
});

test('a file without a phase column is refused with the finding; "Analyse anyway" goes on with a warning', async ({ page }) => {
  const name = 'no_phase.parquet';
  execFileSync(PYTHON, [
    '-c',
    'import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); pq.write_table(t.drop_columns(["phase_ipsi"]), sys.argv[2])',
    join(DATA, 'fixtures', 'multi_rowgroup.parquet'),
    join(DATA, 'fixtures', name)
  ]);
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
    path: `fixtures/${name}`,
    task: 'level_walking'
  });
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="error"]')).toContainText('LocoHub refuses such a file', { timeout: 60000 });
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveCount(0);
  await view.locator('[data-locolens="force"]').click();
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(/\d+ cycles/, { timeout: 60000 });
  await expect(view.locator('[data-locolens="warning"]')).toContainText('analysed anyway (forced)');
});

test('a small file is read once for its summary: 100 % of it, not twice', async ({ page }) => {
  await page.getByRole('tab', { name: 'locolens datasets' }).click();
  const panel = page.locator('#locolens-dataset-browser');
  await panel.locator('.locolens-file[data-path="fixtures/legacy_names.parquet"]').click();
  const read = panel.locator('.locolens-summary [data-locolens="bytes-read"]');
  await expect(read).toContainText('%', { timeout: 60000 });
  const percent = Number(/\(([\d.]+) %\)/.exec((await read.textContent()) ?? '')?.[1]);
  expect(percent).toBe(100);
});

test('a damaged page in a row group reads as a damaged file, with where, in the browser too; the pool goes on', async ({ page }) => {
  const name = 'damaged_rowgroup.parquet';
  execFileSync(PYTHON, [
    '-c',
    `
import shutil, sys, pyarrow.parquet as pq
shutil.copy(sys.argv[1], sys.argv[2])
md = pq.ParquetFile(sys.argv[2]).metadata
col = md.row_group(12).column(md.schema.to_arrow_schema().get_field_index('knee_flexion_angle_ipsi_rad'))
with open(sys.argv[2], 'r+b') as f:
    f.seek(col.data_page_offset)
    f.write(bytes([0xA5]) * 24)
`,
    join(DATA, 'fixtures', 'multi_rowgroup.parquet'),
    join(DATA, 'fixtures', name)
  ]);
  // The whole file (every row group) through the worker pool, as the benchmark runs it.
  const analyzeFile = (path: string) =>
    page.evaluate(
      (file: string) =>
        (window as any).jupyterapp.commands.execute('locolens:analyze-file', { path: file }).then(
          (digest: { groups: number }) => `ok ${digest.groups}`,
          (error: Error) => error.message
        ),
      path
    );
  // Named to the page: its header is checked as its bytes arrive, before the decoder sees them.
  expect(await analyzeFile(`fixtures/${name}`)).toMatch(
    /row group 12, column "knee_flexion_angle_ipsi_rad", data page 0: its header .*; the file is damaged there/
  );
  // The pool goes on.
  expect(await analyzeFile('fixtures/multi_rowgroup.parquet')).toMatch(/^ok \d+$/);
});
