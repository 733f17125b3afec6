/**
 * The Population tab of a task: subject means with the between-subject band, and the seed guide's
 * population statistics equal to numpy's for the same file; the export reads back with pyarrow.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const DEMO = 'locolens_demo_phase.parquet';
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');

test.use({ autoGoto: true });

test('population of a task: subject means drawn, statistics equal numpy, export read back', async ({ page }, testInfo) => {
  const task = 'level_walking';
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
    path: DEMO,
    task
  });
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(/\d+ cycles/, { timeout: 90000 });
  const features = await view.locator('[data-locolens="feature"] option').allTextContents();
  await view.locator('[data-tab="population"]').click();
  await expect(view.locator('[data-drawn="population"]')).toBeVisible({ timeout: 90000 });
  const table = view.locator('[data-locolens="population-table"]');
  await expect(table.locator('tbody tr')).toHaveCount(features.length);
  const expected = JSON.parse(
    execFileSync(
      PYTHON,
      [join(__dirname, '..', '..', 'test', 'expected_population.py'), join(DATA, DEMO), task, features.join(','), 'ignore', '0'],
      {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024
      }
    )
  );
  const plotted = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => plot.data.length);
  // One line per subject, the band's two edges and the population mean.
  expect(plotted).toBe(expected.subjects.length + 3);
  const rows = await table.locator('tbody tr').evaluateAll(trs => trs.map(tr => Array.from(tr.children, td => td.textContent ?? '')));
  // Four significant digits as shown; a statistic near 0 is compared to its variable's range.
  const near = (text: string, want: number | null, f: number) => {
    if (want === null) {
      expect(text).toBe('NaN');
    } else {
      expect(Math.abs(Number(text) - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-3 + 1e-6 * (expected.rom_mean[f] ?? 1));
    }
  };
  features.forEach((name, f) => {
    expect(rows[f][0]).toBe(name);
    near(rows[f][1], expected.mean_std[f], f);
    near(rows[f][2], expected.max_std[f], f);
    near(rows[f][4], expected.mean_of_means[f], f);
    near(rows[f][6], expected.mean_of_stds[f], f);
    near(rows[f][7], expected.rom_mean[f], f);
    near(rows[f][11], expected.rom_percentiles[f * 5 + 2], f);
  });
  await expect(view.locator('[data-locolens="population-note"]')).toContainText(
    `${expected.subjects.length} subjects weighted equally, ${expected.cycles.toLocaleString('en-US')} cycles`
  );
  await page.screenshot({ path: testInfo.outputPath('population.png') });

  await view.locator('[data-locolens="export-population"]').click();
  await expect(view.locator('[data-locolens="export-done"]')).toBeVisible({ timeout: 30000 });
  const path = (await view.locator('[data-locolens="export-done"] code').textContent())!;
  const readBack = JSON.parse(
    execFileSync(
      PYTHON,
      [
        '-c',
        'import sys, json, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); print(json.dumps({"rows": t.num_rows, "mean_std": t["mean_std"].to_pylist(), "n_subjects": t["n_subjects"].to_pylist()[0]}))',
        join(DATA, path)
      ],
      { encoding: 'utf8' }
    )
  );
  expect(readBack.rows).toBe(features.length);
  expect(readBack.n_subjects).toBe(expected.subjects.length);
  readBack.mean_std.forEach((v: number | null, f: number) => near(v === null ? 'NaN' : String(v), expected.mean_std[f], f));
});

test('the whole-file report: a row per subject × task, a failed block with its reason, sort, filter, open, export', async ({
  page
}, testInfo) => {
  const path = 'fixtures/bad_cycle_count.parquet';
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:report', args)), { path });
  const view = page.locator('.locolens-report');
  const rows = view.locator('[data-locolens="report-table"] tbody tr');
  await expect(view.locator('[data-locolens="report-status"]')).toContainText('6 subject × task rows · 1 failed', { timeout: 60000 });
  await expect(rows).toHaveCount(6);
  const failed = view.locator('tr[data-state="failed"]');
  await expect(failed).toHaveCount(1);
  await expect(failed).toHaveAttribute('data-subject', 'UM21_AB02');
  await expect(failed.locator('[data-locolens="report-reason"]')).toContainText('749 rows is not a multiple of 150');
  // Sorted by outliers, descending: the failed row (no number) goes last.
  await view.locator('th[data-sort="outliers"]').click();
  await view.locator('th[data-sort="outliers"]').click();
  await expect(view.locator('th[data-sort="outliers"]')).toHaveAttribute('aria-sort', 'descending');
  await expect(rows.last()).toHaveAttribute('data-state', 'failed');
  await view.locator('[data-locolens="report-filter"]').fill('AB03');
  await expect(rows).toHaveCount(2);
  await page.screenshot({ path: testInfo.outputPath('report.png') });
  await view.locator('[data-locolens="export-report"]').click();
  await expect(view.locator('[data-locolens="export-done"]')).toBeVisible({ timeout: 30000 });
  const readBack = JSON.parse(
    execFileSync(
      PYTHON,
      [
        '-c',
        'import sys, json, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1]); print(json.dumps({"rows": t.num_rows, "states": sorted(t["state"].to_pylist())}))',
        join(DATA, 'fixtures/bad_cycle_count.report.parquet')
      ],
      { encoding: 'utf8' }
    )
  );
  expect(readBack).toEqual({ rows: 6, states: ['failed', 'ok', 'ok', 'ok', 'ok', 'ok'] });
  // Another variable's ROM: from the same (cached) analysis, at once.
  await view.locator('[data-locolens="report-filter"]').fill('');
  await view.locator('[data-locolens="rom-picker"] > summary').click();
  await view.locator('[data-locolens="rom-picker"] input[data-variable="grf_vertical_ipsi_BW"]').check();
  await view.locator('[data-locolens="apply-rom"]').click();
  await expect(view.locator('th', { hasText: 'ROM grf_vertical_ipsi_BW' })).toBeVisible({ timeout: 30000 });
  await expect(rows).toHaveCount(6);
  // Each row opens its analysis (the controls are drawn again with the report: the current box).
  await expect(async () => {
    await view.locator('[data-locolens="report-filter"]').fill('AB03');
    await expect(rows).toHaveCount(2, { timeout: 1000 });
  }).toPass({ timeout: 30000 });
  await rows
    .filter({ has: page.locator('td', { hasText: 'incline_walking' }) })
    .locator('[data-locolens="report-open"]')
    .click();
  await expect(page.locator('.locolens-analysis [data-locolens="cycle-count"]')).toHaveText('4 cycles', { timeout: 60000 });
  await expect(page.locator('.lm-TabBar-tab', { hasText: 'incline_walking · UM21_AB03' })).toBeVisible();
});
