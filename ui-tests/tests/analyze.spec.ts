/**
 * locolens.analyze() in a real notebook: the browser computes, the kernel gets pandas DataFrames
 * (equal to numpy's per-cycle features, computed in the same kernel), a threshold set from Python
 * changes the outliers in Python and in the drawn output, a box selection in the cycle plot arrives
 * as `a.selected`, and re-executing a cell ten times leaves one analysis running, not ten.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import { newNotebook, waitForApplication } from './notebooks';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const MIME = 'application/vnd.locolens.v1+json';

test.use({ waitForApplication });

/** Run a cell's code and return its text output. */
async function run(page: IJupyterLabPageFixture, index: number, code: string): Promise<string> {
  // Running the last cell adds an empty one below it: fill that one, or add a cell.
  if (index < (await page.notebook.getCellCount())) {
    await page.notebook.setCell(index, 'code', code);
  } else {
    await page.notebook.addCell('code', code);
  }
  await page.notebook.runCell(index);
  return (await page.notebook.getCellTextOutput(index))?.join('\n') ?? '';
}

const NUMPY = `
import numpy as np, pyarrow.parquet as pq
t = pq.read_table('walk.parquet')
rows = (np.array(t['subject'].to_pylist()) == a.subject) & (np.array(t['task'].to_pylist()) == a.task)
names = list(a.meta['features'])
# The engine analyses float32 samples, in float64 arithmetic.
cyc = np.stack([t[n].to_numpy(zero_copy_only=False).astype(np.float32)[rows] for n in names], axis=1).astype(np.float64).reshape(-1, 150, len(names))
worst = 0.0
for i, n in enumerate(names):
    x = cyc[:, :, i]
    for stat, ref in (('mean', np.nanmean(x, 1)), ('std', np.nanstd(x, 1)), ('min', np.nanmin(x, 1)), ('max', np.nanmax(x, 1)), ('rom', np.nanmax(x, 1) - np.nanmin(x, 1))):
        worst = max(worst, float(np.nanmax(np.abs(a.features[f'{n}__{stat}'].to_numpy() - ref))))
rmse = np.sqrt(np.nanmean((cyc - np.nanmean(cyc, 0)) ** 2, axis=(1, 2)))
print('cycles', len(a.features), cyc.shape[0])
print('worst', worst < 1e-5, worst)
print('rmse', np.allclose(a.features['rmse'].to_numpy(), rmse, rtol=1e-6, atol=1e-9))
print('dtypes', a.features['cycle'].dtype, a.features['outlier'].dtype)
`;

test('analyze: DataFrames from the browser equal numpy, the threshold and a selection go both ways', async ({
  page,
  tmpPath
}, testInfo) => {
  await newNotebook(page, `${tmpPath}/analyze.ipynb`);
  await run(
    page,
    0,
    [
      'import shutil, locolens',
      "shutil.copy('../fixtures/multi_rowgroup.parquet', 'walk.parquet')",
      "a = locolens.analyze('walk.parquet', task='level_walking', subject='UM21_AB02', nan='ignore')"
    ].join('\n')
  );
  const output = page.locator('.locolens-output').first();
  await expect(output.locator('[data-locolens="plot"][data-drawn]')).toBeVisible({ timeout: 90000 });
  await expect(output.locator('[data-locolens="cycle-plot"][data-drawn]')).toBeVisible();

  expect(await run(page, 1, 'a.wait(timeout=60)\nprint(a.engine, len(a.features), a.ready)')).toMatch(/^browser \d+ True/);
  // One line: the editor would indent a typed block on its own.
  const compared = await run(page, 2, `exec(${JSON.stringify(NUMPY)})`);
  const cycles = /cycles (\d+) (\d+)/.exec(compared)!;
  expect(cycles[1]).toBe(cycles[2]);
  expect(compared).toContain('worst True');
  expect(compared).toContain('rmse True');
  expect(compared).toContain('dtypes int32 bool');

  // A threshold set from Python: the kernel's outliers and the drawn ones follow.
  const threshold = await run(
    page,
    3,
    [
      'a.threshold = 1.0',
      'a.wait(timeout=60)',
      'expected = int((rmse > rmse.mean() + 1.0 * rmse.std()).sum())',
      "print('outliers', len(a.outliers), expected, list(a.outliers['cycle']) == list(a.features.loc[a.features['outlier'], 'cycle']))"
    ].join('\n')
  );
  const outliers = /outliers (\d+) (\d+) True/.exec(threshold)!;
  expect(outliers).not.toBeNull();
  expect(outliers[1]).toBe(outliers[2]);
  await expect(output.locator('[data-locolens="strip"]')).toHaveAttribute('data-outliers', outliers[1]);
  await expect(output.locator('[data-locolens="strip"]')).toContainText('(k = 1)');

  // A box over the whole cycle plot selects every cycle drawn; the kernel gets them as a.selected.
  const callbacks = await run(page, 4, "seen = []\na.on_select(lambda df: seen.append(len(df)))\nprint('registered')");
  expect(callbacks).toContain('registered');
  const drag = output.locator('[data-locolens="cycle-plot"] .nsewdrag').first();
  await drag.scrollIntoViewIfNeeded();
  const box = (await drag.boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + box.width - 2, box.y + box.height - 2, { steps: 5 });
  await page.mouse.up();
  await expect(output.locator('[data-locolens="cycle-plot"]')).toHaveAttribute('data-selected', cycles[1]);
  await output.screenshot({ path: testInfo.outputPath('analyze-output.png') });
  const selected = await run(
    page,
    5,
    "print('selected', len(a.selected), seen[-1] if seen else None, sorted(a.selected.index) == list(range(len(a.features))))"
  );
  expect(selected).toContain(`selected ${cycles[1]} ${cycles[1]} True`);

  // The headless path (the CLI through Node) gives the browser's numbers.
  const headless = await run(
    page,
    6,
    [
      "h = locolens.analyze('walk.parquet', task='level_walking', subject='UM21_AB02', nan='ignore', threshold=1.0, engine='node').wait(timeout=120)",
      "num = [c for c in a.features.columns if a.features[c].dtype.kind == 'f']",
      'same = lambda x, y: bool(np.allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=0, equal_nan=True))',
      "print('headless', h.engine, same(h.features[num], a.features[num]), same(h.summary, a.summary), same(h.correlations, a.correlations), same(h.patterns, a.patterns), list(h.outliers['cycle']) == list(a.outliers['cycle']))"
    ].join('\n')
  );
  expect(headless).toContain('headless node True True True True True');

  // Saved with the notebook: the results at the threshold set from Python, for readers without a kernel.
  await page.notebook.save();
  const saved = JSON.parse(readFileSync(join(DATA, tmpPath, 'analyze.ipynb'), 'utf8'));
  const data = saved.cells[0].outputs.find((o: any) => o.data?.[MIME]).data;
  expect(data[MIME].live.id).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(data[MIME].options.threshold).toBe(1);
  expect(data[MIME].results.outliers.cycles.length).toBe(Number(outliers[1]));
  expect(data['image/png'].length).toBeGreaterThan(1000);
});

test('re-executing an analyze cell ten times leaves one analysis running, not ten', async ({ page, tmpPath }) => {
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('locolens:clear-cache'));
  await newNotebook(page, `${tmpPath}/rerun.ipynb`);
  await run(page, 0, 'import locolens');
  // Count the analyses running at once, from the status bar's record of them.
  await page.evaluate(() => {
    const item = document.querySelector('[data-locolens="activity-status"]') as HTMLElement;
    (window as any).locolensMaxRunning = 0;
    new MutationObserver(records => {
      for (const record of records) {
        (window as any).locolensMaxRunning = Math.max((window as any).locolensMaxRunning, Number(record.oldValue ?? 0));
      }
      (window as any).locolensMaxRunning = Math.max((window as any).locolensMaxRunning, Number(item.dataset.running ?? 0));
    }).observe(item, { attributes: true, attributeOldValue: true, attributeFilter: ['data-running'] });
  });
  // Each execution asks for another threshold, so that no run is served from the cache.
  await page.notebook.setCell(
    1,
    'code',
    "n = globals().get('n', 0) + 1\nb = locolens.analyze('../large/ten_thousand_cycles.parquet', task='run', threshold=2 + n / 100)"
  );
  await page.notebook.selectCells(1);
  await page.keyboard.press('Escape');
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Control+Enter');
    await page.waitForTimeout(150);
  }
  const output = page.locator('.locolens-output').first();
  await expect(output.locator('[data-locolens="plot"][data-drawn]')).toBeVisible({ timeout: 120000 });
  await expect(page.locator('[data-locolens="activity-status"]')).toHaveAttribute('data-running', '0');
  // Each re-execution cancels the run of the output it replaces: one run ends done, nine cancelled
  // (a cancel lands when the worker's current step ends, so a few overlap for a moment).
  const status = page.locator('[data-locolens="activity-status"]');
  await expect(status).toHaveAttribute('data-done', '1');
  const cancelled = Number(await status.getAttribute('data-cancelled'));
  expect(cancelled).toBeGreaterThanOrEqual(1);
  expect(cancelled).toBeLessThanOrEqual(9);
  const maxRunning = await page.evaluate(() => (window as any).locolensMaxRunning);
  expect(maxRunning).toBeGreaterThanOrEqual(1);
  expect(maxRunning).toBeLessThan(10);
  await expect(page.locator('.locolens-output')).toHaveCount(1);
  expect(await run(page, 2, "b.wait(timeout=120)\nprint('cycles', len(b.features))")).toContain('cycles 10000');
  expect(await run(page, 3, "print('threshold', b.threshold, n)")).toContain('threshold 2.1 10');
  // With its output cleared no view computes: a change from Python is answered 'cancelled' at
  // once, not left to wait.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('notebook:clear-all-cell-outputs'));
  await expect(page.locator('.locolens-output')).toHaveCount(0);
  const cleared = await run(
    page,
    4,
    `exec(${JSON.stringify("try:\n    b.threshold = 3\n    b.wait(timeout=30)\n    print('answered: results')\nexcept Exception as error:\n    print('answered:', type(error).__name__, 'cancelled' in str(error))")})`
  );
  expect(cleared).toContain('answered: LocolensError True');
  // A change made in the same cell, before the output is drawn, waits for it and is answered.
  const early = await run(
    page,
    5,
    "c = locolens.analyze('../fixtures/multi_rowgroup.parquet', task='level_walking', nan='ignore'); c.threshold = 1.5; c.wait(timeout=60); print('early', c.engine, c.meta['threshold'], int(c.features['outlier'].sum()) == len(c.outliers))"
  );
  expect(early).toContain('early browser 1.5 True');
});
