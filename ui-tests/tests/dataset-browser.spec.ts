/**
 * The dataset browser and parquet documents in a real JupyterLab, with the prebuilt extension:
 * the decode worker and parquet-wasm's .wasm load from the extension's static files, and the
 * numbers shown equal what pyarrow reads from the same file.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const DEMO = 'locolens_demo_phase.parquet';
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(__dirname, '..', '..', '.venv', 'bin', 'python');

function pyarrowFacts(name: string): {
  rows: number;
  row_groups: number;
  subjects: number;
  tasks: number;
  variables: number;
  cycles: number;
} {
  return JSON.parse(execFileSync(PYTHON, [join(__dirname, '..', 'expected.py'), join(DATA, name)], { encoding: 'utf8' }));
}

test.use({ autoGoto: true });

test.describe('dataset browser', () => {
  test('lists the parquet files and shows the demo summary with pyarrow’s numbers', async ({ page }, testInfo) => {
    const facts = pyarrowFacts(DEMO);
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));

    await page.getByRole('tab', { name: 'locolens datasets' }).click();
    const panel = page.locator('#locolens-dataset-browser');
    await expect(panel).toBeVisible();
    const demo = panel.locator(`.locolens-file[data-path="${DEMO}"]`);
    await expect(demo).toBeVisible();
    await expect(panel.locator('.locolens-file[data-path="fixtures/tiny_zstd.parquet"]')).toBeVisible();
    await expect(demo.locator('.locolens-file-size')).toHaveText(/1\d\d(\.\d)? MB/);

    await demo.click();
    const summary = panel.locator('.locolens-summary');
    await expect(summary.locator('[data-locolens="status"]')).toBeVisible({ timeout: 60000 });
    await expect(summary.locator('[data-locolens="rows"]')).toHaveText(facts.rows.toLocaleString('en-US'));
    await expect(summary.locator('[data-locolens="row-groups"]')).toHaveText(String(facts.row_groups));
    await expect(summary.locator('[data-locolens="total-cycles"]')).toHaveText(facts.cycles.toLocaleString('en-US'));
    await expect(summary.locator('[data-locolens="section-subjects"] summary')).toHaveText(`Subjects (${facts.subjects})`);
    await expect(summary.locator('[data-locolens="section-tasks"] summary')).toHaveText(`Tasks (${facts.tasks})`);
    await expect(summary.locator('[data-locolens="section-variables"] summary')).toHaveText(`Variables (${facts.variables})`);
    await expect(summary.locator('[data-locolens="tasks-table"] tbody tr')).toHaveCount(facts.tasks);
    await expect(summary.locator('[data-locolens="compression"]')).toHaveText('SNAPPY');
    // Only the footer and the key columns were fetched: a small part of the file.
    const read = await summary.locator('[data-locolens="bytes-read"]').textContent();
    const percent = Number(/\(([\d.]+) %\)/.exec(read ?? '')?.[1]);
    expect(percent).toBeLessThan(5);

    await summary.locator('[data-locolens="variable-grouping"]').selectOption('byMeasurement');
    await expect(summary.locator('.locolens-variable-group[data-group="angle"]')).toBeVisible();

    await summary.locator('[data-locolens="open-in-main-area"]').click();
    await expect(page.locator('.locolens-document [data-locolens="total-cycles"]')).toHaveText(facts.cycles.toLocaleString('en-US'));

    await testInfo.attach('dataset-browser', { body: await page.screenshot(), contentType: 'image/png' });
    await page.screenshot({ path: testInfo.outputPath('dataset-browser.png') });
    expect(errors).toEqual([]);
  });

  test('shows clear messages for bad files', async ({ page }) => {
    await page.getByRole('tab', { name: 'locolens datasets' }).click();
    const panel = page.locator('#locolens-dataset-browser');
    const cases: Array<[string, RegExp]> = [
      ['fixtures/random_bytes.parquet', /not a parquet file \(no PAR1 header\)/],
      ['fixtures/empty.parquet', /the file is empty \(0 bytes\)/],
      ['fixtures/truncated.parquet', /truncated or damaged/]
    ];
    for (const [path, message] of cases) {
      await panel.locator(`.locolens-file[data-path="${path}"]`).click();
      await expect(panel.locator('.locolens-summary [role="alert"]')).toHaveText(message);
    }
    await panel.locator('.locolens-file[data-path="fixtures/no_required_columns.parquet"]').click();
    await expect(panel.locator('[data-locolens="status"]')).toHaveText('does not conform');
    await expect(panel.locator('.locolens-finding[data-code="missing-subject"]')).toBeVisible();
    await panel.locator('.locolens-file[data-path="fixtures/legacy_names.parquet"]').click();
    await expect(panel.locator('.locolens-finding[data-code="legacy-name"]').first()).toContainText('the standard name is');
  });

  test('counts NaN values on request', async ({ page }) => {
    await page.getByRole('tab', { name: 'locolens datasets' }).click();
    const panel = page.locator('#locolens-dataset-browser');
    await panel.locator('.locolens-file[data-path="fixtures/with_nans.parquet"]').click();
    await panel.locator('[data-locolens="scan-values"]').click();
    await expect(panel.locator('.locolens-note')).toHaveText('Missing values counted by decoding every variable column.');
    const facts = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          'import sys,pyarrow.parquet as pq,numpy as np;t=pq.read_table(sys.argv[1]);print(sum(int(np.isnan(t[c].to_numpy(zero_copy_only=False).astype(float)).sum()) for c in t.column_names if c.endswith(("_rad","_rad_s","_Nm_kg","_BW"))))',
          join(DATA, 'fixtures/with_nans.parquet')
        ],
        { encoding: 'utf8' }
      )
    );
    const counts = await panel.locator('.locolens-finding[data-code="missing-values"]').allTextContents();
    const total = counts.reduce((sum, text) => sum + Number(/: (\d+) missing/.exec(text)?.[1] ?? 0), 0);
    expect(total).toBe(facts);
  });
});

test.describe('parquet documents', () => {
  test('double-clicking a parquet file in the file browser opens its summary', async ({ page }) => {
    const facts = pyarrowFacts(DEMO);
    const contentRequests: string[] = [];
    page.on('request', request => {
      const url = request.url();
      if (new RegExp(`/api/contents/${DEMO}(\\?|$)`).test(url) && !/[?&]content=0/.test(url)) {
        contentRequests.push(url);
      }
    });
    await page.filebrowser.openHomeDirectory();
    await page.getByRole('listitem', { name: new RegExp(`^Name: ${DEMO.replace(/\./g, '\\.')}`) }).dblclick();
    const document = page.locator('.locolens-document');
    await expect(document).toBeVisible();
    await expect(document.locator('[data-locolens="total-cycles"]')).toHaveText(facts.cycles.toLocaleString('en-US'), { timeout: 60000 });
    await expect(page.getByRole('tab', { name: DEMO })).toBeVisible();
    // The document model never loads the file through the Contents API (base64 of 100 MB).
    expect(contentRequests).toEqual([]);
  });

  test('"Open With → locolens" is offered for parquet files', async ({ page }) => {
    await page.filebrowser.openHomeDirectory();
    await page.getByRole('listitem', { name: new RegExp(`^Name: ${DEMO.replace(/\./g, '\\.')}`) }).click({ button: 'right' });
    await page.locator('.lm-Menu-item', { hasText: 'Open With' }).hover();
    await page.getByRole('menuitem', { name: 'locolens', exact: true }).click();
    await expect(page.locator('.locolens-document [data-locolens="status"]')).toBeVisible({ timeout: 60000 });
  });
});

test.describe('browser cache', () => {
  test('after a page reload the summary comes from the cache, with the same numbers', async ({ page }) => {
    const facts = pyarrowFacts(DEMO);
    const open = async () => {
      const panel = page.locator('#locolens-dataset-browser');
      // A reload restores the panel open; a click on its tab would close it.
      if (!(await panel.isVisible())) {
        await page.getByRole('tab', { name: 'locolens datasets' }).click();
      }
      await panel.locator(`.locolens-file[data-path="${DEMO}"]`).click();
      await expect(panel.locator('[data-locolens="total-cycles"]')).toHaveText(facts.cycles.toLocaleString('en-US'), { timeout: 60000 });
      return panel;
    };
    let panel = await open();
    await expect(panel.locator('[data-locolens="bytes-read"]')).not.toContainText('cache');
    await page.reload();
    panel = await open();
    await expect(panel.locator('[data-locolens="bytes-read"]')).toContainText('from the browser cache');
    await expect(panel.locator('[data-locolens="rows"]')).toHaveText(facts.rows.toLocaleString('en-US'));
    // Clearing the cache: the next look reads the file again.
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('locolens:clear-cache'));
    await page.reload();
    panel = await open();
    await expect(panel.locator('[data-locolens="bytes-read"]')).not.toContainText('cache');
  });
});
