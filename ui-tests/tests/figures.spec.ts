/**
 * Publication figures in a real JupyterLab: "Export figure…" on the analysis view's plots writes a
 * PNG of the pixel size asked (mm × DPI), an SVG with the physical size and the phase axis title,
 * a vector PDF whose page is the figure's size, and beside each the CSV of the numbers drawn.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';

import { newNotebook, waitForApplication } from './notebooks';

const DATA = process.env.JUPYTERLAB_GALATA_ROOT_DIR ?? join(__dirname, '..', '.galata-data');
const DEMO = 'locolens_demo_phase.parquet';
const TASK = 'level_walking';
const SUBJECT = 'UM21_AB01';

test.use({ autoGoto: true });

/** Fill the dialog and export; returns the paths the footer names. */
async function exportFigure(
  page: IJupyterLabPageFixture,
  options: { format: string; width: number; height: number; dpi: number; style?: string },
  view = page.locator('.locolens-analysis'),
  button = 'export-figure'
): Promise<string[]> {
  await view.locator(`[data-locolens="${button}"]`).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('.jp-Dialog-header')).toHaveText('Export figure');
  await dialog.locator('[data-locolens="figure-format"]').selectOption(options.format);
  await dialog.locator('[data-locolens="figure-width"]').fill(String(options.width));
  await dialog.locator('[data-locolens="figure-height"]').fill(String(options.height));
  await dialog.locator('[data-locolens="figure-dpi"]').fill(String(options.dpi));
  await dialog.locator('[data-locolens="figure-style"]').selectOption(options.style ?? 'journal');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);
  const done = view.locator('[data-locolens="export-done"]');
  await expect(done).toContainText(`.${options.format}`, { timeout: 60000 });
  return done.locator('[data-locolens="export-path"]').allTextContents();
}

/** Parse CSV as the export writes it (RFC 4180 quoting). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += ch;
    }
  }
  return rows;
}

test('export the patterns as PNG, SVG and PDF with their numbers as CSV', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', error => errors.push(error.message));
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
    path: DEMO,
    task: TASK,
    subject: SUBJECT
  });
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 90000 });
  const variable = (await view.locator('[data-locolens="feature"] option:checked').textContent())!;
  const base = `${DEMO.replace('.parquet', '')}.${TASK}.${SUBJECT}.${variable}.patterns`;
  for (const ext of ['png', 'svg', 'pdf', 'csv']) {
    rmSync(join(DATA, `${base}.${ext}`), { force: true });
  }
  // What plotly drew: the mean and every cycle (null-separated runs).
  const drawn = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => {
    const mean = plot.data.find((trace: any) => trace.name === 'mean');
    const cycles = plot.data
      .filter((trace: any) => /^(cycles|invalid|outliers) /.test(trace.name))
      .flatMap((trace: any) => {
        const runs: number[][] = [];
        trace.y.forEach((y: number | null, i: number) => {
          if (trace.x[i] === null) {
            return;
          }
          if (i === 0 || trace.x[i - 1] === null) {
            runs.push([]);
          }
          runs[runs.length - 1].push(y === null ? NaN : y);
        });
        return runs;
      });
    return { x: Array.from(mean.x as number[]), mean: Array.from(mean.y as number[]), cycles };
  });
  expect(drawn.cycles.length).toBeGreaterThan(10);

  // PNG: 85 mm × 60 mm at 300 DPI is 1004 × 709 pixels (inches × DPI), as the header says.
  const pngPaths = await exportFigure(page, { format: 'png', width: 85, height: 60, dpi: 300 });
  expect(pngPaths).toEqual([`${base}.png`, `${base}.csv`]);
  const png = readFileSync(join(DATA, `${base}.png`));
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1004, 709]);
  // Decoded in the browser: white paper with black ink (axes, mean) on it.
  const pixels = await page.evaluate(
    async url => {
      const image = new Image();
      image.src = url;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
      let white = 0;
      let dark = 0;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        white += r > 250 && g > 250 && b > 250 ? 1 : 0;
        dark += r < 60 && g < 60 && b < 60 ? 1 : 0;
        coloured += Math.max(r, g, b) - Math.min(r, g, b) > 60 ? 1 : 0;
      }
      return { width: image.naturalWidth, height: image.naturalHeight, white, dark, coloured, total: data.length / 4 };
    },
    `data:image/png;base64,${png.toString('base64')}`
  );
  expect([pixels.width, pixels.height]).toEqual([1004, 709]);
  expect(pixels.white / pixels.total).toBeGreaterThan(0.5);
  expect(pixels.dark).toBeGreaterThan(2000);
  await testInfo.attach('figure.png', { body: png, contentType: 'image/png' });

  // The CSV beside it: the phase in %, every drawn cycle and the mean, numbers equal to the plot's.
  const rows = parseCsv(readFileSync(join(DATA, `${base}.csv`), 'utf8'));
  const header = rows[0];
  expect(rows).toHaveLength(151);
  expect(header[0]).toBe('Gait cycle (%)');
  const column = (name: string) => rows.slice(1).map(row => (row[header.indexOf(name)] === '' ? NaN : Number(row[header.indexOf(name)])));
  expect(column('Gait cycle (%)')).toEqual(drawn.x);
  expect(column('mean')).toEqual(drawn.mean.map(v => (v === null ? NaN : v)));
  const cycleColumns = header.filter(name => name.startsWith(`${SUBJECT} · ${TASK} · cycle `));
  expect(cycleColumns).toHaveLength(drawn.cycles.length);
  const csvCycles = cycleColumns.map(column);
  expect(new Set(csvCycles.map(c => JSON.stringify(c)))).toEqual(new Set(drawn.cycles.map(c => JSON.stringify(c))));
  expect(header).toContain('mean ± 1 SD (upper)');

  // SVG in grayscale: its physical size, the phase axis title, and only grays for ink.
  await exportFigure(page, { format: 'svg', width: 85, height: 60, dpi: 300, style: 'journal-grayscale' });
  const svg = readFileSync(join(DATA, `${base}.svg`), 'utf8');
  expect(svg).toMatch(/^(<\?xml[^>]*>\s*)?<svg\b/);
  expect(svg).toContain('Gait cycle (%)');
  expect(svg).toMatch(/<svg[^>]* width="85mm"/);
  expect(svg).toMatch(/<svg[^>]* height="60mm"/);
  // The viewBox is the layout, in half points.
  expect(svg).toMatch(/<svg[^>]* viewBox="0 0 481\.89 340\.157"/);
  expect(svg).not.toContain('<image');
  const strokes = [...svg.matchAll(/stroke: rgb\((\d+), (\d+), (\d+)\)/g)].map(m => m.slice(1, 4).map(Number));
  expect(strokes.length).toBeGreaterThan(0);
  for (const [r, g, b] of strokes) {
    expect(r === g && g === b).toBe(true);
  }

  // PDF: a page of the figure's size in points (85 mm = 240.94 pt), vector.
  await exportFigure(page, { format: 'pdf', width: 85, height: 60, dpi: 300 });
  const pdf = readFileSync(join(DATA, `${base}.pdf`));
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const box = /\/MediaBox \[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(pdf.toString('latin1'));
  expect(box).not.toBeNull();
  expect(Number(box![3]) - Number(box![1])).toBeCloseTo((85 / 25.4) * 72, 1);
  expect(Number(box![4]) - Number(box![2])).toBeCloseTo((60 / 25.4) * 72, 1);
  expect(pdf.toString('latin1')).toContain('/Helvetica');
  expect(pdf.length).toBeGreaterThan(5000);
  expect(existsSync(join(DATA, `${base}.csv`))).toBe(true);
  expect(errors).toEqual([]);
});

test('export the ROM boxes: one CSV row per cycle', async ({ page }) => {
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
    path: DEMO,
    task: TASK,
    subject: SUBJECT
  });
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(/\d+ cycles/, { timeout: 90000 });
  const cycles = parseInt((await view.locator('[data-locolens="cycle-count"]').textContent())!, 10);
  await view.locator('.locolens-tab[data-tab="rom"]').click();
  await expect(view.locator('[data-drawn="rom"]')).toBeVisible({ timeout: 60000 });
  const drawn = await view.locator('[data-locolens="plot"]').evaluate((plot: any) => Array.from(plot.data[0].y as number[]));
  const [figure, csv] = await exportFigure(page, { format: 'png', width: 60, height: 50, dpi: 600 });
  const png = readFileSync(join(DATA, figure));
  // 60 mm × 50 mm at 600 DPI: 1417 × 1181 pixels.
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1417, 1181]);
  const rows = parseCsv(readFileSync(join(DATA, csv), 'utf8'));
  expect(rows[0]).toEqual(['trace', 'label', 'Subject', expect.stringMatching(/^ROM of .+ \(.+\)$/)]);
  expect(rows).toHaveLength(cycles + 1);
  expect(rows.slice(1).map(row => Number(row[3]))).toEqual(drawn);
});

test('export the compared tasks as PDF, the correlation as SVG and the gauges’ stage plot', async ({ page }) => {
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), {
    path: DEMO,
    task: TASK,
    subject: SUBJECT
  });
  const view = page.locator('.locolens-analysis');
  await expect(view.locator('[data-drawn="patterns"]')).toBeVisible({ timeout: 90000 });
  const variable = (await view.locator('[data-locolens="feature"] option:checked').textContent())!;
  const features = await view.locator('[data-locolens="feature"] option').allTextContents();

  // Compare: one line per task of the subject; the CSV has the phase and one column per task.
  await view.locator('.locolens-tab[data-tab="compare"]').click();
  await expect(view.locator('[data-drawn="compare"]')).toBeVisible({ timeout: 90000 });
  const lines = await view
    .locator('[data-locolens="plot"]')
    .evaluate((plot: any) => plot.data.map((trace: any) => ({ name: trace.name as string, y: Array.from(trace.y as number[]) })));
  expect(lines.length).toBeGreaterThan(1);
  const [pdfPath, csvPath] = await exportFigure(page, { format: 'pdf', width: 174, height: 80, dpi: 300 });
  expect(pdfPath).toBe(`${DEMO.replace('.parquet', '')}.${TASK}.${SUBJECT}.${variable}.compare.pdf`);
  const pdf = readFileSync(join(DATA, pdfPath)).toString('latin1');
  expect(pdf.startsWith('%PDF-')).toBe(true);
  const box = /\/MediaBox \[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(pdf)!;
  expect(Number(box[3])).toBeCloseTo((174 / 25.4) * 72, 1);
  expect(Number(box[4])).toBeCloseTo((80 / 25.4) * 72, 1);
  const rows = parseCsv(readFileSync(join(DATA, csvPath), 'utf8'));
  expect(rows[0]).toEqual(['Gait cycle (%)', ...lines.map(line => line.name)]);
  for (const [k, line] of lines.entries()) {
    expect(rows.slice(1).map(row => (row[k + 1] === '' ? NaN : Number(row[k + 1])))).toEqual(line.y);
  }

  // Correlation: an SVG with the variables' names; the CSV a row per cell.
  await view.locator('.locolens-tab[data-tab="correlation"]').click();
  await expect(view.locator('[data-drawn="correlation"]')).toBeVisible({ timeout: 60000 });
  const [svgPath, cellsPath] = await exportFigure(page, { format: 'svg', width: 120, height: 120, dpi: 300 });
  const svg = readFileSync(join(DATA, svgPath), 'utf8');
  expect(svg).toMatch(/<svg[^>]* width="120mm"/);
  expect(features.some(name => svg.includes(`>${name}<`))).toBe(true);
  const cells = parseCsv(readFileSync(join(DATA, cellsPath), 'utf8'));
  expect(cells[0]).toEqual(['trace', 'x', 'y', 'z']);
  expect(cells).toHaveLength(features.length * features.length + 1);
  const diagonal = cells.slice(1).filter(row => row[1] === row[2] && row[3] !== '');
  expect(diagonal.length).toBeGreaterThan(0);
  for (const row of diagonal) {
    expect(Number(row[3])).toBeCloseTo(1, 6);
  }

  // The gauges' stage plot: no dataset, so the server root.
  await page.evaluate(async () => void (await (window as any).jupyterapp.commands.execute('locolens:open-performance')));
  const panel = page.locator('#locolens-performance');
  await expect(panel.locator('[data-locolens="stage-plot"]')).toHaveAttribute('data-drawn', /\d+/);
  const stages = Number(await panel.locator('[data-locolens="stage-plot"]').getAttribute('data-drawn'));
  await panel.locator('[data-locolens="export-figure"]').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('[data-locolens="figure-format"]').selectOption('png');
  await dialog.locator('[data-locolens="figure-width"]').fill('85');
  await dialog.locator('[data-locolens="figure-height"]').fill('40');
  await dialog.locator('[data-locolens="figure-dpi"]').fill('300');
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(panel.locator('[data-locolens="export-done"]')).toContainText('locolens-profile.stages.png', { timeout: 60000 });
  const png = readFileSync(join(DATA, 'locolens-profile.stages.png'));
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1004, 472]);
  expect(parseCsv(readFileSync(join(DATA, 'locolens-profile.stages.csv'), 'utf8'))).toHaveLength(stages + 1);
});

test.describe('in a notebook', () => {
  test.use({ waitForApplication });

  test('a live output exports its cycle plot next to the dataset', async ({ page, tmpPath }) => {
    await newNotebook(page, `${tmpPath}/figures.ipynb`);
    await page.notebook.setCell(0, 'code', `import locolens\na = locolens.analyze('../${DEMO}', task='${TASK}', subject='${SUBJECT}')`);
    await page.notebook.runCell(0);
    const output = page.locator('.locolens-output').first();
    await expect(output.locator('[data-locolens="cycle-plot"][data-drawn]')).toBeVisible({ timeout: 90000 });
    const variable = (await output.locator('[data-locolens="feature"] option:checked').textContent())!;
    const points = await output
      .locator('[data-locolens="cycle-plot"]')
      .evaluate((plot: any) => plot.data.reduce((sum: number, trace: any) => sum + trace.x.length, 0));
    const [svgPath, csvPath] = await exportFigure(page, { format: 'svg', width: 85, height: 70, dpi: 300 }, output, 'export-cycle-figure');
    expect(svgPath).toBe(`${DEMO.replace('.parquet', '')}.${TASK}.${SUBJECT}.${variable}.cycles.svg`);
    const svg = readFileSync(join(DATA, svgPath), 'utf8');
    expect(svg).toContain('RMSE from the mean pattern');
    expect(svg).toMatch(/<svg[^>]* height="70mm"/);
    const rows = parseCsv(readFileSync(join(DATA, csvPath), 'utf8'));
    expect(rows[0].slice(0, 2)).toEqual(['trace', 'label']);
    expect(rows[0][2]).toMatch(/^ROM of /);
    expect(rows).toHaveLength(points + 1);
  });
});
