/**
 * The cross-dataset comparison in a real JupyterLab: two pyarrow-written files ticked in the
 * dataset browser (a checkbox and a ctrl-click), compared; the known differences (compare_b's
 * knee flexion is compare_a's + 0.1 rad: mean difference and RMSE 0.1, r 1), the other numbers
 * equal to numpy's, counts, the coverage listing the missing variable, both plot layouts, another
 * task, and an error shown as text.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');
const A = 'fixtures/compare_a.parquet';
const B = 'fixtures/compare_b.parquet';

function numpy(task: string, features: string[]) {
  return JSON.parse(
    execFileSync(
      PYTHON,
      [
        join(__dirname, '..', '..', 'test', 'expected_comparison.py'),
        `${join(DATA, A)},${join(DATA, B)}`,
        task,
        features.join(','),
        'ignore',
        '0'
      ],
      { encoding: 'utf8' }
    )
  );
}

test.use({ autoGoto: true });

test('compare two datasets ticked in the browser: known differences, numpy numbers, counts, coverage, layouts', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(error.message));
  await page.getByRole('tab', { name: 'locolens datasets' }).click();
  const panel = page.locator('#locolens-dataset-browser');
  const compare = panel.locator('[data-locolens="compare-selected"]');
  await expect(panel.locator(`.locolens-file[data-path="${A}"]`)).toBeVisible();
  await expect(compare).toBeDisabled();
  // One by its checkbox, one by a ctrl-click on the row.
  await panel.locator(`.locolens-file[data-path="${A}"] .locolens-file-check`).check();
  await expect(compare).toBeDisabled();
  await panel.locator(`.locolens-file[data-path="${B}"] .locolens-file-name`).click({ modifiers: ['ControlOrMeta'] });
  await expect(panel.locator(`.locolens-file[data-path="${B}"] .locolens-file-check`)).toBeChecked();
  await expect(compare).toHaveText('Compare (2)');
  await compare.click();

  const view = page.locator('.locolens-comparison');
  const differences = view.locator('[data-locolens="differences-table"]');
  await expect(differences).toBeVisible({ timeout: 90000 });
  await expect(view.locator('[data-locolens="compare-task"]')).toHaveValue('level_walking');
  expect(await view.locator('[data-locolens="compare-task"] option').allTextContents()).toEqual(['level_walking', 'run']);
  const features = await view.locator('[data-locolens="compare-feature"] option').allTextContents();
  expect(features).toEqual([
    'hip_flexion_angle_ipsi_rad',
    'knee_flexion_angle_ipsi_rad',
    'ankle_dorsiflexion_angle_ipsi_rad',
    'grf_vertical_ipsi_BW'
  ]);

  // The known difference: knee flexion + 0.1 rad in every cycle of compare_b.
  const value = async (feature: string, col: string) =>
    Number(await differences.locator(`tr[data-feature="${feature}"] td[data-col="${col}"]`).getAttribute('data-value'));
  expect(Math.abs((await value('knee_flexion_angle_ipsi_rad', 'mean-difference')) - 0.1)).toBeLessThan(1e-6);
  expect(Math.abs((await value('knee_flexion_angle_ipsi_rad', 'rmse')) - 0.1)).toBeLessThan(1e-6);
  await expect(differences.locator('tr[data-feature="knee_flexion_angle_ipsi_rad"] td[data-col="mean-difference"]')).toHaveText('0.1000');
  await expect(differences.locator('tr[data-feature="knee_flexion_angle_ipsi_rad"] td[data-col="rmse"]')).toHaveText('0.1000');
  await expect(differences.locator('tr[data-feature="knee_flexion_angle_ipsi_rad"] td[data-col="r"]')).toHaveText('1.000');
  // Every feature's numbers as numpy computes them from the same files.
  const expected = numpy('level_walking', features);
  for (const feature of features) {
    const want = expected.differences[feature][0];
    const scale = Math.max(...expected.datasets[0].patterns[feature].mean.map((v: number | null) => Math.abs(v ?? 0)));
    expect(Math.abs((await value(feature, 'mean-difference')) - want.mean_difference)).toBeLessThanOrEqual(1e-6 * scale);
    expect(Math.abs((await value(feature, 'rmse')) - want.rmse)).toBeLessThanOrEqual(1e-6 * scale);
    expect(Math.abs((await value(feature, 'r')) - want.r)).toBeLessThanOrEqual(1e-6);
  }
  expect(await value('hip_flexion_angle_ipsi_rad', 'rmse')).toBeGreaterThan(0.01);

  // Subjects and cycles per dataset.
  const counts = await view
    .locator('[data-locolens="counts-table"] tbody tr')
    .evaluateAll(rows => rows.map(row => Array.from(row.children, td => td.textContent ?? '')));
  expect(counts).toEqual([
    [A, String(expected.datasets[0].subjects.length), String(expected.datasets[0].cycles), '—'],
    [B, String(expected.datasets[1].subjects.length), String(expected.datasets[1].cycles), '—']
  ]);
  expect(expected.datasets[1].cycles).toBe(2 * expected.datasets[0].cycles);

  // Coverage: the missing variable, and the non-standard name with the standard one it means.
  const coverage = view.locator('[data-locolens="coverage-table"]');
  const moment = coverage.locator('tr[data-variable="knee_flexion_moment_ipsi_Nm_kg"]');
  await expect(moment.locator(`td[data-dataset="${A}"]`)).toHaveText('yes');
  await expect(moment.locator(`td[data-dataset="${B}"]`)).toHaveText('missing');
  await expect(coverage.locator('tr[data-variable="hip_flexion_angle_left_rad"] td[data-col="suggestion"]')).toHaveText(
    'hip_flexion_angle_contra_rad — in compare_a.parquet'
  );
  expect(await coverage.locator('tbody tr').evaluateAll(rows => rows.map(row => row.getAttribute('data-variable')))).toEqual([
    'hip_flexion_angle_contra_rad',
    'hip_flexion_angle_left_rad',
    'knee_flexion_moment_ipsi_Nm_kg'
  ]);

  // Overlay: one plot, band and mean per dataset; side by side: one plot each, one y range.
  const plots = view.locator('[data-locolens="comparison-plots"]');
  await expect(plots).toHaveAttribute('data-drawn', 'overlay:hip_flexion_angle_ipsi_rad', { timeout: 30000 });
  await view.locator('[data-locolens="compare-feature"]').selectOption('knee_flexion_angle_ipsi_rad');
  await expect(plots).toHaveAttribute('data-drawn', 'overlay:knee_flexion_angle_ipsi_rad');
  const overlay = view.locator('[data-locolens="comparison-plot"]');
  await expect(overlay).toHaveCount(1);
  const means = await overlay.evaluate((plot: any) =>
    plot.data.filter((trace: any) => / mean /.test(trace.name)).map((trace: any) => trace.y)
  );
  expect(means.length).toBe(2);
  means[1].forEach((y: number, p: number) => expect(Math.abs(y - means[0][p] - 0.1)).toBeLessThan(1e-5));
  await view.locator('[data-layout="side-by-side"]').click();
  await expect(plots).toHaveAttribute('data-drawn', 'side-by-side:knee_flexion_angle_ipsi_rad');
  const sides = view.locator('[data-locolens="comparison-plot"]');
  await expect(sides).toHaveCount(2);
  const ranges = await sides.evaluateAll(nodes => nodes.map((plot: any) => plot.layout.yaxis.range));
  expect(ranges[0]).toEqual(ranges[1]);

  // A theme change redraws with the theme's background (and back).
  const background = () => page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim());
  const paper = () => sides.first().evaluate((plot: any) => plot.layout.paper_bgcolor);
  const light = await background();
  expect(await paper()).toBe(light);
  await page.theme.setDarkTheme();
  const dark = await background();
  expect(dark).not.toBe(light);
  await expect.poll(paper).toBe(dark);
  await page.theme.setLightTheme();
  await expect.poll(paper).toBe(light);

  // Another task: analysed again, the counts follow.
  await view.locator('[data-locolens="compare-task"]').selectOption('run');
  await expect(view.locator('h2')).toHaveText('Comparison — run', { timeout: 90000 });
  const run = numpy('run', features);
  await expect(view.locator('[data-locolens="counts-table"] tbody tr').first().locator('td').nth(2)).toHaveText(
    String(run.datasets[0].cycles)
  );
  expect(errors).toEqual([]);
});

test('files without a common task: the error is shown as text', async ({ page }) => {
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:compare', args)), {
    paths: [B, 'fixtures/with_nans.parquet']
  });
  const alert = page.locator('.locolens-comparison [data-locolens="error"]');
  await expect(alert).toHaveText(
    'No task is present in every file (compare_b.parquet: level_walking, run; with_nans.parquet: incline_walking, stair_ascent).',
    { timeout: 60000 }
  );
  await expect(page.locator('.locolens-comparison [data-locolens="differences-table"]')).toHaveCount(0);
});
