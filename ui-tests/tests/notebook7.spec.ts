/**
 * locolens.analyze() in Notebook 7 (the same extension, the same comm target): the output draws,
 * `a.wait()` inside a running cell gets the browser's results, and a threshold set from Python
 * comes back. Plain Playwright: Galata's fixtures drive JupyterLab only.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test } from '@playwright/test';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const NOTEBOOK = `http://localhost:${process.env.LOCOLENS_NOTEBOOK_PORT || '8898'}`;

test('analyze works in Notebook 7: the plot, a.wait() in a running cell, a threshold from Python', async ({ browser }) => {
  const folder = join(DATA, 'notebook7');
  mkdirSync(folder, { recursive: true });
  copyFileSync(join(DATA, 'fixtures', 'multi_rowgroup.parquet'), join(folder, 'walk.parquet'));
  const cell = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source });
  writeFileSync(
    join(folder, 'analyze.ipynb'),
    JSON.stringify({
      cells: [
        cell("import locolens\na = locolens.analyze('walk.parquet', task='level_walking', subject='UM21_AB02', nan='ignore')"),
        cell(
          "a.wait(timeout=60)\nprint('first', a.engine, len(a.features))\na.threshold = 1.0\na.wait(timeout=60)\nprint('then', len(a.outliers), int(a.features['outlier'].sum()))"
        )
      ],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } },
      nbformat: 4,
      nbformat_minor: 5
    })
  );
  const page = await browser.newPage();
  await page.goto(`${NOTEBOOK}/notebooks/notebook7/analyze.ipynb`);
  await page.locator('.jp-Notebook .jp-Cell').first().waitFor({ timeout: 60000 });
  // Wait for the kernel before running (Notebook 7 shows its state in the toolbar).
  await expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).toHaveCount(1, { timeout: 60000 });
  // The first cell may be run before the kernel's session is connected, when nothing happens:
  // run it until its prompt shows it ran (a kernel starting, not locolens).
  const prompt = page.locator('.jp-Cell').first().locator('.jp-InputPrompt');
  for (let attempt = 0; ; attempt++) {
    await page.locator('.jp-Cell').first().click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Shift+Enter');
    try {
      await expect(prompt).toHaveText(/\[(\*|\d+)\]/, { timeout: 15000 });
      break;
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
    }
  }
  const output = page.locator('.locolens-output').first();
  await expect(output.locator('[data-locolens="plot"][data-drawn]')).toBeVisible({ timeout: 60000 });
  await expect(output.locator('[data-locolens="cycle-plot"][data-drawn]')).toBeVisible();
  await page.locator('.jp-Cell').nth(1).click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Shift+Enter');
  const text = page.locator('.jp-Cell').nth(1).locator('.jp-OutputArea-output');
  await expect(text).toContainText(/first browser 20/, { timeout: 90000 });
  const then = /then (\d+) (\d+)/.exec((await text.innerText()) ?? '');
  expect(then).not.toBeNull();
  expect(then![1]).toBe(then![2]);
  await expect(output.locator('[data-locolens="strip"]')).toHaveAttribute('data-outliers', then![1]);
  await page.close();
});
