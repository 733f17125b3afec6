/**
 * The validation tuner in a real JupyterLab: a file with known violations checked against a
 * LocoHub ranges YAML (pass rates equal to the independent Python rules), a bound typed and a
 * range box's edge dragged (the pass rate becomes what the Python rules give for the new bound),
 * ranges suggested from the data (numpy's percentile), saved as YAML (read back by PyYAML), and the
 * clean file written next to the dataset (read back by pandas: the rows LocoHub's cleaner keeps).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const ROOT = join(__dirname, '..', '..');
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
const ORACLE = join(ROOT, 'test', 'expected_validation.py');
const FOLDER = 'validation';
const FILE = `${FOLDER}/gait_phase_dirty.parquet`;
const RANGES = `${FOLDER}/ranges_legacy_ipsi.yaml`;
const TASK = 'level_walking';
const VARIABLE = 'knee_flexion_angle_ipsi_rad';

function oracle(...args: string[]): any {
  return JSON.parse(execFileSync(PYTHON, [ORACLE, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

const shown = (rate: number) => `${(100 * rate).toFixed(1)} %`;

test.use({ autoGoto: true });

test.beforeAll(() => {
  rmSync(join(DATA, FOLDER), { recursive: true, force: true });
  mkdirSync(join(DATA, FOLDER), { recursive: true });
  copyFileSync(join(DATA, 'fixtures', 'multi_rowgroup.parquet'), join(DATA, FILE));
  copyFileSync(join(ROOT, 'test', 'validation-ranges', 'ranges_legacy_ipsi.yaml'), join(DATA, RANGES));
});

test('the tuner: pass rates as LocoHub computes them, a typed bound and a dragged edge re-check live, suggest, save, clean', async ({
  page
}, testInfo) => {
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:validate', args)), {
    path: FILE,
    ranges: RANGES
  });
  const view = page.locator('.locolens-validation');
  const rate = view.locator('[data-locolens="stride-pass-rate"]');
  const expected = oracle('validate', join(DATA, FILE), join(DATA, RANGES));
  await expect(rate).toHaveText(shown(expected.stats.pass_rate), { timeout: 90000 });
  await expect(view.locator('[data-locolens="quality-gate"]')).toHaveText(expected.quality_gate_passed ? 'passed' : 'failed');
  await expect(view.locator('[data-locolens="ranges-warning"]')).toHaveCount(2);
  // Per task: strides and passing strides as the Python rules count them.
  for (const [task, figures] of Object.entries(expected.tasks as Record<string, { total_strides: number; failing_strides: number }>)) {
    const row = view.locator(`[data-locolens="validation-tasks"] tr[data-task="${task}"] td`);
    await expect(row.nth(1)).toHaveText(String(figures.total_strides));
    await expect(row.nth(2)).toHaveText(String(figures.total_strides - figures.failing_strides));
  }

  await view.locator('[data-locolens="tuner-task"]').selectOption(TASK);
  await view.locator('[data-locolens="tuner-variable"]').selectOption(VARIABLE);
  await expect(view.locator(`[data-locolens="tuner-plot"][data-drawn="${TASK}|${VARIABLE}"]`)).toBeAttached({ timeout: 60000 });
  await page.screenshot({ path: testInfo.outputPath('tuner.png') });

  // Type a bound: max at 50 % down to 0.15.
  const max50 = view.locator('[data-locolens="bound-max"][data-phase="50"]');
  await max50.fill('0.15');
  await max50.press('Enter');
  const typed = oracle('validate', join(DATA, FILE), join(DATA, RANGES), '--set', `${TASK},50,${VARIABLE},0.05,0.15`);
  await expect(rate).toHaveText(shown(typed.stats.pass_rate));
  expect(typed.stats.pass_rate).toBeLessThan(expected.stats.pass_rate);
  await expect(view.locator('[data-locolens="edit-ms"]')).toContainText(/re-checked in [\d.]+ ms/);
  const violations = (typed.violations[TASK][VARIABLE] as number[]).length;
  await expect(view.locator('[data-locolens="tuner-variable"] option:checked')).toHaveText(`${VARIABLE} (${violations})`);

  // Drag the top edge of the 50 % box upwards: the bound follows, and the pass rate is the Python rules' for it.
  await expect(view.locator(`[data-locolens="tuner-plot"][data-drawn="${TASK}|${VARIABLE}"]`)).toBeAttached();
  const boxes = view.locator('[data-locolens="tuner-plot"] .shapelayer path');
  const phases = await view
    .locator('[data-locolens="bound-max"]')
    .evaluateAll(inputs => inputs.map(input => input.getAttribute('data-phase')));
  const box = await boxes.nth(phases.indexOf('50')).boundingBox();
  expect(box).not.toBeNull();
  // Plotly resizes from an edge when the press is in the shape's outer third on that side.
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height * 0.2 - 40, { steps: 8 });
  await page.mouse.up();
  await expect(max50).not.toHaveValue('0.15');
  const dragged = Number(await max50.inputValue());
  const min50 = Number(await view.locator('[data-locolens="bound-min"][data-phase="50"]').inputValue());
  expect(dragged).toBeGreaterThan(0.15);
  const afterDrag = oracle('validate', join(DATA, FILE), join(DATA, RANGES), '--set', `${TASK},50,${VARIABLE},${min50},${dragged}`);
  await expect(rate).toHaveText(shown(afterDrag.stats.pass_rate));

  // The strides and boxes as a figure for a paper: an SVG next to the dataset, its numbers beside it.
  await view.locator('[data-locolens="export-figure"]').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('[data-locolens="figure-format"]').selectOption('svg');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  const exported = view.locator('[data-locolens="export-done"]');
  await expect(exported).toContainText('.svg', { timeout: 60000 });
  const svgPath = (await exported.locator('[data-locolens="export-path"]').first().textContent())!;
  const svg = readFileSync(join(DATA, svgPath), 'utf8');
  expect(svg).toContain('Gait cycle (%)');
  // The four range boxes at the checked phases are in the figure.
  expect((svg.match(/class="shapelayer"/g) ?? []).length).toBeGreaterThan(0);

  // Suggest this task's ranges from the data: the bound equals numpy's 97.5th percentile.
  await view.locator('[data-locolens="suggest-method"]').selectOption('percentile_95');
  await view.locator('[data-locolens="suggest"]').click();
  const numpy = oracle('suggest', join(DATA, FILE), TASK, '75', VARIABLE);
  await expect
    .poll(async () => Number(await view.locator('[data-locolens="bound-max"][data-phase="75"]').inputValue()))
    .toBeCloseTo(numpy.percentile_95[1], 10);

  // Save the ranges: PyYAML reads the bound shown.
  const saved = `${FOLDER}/tuned_ranges.yaml`;
  await view.locator('[data-locolens="save-ranges"]').click();
  await page.locator('.jp-Dialog input').fill(saved);
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(view.locator('[data-locolens="ranges-saved"]')).toBeVisible();
  const python = oracle('yaml', join(DATA, saved));
  expect(python[TASK]['75'][VARIABLE][1]).toBeCloseTo(numpy.percentile_95[1], 12);
  const tuned = oracle('validate', join(DATA, FILE), join(DATA, saved));
  await expect(rate).toHaveText(shown(tuned.stats.pass_rate));

  // The clean file: pandas reads the rows LocoHub's cleaner keeps with the saved ranges.
  await view.locator('[data-locolens="export-clean"]').click();
  await expect(page.locator('.jp-Dialog input')).toHaveValue(`${FOLDER}/gait_phase_clean.parquet`);
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(view.locator('[data-locolens="clean-done"]')).toBeVisible({ timeout: 60000 });
  const clean = oracle('clean', join(DATA, FILE), join(DATA, saved), join(DATA, FOLDER, 'gait_phase_clean.parquet'));
  expect(clean.equal).toBe(true);
  expect(clean.rows).toBe(24600 - tuned.stats.total_failing_strides * 150);
  expect(existsSync(join(DATA, FOLDER, 'gait_phase_clean_report.json'))).toBe(true);
  expect(existsSync(join(DATA, FOLDER, 'gait_phase_clean.parquet.uploading'))).toBe(false);
});

test('10,000 strides without a ranges file: ranges suggested for every task, an edit re-checked, the clean file uploaded in chunks', async ({
  page
}, testInfo) => {
  const large = `${FOLDER}/ten_thousand_cycles.parquet`;
  copyFileSync(join(DATA, 'large', 'ten_thousand_cycles.parquet'), join(DATA, large));
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:validate', args)), { path: large });
  const view = page.locator('.locolens-validation');
  await expect(view.locator('[data-locolens="loading"]')).toContainText('ranges YAML');
  await view.locator('[data-locolens="suggest-method"]').selectOption('iqr_expansion');
  await view.locator('[data-locolens="suggest"]').click();
  const rate = view.locator('[data-locolens="stride-pass-rate"]');
  await expect(rate).toBeVisible({ timeout: 120000 });
  await expect(view.locator('[data-locolens="validation-tasks"] tr[data-task="run"] td').nth(1)).toHaveText('10000');
  // Suggested at LocoHub's default phases, every feature: numpy's quartiles of the same samples.
  const numpy = oracle('suggest', join(DATA, large), 'run', '65', 'knee_flexion_angle_ipsi_rad');
  await view.locator('[data-locolens="tuner-variable"]').selectOption('knee_flexion_angle_ipsi_rad');
  await expect
    .poll(async () => Number(await view.locator('[data-locolens="bound-min"][data-phase="65"]').inputValue()))
    .toBeCloseTo(numpy.iqr_expansion[0], 10);
  const bound = view.locator('[data-locolens="bound-max"][data-phase="65"]');
  const tighter = numpy.iqr_expansion[0] + (numpy.iqr_expansion[1] - numpy.iqr_expansion[0]) * 0.6;
  await bound.fill(String(tighter));
  await bound.press('Enter');
  await expect(view.locator('[data-locolens="edit-ms"]')).toContainText(/re-checked in [\d.]+ ms/);
  testInfo.annotations.push({
    type: 'edit of 10,000 strides',
    description: (await view.locator('[data-locolens="edit-ms"]').textContent()) ?? ''
  });
  const saved = `${FOLDER}/ten_thousand_ranges.yaml`;
  await view.locator('[data-locolens="save-ranges"]').click();
  await page.locator('.jp-Dialog input').fill(saved);
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(view.locator('[data-locolens="ranges-saved"]')).toBeVisible();
  const expected = oracle('validate', join(DATA, large), join(DATA, saved));
  await expect(rate).toHaveText(shown(expected.stats.pass_rate));
  expect(expected.stats.total_failing_strides).toBeGreaterThan(1000);

  await view.locator('[data-locolens="export-clean"]').click();
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(view.locator('[data-locolens="clean-done"]')).toBeVisible({ timeout: 120000 });
  const clean = oracle('clean', join(DATA, large), join(DATA, saved), join(DATA, FOLDER, 'ten_thousand_cycles_clean.parquet'));
  expect(clean.equal).toBe(true);
  expect(clean.rows).toBe((10000 - expected.stats.total_failing_strides) * 150);
});

test('hostile text in a ranges file stays text; a missing or malformed file is one line naming where', async ({ page }) => {
  const hostile = `${FOLDER}/hostile.yaml`;
  execFileSync(PYTHON, [
    '-c',
    `open(${JSON.stringify(join(DATA, hostile))}, 'w').write("tasks:\\n  level_walking:\\n    phases:\\n      '<img src=x onerror=alert(1)>':\\n        knee_flexion_angle_ipsi_rad: {min: 0.05, max: 0.3}\\n")`
  ]);
  let dialogs = 0;
  page.on('dialog', dialog => {
    dialogs++;
    void dialog.dismiss();
  });
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:validate', args)), {
    path: FILE,
    ranges: hostile
  });
  const view = page.locator('.locolens-validation').last();
  const error = view.locator('[data-locolens="error"]');
  await expect(error).toHaveText('hostile.yaml, line 4: phase "<img src=x onerror=alert(1)>" of task level_walking is not a number', {
    timeout: 60000
  });
  await expect(view.locator('img')).toHaveCount(0);
  await view.locator('[data-locolens="ranges-path"]').fill(`${FOLDER}/missing.yaml`);
  await view.locator('[data-locolens="load-ranges"]').click();
  await expect(error).toContainText('missing.yaml: cannot be read');
  copyFileSync(join(ROOT, 'test', 'validation-ranges', 'malformed_phase.yaml'), join(DATA, FOLDER, 'malformed_phase.yaml'));
  await view.locator('[data-locolens="ranges-path"]').fill(`${FOLDER}/malformed_phase.yaml`);
  await view.locator('[data-locolens="load-ranges"]').click();
  await expect(error).toHaveText('malformed_phase.yaml, line 7: phase "abc" of task level_walking is not a number');
  expect(dialogs).toBe(0);
});
