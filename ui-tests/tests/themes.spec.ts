/**
 * Every locolens view in the light and the dark theme: the plots take the theme's background
 * and font colours (read from JupyterLab's CSS variables), and a screenshot of each view in each
 * theme lands in ui-tests/test-results for review.
 */
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

const DEMO = 'locolens_demo_phase.parquet';

test.use({ autoGoto: true });

/** The theme's layout background, as the plots must use it. */
function themeBackground(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim());
}

for (const theme of ['light', 'dark'] as const) {
  test(`every view in the ${theme} theme`, async ({ page }, testInfo) => {
    if (theme === 'dark') {
      await page.theme.setDarkTheme();
    } else {
      await page.theme.setLightTheme();
    }
    const background = await themeBackground(page);
    const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}-${theme}.png`) });

    await page.getByRole('tab', { name: 'locolens datasets' }).click();
    const panel = page.locator('#locolens-dataset-browser');
    await panel.locator(`.locolens-file[data-path="${DEMO}"]`).click();
    await expect(panel.locator('[data-locolens="tasks-table"] tbody tr').first()).toBeVisible({ timeout: 60000 });
    await shot('dataset-browser');

    await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
      path: DEMO,
      task: 'run'
    });
    const view = page.locator('.locolens-analysis');
    const plot = view.locator('[data-locolens="plot"]');
    for (const tab of ['patterns', 'rom', 'compare', 'population', 'correlation'] as const) {
      await view.locator(`[data-tab="${tab}"]`).click();
      await expect(view.locator(`[data-drawn="${tab}"]`)).toBeVisible({ timeout: 90000 });
      expect(await plot.evaluate((node: any) => node.layout.paper_bgcolor)).toBe(background);
      // Something is drawn (plotly's SVG or WebGL layers inside the box, with a size).
      expect(await plot.locator('.main-svg').first().isVisible()).toBe(true);
      expect((await plot.boundingBox())!.height).toBeGreaterThan(200);
      await shot(`analysis-${tab}`);
    }
    await view.locator('[data-tab="table"]').click();
    await expect(view.locator('[data-locolens="per-cycle-table"]')).toBeVisible();
    // No blank plot area above the table.
    await expect(plot).toBeHidden();
    await shot('analysis-table');

    await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:report', args)), { path: DEMO });
    await expect(page.locator('.locolens-report [data-locolens="report-table"] tbody tr').first()).toBeVisible({ timeout: 90000 });
    await shot('report');

    await page.evaluate(async () => void (await (window as any).jupyterapp.commands.execute('locolens:open-performance')));
    await expect(page.locator('[data-locolens="gauge-heap"]')).toBeVisible();
    await shot('gauges');
  });
}
