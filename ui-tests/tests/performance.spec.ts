/**
 * The performance gauges in a real JupyterLab: live samples while an analysis runs, the last
 * run's stages (render included) as a plotly bar, the caches, and the JSON export in the CLI's
 * --profile format.
 */
import { readFileSync } from 'node:fs';

import { expect, test } from '@jupyterlab/galata';

test('the gauges follow an analysis and export its profile', async ({ page }) => {
  await page.evaluate(async () => void (await (window as any).jupyterapp.commands.execute('locolens:open-performance')));
  const panel = page.locator('#locolens-performance');
  await expect(panel).toBeVisible();
  await expect(panel.locator('[data-locolens="last-run"]')).toHaveText('No analysis yet.');
  await expect(panel.locator('[data-locolens="memory-note"]')).toContainText('not cross-origin isolated');

  const file = 'large/ten_thousand_cycles.parquet';
  await page.evaluate(
    async path => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', { path, task: 'run' })),
    file
  );
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 120000 });
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 120000 });

  // The status-bar text opens the panel; the last run and its stages are there.
  await page.locator('[data-locolens="activity-text"]').click();
  await expect(panel.locator('[data-locolens="last-run"]')).toContainText(/^10,000 cycles · \d+ ms · backend (workers|webgpu)/);
  await expect(panel.locator('[data-locolens="stage-plot"]')).toHaveAttribute('data-drawn', '4');
  const stages = await panel.locator('[data-locolens="stage-plot"]').evaluate((plot: any) => plot.data[0].y);
  expect(stages).toEqual(['summary', 'fetch + decode + reshape', 'kernels', 'render']);
  await expect(panel.locator('[data-locolens="gauge-workers-value"]')).toHaveText(/^\d+ of \d+$/);
  await expect(panel.locator('[data-locolens="gauge-heap-value"]')).toHaveText(/\d+(\.\d+)? MB$/);
  await expect(panel.locator('[data-locolens="perf-cache"]')).toContainText(/\d+ hits · \d+ misses/);
  const download = page.waitForEvent('download');
  await panel.locator('[data-locolens="export-profile"]').click();
  const profile = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
  expect(profile).toMatchObject({ schemaVersion: 1, tool: 'locolens', environment: 'browser' });
  expect(profile.stages.map((stage: { name: string }) => stage.name)).toEqual(stages);
  expect(profile.result.cycles).toBe(10000);
  // Samples were taken while it ran: bytes read rose, the workers were counted.
  expect(profile.samples.length).toBeGreaterThan(1);
  const read = profile.samples.map((sample: { bytesRead?: number }) => sample.bytesRead ?? 0);
  expect(Math.max(...read)).toBeGreaterThan(0);
  expect(profile.samples.every((sample: { workers?: number }) => (sample.workers ?? 0) >= 1)).toBe(true);
  // The stage plot as a PNG.
  const image = page.waitForEvent('download');
  await panel.locator('[data-locolens="export-png"]').click();
  const png = await image;
  expect(png.suggestedFilename()).toBe('locolens-stages.png');
  const bytes = readFileSync(await png.path());
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.length).toBeGreaterThan(2000);
});
