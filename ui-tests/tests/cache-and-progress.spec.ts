/**
 * Browser caches and long work in a real JupyterLab: an analysis rerun after a page reload is
 * a cache hit with identical numbers (its cycles read from the OPFS tensor store), and a slow
 * analysis shows progress in the view and the status bar and can be cancelled, caching nothing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const DEMO = 'locolens_demo_phase.parquet';
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');

// After a reload the workspace reopens the analysis instead of the Launcher: ready is when the
// splash screen is gone.
test.use({
  waitForApplication: async ({}, use) => {
    await use(async page => {
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    });
  }
});

async function cacheSection(page: IJupyterLabPageFixture) {
  const panel = page.locator('#locolens-dataset-browser');
  // A reload restores the panel open; a click on its tab would close it.
  if (!(await panel.isVisible())) {
    await page.getByRole('tab', { name: 'locolens datasets' }).click();
  }
  return panel.locator('[data-locolens="cache-section"]');
}

/** The first rows of the per-cycle table, as text. */
async function tableRows(page: IJupyterLabPageFixture): Promise<string[]> {
  const view = page.locator('.locolens-analysis');
  await view.locator('.locolens-tab[data-tab="table"]').click();
  const rows = view.locator('[data-locolens="per-cycle-table"] tbody tr');
  await expect(rows.first()).toBeVisible();
  return (await rows.allInnerTexts()).slice(0, 20);
}

test('an analysis rerun after a page reload comes from the cache, with identical numbers', async ({ page }) => {
  const expected = JSON.parse(
    execFileSync(PYTHON, [join(__dirname, '..', 'expected_outliers.py'), join(DATA, DEMO)], { encoding: 'utf8' })
  );
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(error.message));
  const request = { path: DEMO, task: expected.task, subject: expected.subject };
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), request);
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(`${expected.cycles} cycles`, { timeout: 90000 });
  await expect(view.locator('[data-locolens="from-cache"]')).toHaveCount(0);
  await expect(page.locator('[data-locolens="activity-text"]')).toContainText(/locolens: \d+ cycles in \d+ ms$/);
  const before = await tableRows(page);
  const section = await cacheSection(page);
  await expect(section.locator('[data-locolens="cache-tensors"]')).not.toHaveText(/^0 blocks/);
  await expect(section.locator('[data-locolens="storage-estimate"]')).toContainText(' of ');

  // The layout restorer reopens the view after the reload, which runs the analysis again.
  await page.reload();
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(`${expected.cycles} cycles`, { timeout: 90000 });
  await expect(view.locator('[data-locolens="from-cache"]')).toHaveText(' · from the browser cache');
  await expect(page.locator('[data-locolens="activity-text"]')).toContainText('(cache)');
  expect(await tableRows(page)).toEqual(before);
  // Every cycle is drawn again: the tensors came back from OPFS, not from parquet.
  await view.locator('.locolens-tab[data-tab="patterns"]').click();
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 60000 });
  const drawn = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => {
    const runs = (trace: any) => trace.y.filter((y: number | null, i: number) => y !== null && (i === 0 || trace.y[i - 1] === null)).length;
    return ['cycles', 'invalid', 'outliers'].reduce(
      (sum, name) => sum + runs(plot.data.find((trace: any) => trace.name.startsWith(name))),
      0
    );
  });
  expect(drawn).toBe(expected.cycles);
  const reloaded = await cacheSection(page);
  await expect(reloaded.locator('[data-locolens="cache-hits"]')).toHaveText(/^[1-9]\d* \/ \d+ \(hit rate \d+ %\)$/);

  // Clear cache: the entries and the stored tensors are gone.
  await reloaded.locator('[data-locolens="clear-cache"]').click();
  await expect(reloaded.locator('[data-locolens="cache-entries"]')).toHaveText(/^0 entries/);
  await expect(reloaded.locator('[data-locolens="cache-tensors"]')).toHaveText(/^0 blocks/);
  expect(errors).toEqual([]);
});

test('a slow analysis shows progress and can be cancelled; nothing is cached', async ({ page }) => {
  const file = 'large/ten_thousand_cycles.parquet';
  // Slow every read of the file down so the run lasts long enough to be watched.
  await page.context().route(`**/files/${file}*`, async route => {
    await new Promise(resolve => setTimeout(resolve, 400));
    await route.continue();
  });
  await page.evaluate(
    async path => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', { path, task: 'run' })),
    file
  );
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="progress-details"]')).toContainText(/row groups \d+\/\d+ · .* read · cycles/, {
    timeout: 120000
  });
  await expect(page.locator('[data-locolens="activity-text"]')).toContainText(/locolens: decode \d+ %/);
  await view.locator('[data-locolens="cancel"]').click();
  await expect(view.locator('[data-locolens="error"]')).toHaveText(/Analysis cancelled/);
  await expect(page.locator('[data-locolens="activity-text"]')).toHaveText('locolens: analysis cancelled');
  const section = await cacheSection(page);
  // The summary is cached, the cancelled analysis is not (its stored tensors are removed).
  await expect(section.locator('[data-locolens="cache-entries"]')).toHaveText(/^1 entries/);
  await expect(section.locator('[data-locolens="cache-tensors"]')).toHaveText(/^0 blocks/);

  // Run again at full speed: it completes, and the workers are not stuck.
  await page.context().unroute(`**/files/${file}*`);
  await view.locator('[data-locolens="rerun"]').click();
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 120000 });
  await expect(section.locator('[data-locolens="cache-entries"]')).toHaveText(/^2 entries/);
});

test('under a small memory budget the analysis streams, and its cycles are drawn from OPFS', async ({ page }) => {
  const save = (raw: string) =>
    page.evaluate(async text => {
      await (window as any).jupyterapp.serviceManager.settings.save('locolens:datasets', text);
    }, raw);
  await save(JSON.stringify({ memoryBudgetMegabytes: 16 }));
  try {
    await page.reload();
    const file = 'large/ten_thousand_cycles.parquet';
    await page.evaluate(
      async path => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', { path, task: 'run' })),
      file
    );
    const view = page.locator('.locolens-analysis');
    await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 120000 });
    await expect(view.locator('[data-locolens="streamed"]')).toContainText(/^Streamed under the 16.8 MB memory budget/);
    await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 120000 });
    // The ordinary cycles are a density again: one feature's cycles came back from the store.
    const density = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => {
      const trace = plot.data.find((t: any) => t.type === 'heatmap');
      return trace
        ? trace.z[0].map((_: unknown, p: number) => trace.z.reduce((sum: number, row: Array<number | null>) => sum + (row[p] ?? 0), 0))[0]
        : null;
    });
    const outliers = Number((await view.locator('[data-locolens="outlier-count"]').textContent())!.split(' ')[0]);
    expect(density).toBe(10000 - outliers);
  } finally {
    await save('{}');
  }
});
