/**
 * locolens.show() in a real notebook: the output renders the plot, the saved notebook keeps the
 * results and a static fallback, the plot comes back from the saved results when the data file is
 * gone, nbconvert shows the fallback image, and nothing from a spec is run as HTML.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test } from '@jupyterlab/galata';

import { newNotebook, waitForApplication } from './notebooks';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const VENV = join(__dirname, '..', '..', '.venv', 'bin');
const PYTHON = process.env.LOCOLENS_PYTHON ?? join(VENV, 'python');
const MIME = 'application/vnd.locolens.v1+json';

test.use({ waitForApplication });

test('locolens.show renders, saves its results, and survives the data file going away', async ({ page, tmpPath }, testInfo) => {
  const expected = JSON.parse(
    execFileSync(PYTHON, [join(__dirname, '..', 'expected_outliers.py'), join(DATA, 'fixtures', 'multi_rowgroup.parquet')], {
      encoding: 'utf8'
    })
  );
  const name = 'show.ipynb';
  await newNotebook(page, `${tmpPath}/${name}`);
  await page.notebook.setCell(
    0,
    'code',
    `import shutil, locolens\nshutil.copy('../fixtures/multi_rowgroup.parquet', 'walk.parquet')\nlocolens.show('walk.parquet', task=${JSON.stringify(expected.task)}, subject=${JSON.stringify(expected.subject)})`
  );
  await page.notebook.runCell(0);
  const output = page.locator('.locolens-output').first();
  await expect(output.locator('[data-locolens="plot"][data-drawn]')).toBeVisible({ timeout: 90000 });
  await expect(output.locator('[data-locolens="strip"]')).toContainText(`${expected.cycles} cycles · ${expected.outliers.length} outliers`);
  // The renderer keeps its results in the output, then the notebook is saved.
  await expect(page.locator('.locolens-output[data-results-kept]')).toHaveCount(1);
  await page.notebook.save();

  // The saved notebook holds the spec with its results, a PNG and an HTML fallback.
  const saved = JSON.parse(readFileSync(join(DATA, tmpPath, name), 'utf8'));
  const data = saved.cells[0].outputs.find((o: any) => o.data?.[MIME]).data;
  expect(data[MIME].results.cycles).toBe(expected.cycles);
  expect(data[MIME].results.outliers.cycles).toEqual(expected.outliers);
  expect(data['image/png'].length).toBeGreaterThan(1000);
  const html = [data['text/html']].flat().join('');
  expect(html).toContain('data:image/png;base64,');

  // Without the data file and after a reload, the plot comes back from the saved results.
  await page.contents.deleteFile(`${tmpPath}/walk.parquet`);
  await page.reload();
  // The workspace reopens the notebook; open it when it did not (its tab may take a moment to
  // come back: opening it again meanwhile waits for a tab change that never comes).
  await page
    .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: name })
    .waitFor({ timeout: 15000 })
    .catch(() => undefined);
  if (!(await page.notebook.isOpen(name))) {
    await page.notebook.openByPath(`${tmpPath}/${name}`);
  }
  const again = page.locator('.locolens-output').first();
  await expect(again.locator('[data-locolens="saved"]')).toBeVisible({ timeout: 60000 });
  await expect(again.locator('[data-locolens="plot"][data-drawn]')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('notebook-saved.png') });

  // A viewer without the extension: nbconvert's HTML shows the fallback image.
  const converted = execFileSync(join(VENV, 'jupyter'), ['nbconvert', '--to', 'html', '--stdout', join(DATA, tmpPath, name)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024
  });
  expect(converted).toMatch(/<img alt="locolens patterns plot" src="data:image\/png;base64,/);
});

test('specs are data: bad ones give an error box, and names are never HTML', async ({ page, tmpPath }) => {
  const dialogs: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await newNotebook(page, `${tmpPath}/bad.ipynb`);
  const evil = '<img src=x onerror=alert(1)>';
  await page.notebook.setCell(
    0,
    'code',
    [
      'from IPython.display import display',
      `evil = ${JSON.stringify(evil)}`,
      `display({'${MIME}': {'version': 2, 'path': 'x.parquet', 'view': 'patterns', 'selection': {}, 'options': {}}}, raw=True)`,
      `display({'${MIME}': {'version': 1, 'path': evil + '.parquet', 'view': 'nope', 'selection': {}, 'options': {}}}, raw=True)`,
      `results = {'token': 't', 'computedAt': evil, 'locolensVersion': '0', 'file': {'path': evil, 'size': 1, 'lastModified': evil}, 'backend': evil, 'task': evil, 'subjects': [evil], 'cycles': 1, 'features': [evil], 'patterns': {evil: {'mean': [0.0]*150, 'std': [0.1]*150}}, 'outliers': {'cycles': [], 'cut': None, 'rmse': [0.0], 'cycleSubjects': [evil], 'cycleIndex': [0]}}`,
      `display({'${MIME}': {'version': 1, 'path': 'saved.parquet', 'view': 'patterns', 'selection': {'task': evil}, 'options': {}, 'results': results}}, raw=True)`,
      `display({'${MIME}': {'version': 1, 'path': '../../outside.parquet', 'view': 'dataset', 'selection': {}, 'options': {}}}, raw=True)`
    ].join('\n')
  );
  await page.notebook.runCell(0);
  const outputs = page.locator('.locolens-output');
  await expect(outputs).toHaveCount(4, { timeout: 60000 });
  await expect(outputs.nth(0).locator('[data-locolens="error"]')).toContainText('unsupported spec version 2');
  await expect(outputs.nth(1).locator('[data-locolens="error"]')).toContainText('/view must be equal to one of the allowed values');
  await expect(outputs.nth(2).locator('[data-locolens="saved"]')).toBeVisible();
  await expect(outputs.nth(2).locator('[data-locolens="plot"][data-drawn]')).toBeVisible();
  // The name is shown as text, in the feature list and the strip; no element came from it.
  await expect(outputs.nth(2).locator('[data-locolens="feature"] option')).toHaveText([evil]);
  await expect(outputs.nth(2).locator('[data-locolens="strip"]')).toContainText(evil);
  await expect(outputs.nth(3).locator('[data-locolens="error"]')).toContainText('leaves the server root');
  await expect(page.locator('.locolens-output img')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});
