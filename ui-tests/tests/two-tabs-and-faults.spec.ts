/**
 * Two JupyterLab tabs of one server (two pages in one browser context: one origin, one IndexedDB,
 * one OPFS, one navigator.locks) and storage faults, in a real JupyterLab and chromium:
 * - the same analysis started in both tabs at once is computed once (the second tab waits on the
 *   result cache's Web Lock, then reads the entry); analyses of overlapping blocks in both tabs
 *   store each block once and completely; a reload serves identical numbers from the caches;
 * - the quota exhausted while the tensor is written (the workers' OPFS writes throw
 *   QuotaExceededError after 2 MB, patched in the workers from the test, and IndexedDB's quota
 *   made tiny through the DevTools protocol, a real QuotaExceededError): the run completes, each
 *   cache steps aside with one warning, nothing half-written is read back;
 * - OPFS missing in the workers and IndexedDB failing to open: the run completes from parquet.
 * The faults are injected from the test (Playwright's worker.evaluate, page.addInitScript, CDP):
 * locolens ships no test hook.
 */
import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Page, Worker } from '@playwright/test';

const DEMO = 'locolens_demo_phase.parquet';
const LARGE = 'large/ten_thousand_cycles.parquet';

// After a reload the workspace reopens the analyses instead of the Launcher: ready is when the
// splash screen is gone.
test.use({
  waitForApplication: async ({}, use) => {
    await use(async page => {
      await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    });
  }
});

type AnyPage = Page | IJupyterLabPageFixture;

/** Open an analysis view (the command returns once the view is added; it runs on its own). */
async function analyze(page: AnyPage, request: { path: string; task: string; subject?: string }): Promise<void> {
  await page.evaluate(async args => void (await (window as any).jupyterapp.commands.execute('locolens:analyze', args)), request);
}

/** The visible (current) analysis view of a page. */
const currentView = (page: AnyPage) => page.locator('.locolens-analysis:visible');

/** The first rows of the current view's per-cycle table, as text. */
async function tableRows(page: AnyPage): Promise<string[]> {
  const view = currentView(page);
  await view.locator('.locolens-tab[data-tab="table"]').click();
  const rows = view.locator('[data-locolens="per-cycle-table"] tbody tr');
  await expect(rows.first()).toBeVisible();
  return (await rows.allInnerTexts()).slice(0, 20);
}

async function cacheSection(page: AnyPage) {
  const panel = page.locator('#locolens-dataset-browser');
  if (!(await panel.isVisible())) {
    await page.getByRole('tab', { name: 'locolens datasets' }).click();
  }
  return panel.locator('[data-locolens="cache-section"]');
}

/** A second tab of the same JupyterLab (same URL, same browser context), ready. */
async function secondTab(page: IJupyterLabPageFixture): Promise<Page> {
  const page2 = await page.context().newPage();
  await page2.goto(page.url());
  // (A predicate, not a promise: the plugins are registered once the command exists.)
  await page2.waitForFunction(() => !!(window as any).jupyterapp?.commands?.hasCommand('locolens:analyze'), undefined, {
    timeout: 120000
  });
  await page2.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  return page2;
}

interface IStoredFolder {
  name: string;
  files: Record<string, number>;
  index: { subject: string; task: string; features: string[]; cycles: number; chunks: Array<{ name: string; cycles: number }> } | null;
}

/** The tensor store's folders in OPFS, read in the page (its files, their sizes, the index). */
async function storeFolders(page: AnyPage): Promise<IStoredFolder[]> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    let store: any;
    try {
      store = await root.getDirectoryHandle('locolens-tensors');
    } catch {
      return [];
    }
    const out: IStoredFolder[] = [];
    for await (const [name, handle] of store.entries()) {
      if (handle.kind !== 'directory') {
        continue;
      }
      const files: Record<string, number> = {};
      for await (const [file, entry] of (handle as any).entries()) {
        if (entry.kind === 'file') {
          files[file] = (await entry.getFile()).size;
        }
      }
      const index = 'index.json' in files ? JSON.parse(await (await (await handle.getFileHandle('index.json')).getFile()).text()) : null;
      out.push({ name, files, index });
    }
    return out;
  });
}

/** Every stored folder is complete: its index, each chunk it names at its exact size, nothing else. */
function expectComplete(folders: IStoredFolder[]): void {
  for (const folder of folders) {
    expect(folder.index, `${folder.name} has an index`).not.toBeNull();
    const expected: Record<string, number> = { 'index.json': folder.files['index.json'] };
    for (const chunk of folder.index!.chunks) {
      expected[chunk.name] = folder.index!.features.length * chunk.cycles * 150 * 4;
    }
    if ('used' in folder.files) {
      expected.used = folder.files.used;
    }
    expect(folder.files).toEqual(expected);
  }
}

/** The result cache's entries and LRU records, read from IndexedDB in the page. */
async function cacheRecords(page: AnyPage): Promise<{ entries: number; meta: number }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open('locolens-cache');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const transaction = db.transaction(['entries', 'meta']);
          const entries = transaction.objectStore('entries').count();
          const meta = transaction.objectStore('meta').count();
          transaction.oncomplete = () => {
            db.close();
            resolve({ entries: entries.result, meta: meta.result });
          };
        };
      })
  );
}

/** Console warnings from locolens, as text. */
function collectWarnings(page: AnyPage, into: string[]): void {
  page.on('console', message => {
    if (message.type() === 'warning' && message.text().startsWith('locolens')) {
      into.push(message.text());
    }
  });
}

/**
 * Run `patch` in every decode worker of the page, now and in any started later until `stop`.
 *
 * @returns how many workers were patched, and `stop`.
 */
async function inWorkers(
  page: IJupyterLabPageFixture,
  patch: (arg: number) => void,
  arg: number
): Promise<{ count: number; stop: () => void }> {
  const patched = new Set<Worker>();
  const apply = async (worker: Worker) => {
    if (!patched.has(worker)) {
      patched.add(worker);
      await worker.evaluate(patch, arg);
    }
  };
  const listener = (worker: Worker) => void apply(worker);
  page.on('worker', listener);
  // The pool starts its workers once JupyterLab is idle after start-up.
  await expect.poll(() => page.workers().length, { timeout: 60000 }).toBeGreaterThan(0);
  await page.waitForTimeout(1000);
  await Promise.all(page.workers().map(apply));
  return { count: patched.size, stop: () => page.off('worker', listener) };
}

test('two tabs analysing the same file at once: computed once, each block stored once, a reload serves the same numbers', async ({
  page
}) => {
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', error => errors.push(error.message));
  collectWarnings(page, warnings);
  const page2 = await secondTab(page);
  page2.on('pageerror', error => errors.push(error.message));
  collectWarnings(page2, warnings);

  // The same analysis in both tabs at once: one computes, the other waits and reads its entry.
  await Promise.all([analyze(page, { path: LARGE, task: 'run' }), analyze(page2, { path: LARGE, task: 'run' })]);
  for (const tab of [page, page2]) {
    await expect(currentView(tab).locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 180000 });
  }
  const fromCache = await Promise.all([page, page2].map(tab => currentView(tab).locator('[data-locolens="from-cache"]').count()));
  expect(fromCache.sort()).toEqual([0, 1]);
  const large = await tableRows(page);
  expect(await tableRows(page2)).toEqual(large);

  // Overlapping blocks under different keys at once: a task's ten subjects here, one of them there.
  await Promise.all([
    analyze(page, { path: DEMO, task: 'level_walking' }),
    analyze(page2, { path: DEMO, task: 'level_walking', subject: 'UM21_AB01' })
  ]);
  for (const tab of [page, page2]) {
    await expect(currentView(tab).locator('[data-locolens="cycle-count"]')).toHaveText(/^\d+ cycles$/, { timeout: 120000 });
  }
  const demo = await tableRows(page);
  const demoOne = await tableRows(page2);

  // One entry per key, each with its LRU record; one folder per block (the large file's one, the
  // task's ten subjects, the other tasks the subject's view analyses), none twice, each complete.
  const records = await cacheRecords(page);
  expect(records.meta).toBe(records.entries);
  expect(records.entries).toBeGreaterThanOrEqual(5);
  const folders = await storeFolders(page);
  expect(folders.map(folder => folder.name).filter(name => name.includes('-'))).toEqual([]);
  expectComplete(folders);
  const blocks = folders.map(folder => JSON.stringify([folder.index!.subject, folder.index!.task, folder.index!.features]));
  expect(new Set(blocks).size).toBe(folders.length);
  const walking = folders.filter(folder => folder.index!.task === 'level_walking').map(folder => folder.index!.subject);
  expect(walking.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `UM21_AB${String(i + 1).padStart(2, '0')}`));
  expect(folders.filter(folder => folder.index!.cycles === 10000)).toHaveLength(1);
  const section = await cacheSection(page);
  await expect(section.locator('[data-locolens="cache-entries"]')).toHaveText(new RegExp(`^${records.entries} entries`));
  await expect(section.locator('[data-locolens="cache-tensors"]')).toHaveText(new RegExp(`^${folders.length} blocks`));

  // The second tab closes; the first reloads: every analysis is served from the caches, equal.
  await page2.close();
  await page.reload();
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  for (const [request, rows] of [
    [{ path: LARGE, task: 'run' }, large],
    [{ path: DEMO, task: 'level_walking' }, demo],
    [{ path: DEMO, task: 'level_walking', subject: 'UM21_AB01' }, demoOne]
  ] as const) {
    await analyze(page, request);
    await expect(currentView(page).locator('[data-locolens="from-cache"]')).toHaveText(' · from the browser cache', { timeout: 120000 });
    expect(await tableRows(page)).toEqual(rows);
  }
  // Served, not computed again: no entry and no block added.
  expect(await cacheRecords(page)).toEqual(records);
  expect((await storeFolders(page)).length).toBe(folders.length);
  expect(warnings).toEqual([]);
  expect(errors).toEqual([]);
});

test('the quota exhausted while a tensor is written: the run completes, one warning per cache, nothing half-written read back', async ({
  page
}) => {
  const warnings: string[] = [];
  collectWarnings(page, warnings);
  // The workers' OPFS writes: QuotaExceededError once 2 MB are written (what fits is written first).
  const workers = await inWorkers(
    page,
    limit => {
      const scope = self as any;
      if (typeof scope.FileSystemSyncAccessHandle === 'undefined') {
        return;
      }
      const proto = scope.FileSystemSyncAccessHandle.prototype;
      const write = proto.write;
      let used = 0;
      proto.write = function (buffer: Uint8Array, options?: unknown) {
        if (used + buffer.byteLength > limit) {
          const fits = Math.max(0, limit - used);
          used = limit;
          if (fits > 0) {
            write.call(this, buffer.subarray(0, fits), options);
          }
          throw new DOMException('the storage quota has been exceeded (injected by the test)', 'QuotaExceededError');
        }
        used += buffer.byteLength;
        return write.call(this, buffer, options);
      };
    },
    2 * 1024 * 1024
  );
  expect(workers.count).toBeGreaterThan(0);
  // IndexedDB's quota: what is used now and 100 kB more (a real QuotaExceededError from chromium).
  const origin = new URL(page.url()).origin;
  // (Galata's fixture wraps the Playwright page: the session needs the page itself.)
  const cdp = await page.context().newCDPSession((page as unknown as { page: Page }).page);
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 100_000 });

  await analyze(page, { path: LARGE, task: 'run' });
  const view = currentView(page);
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 180000 });
  await expect(view.locator('[data-locolens="error"]')).toHaveCount(0);
  const faulted = await tableRows(page);
  const section = await cacheSection(page);
  const message = section.locator('.locolens-message');
  await expect(message).toHaveCount(1);
  await expect(message).toContainText('Stepped aside: the browser storage quota is full');
  await expect(message).toContainText('QuotaExceededError');
  // One warning per cache, not one per block or chunk.
  expect(warnings.filter(text => text.includes('tensor store steps aside'))).toHaveLength(1);
  expect(warnings.filter(text => text.startsWith('locolens cache:'))).toHaveLength(1);
  expect(warnings).toHaveLength(2);
  // Nothing half-written: no block folder is left (its chunks were cut), no entry was stored.
  expect(await storeFolders(page)).toEqual([]);
  expect(await cacheRecords(page)).toEqual({ entries: 0, meta: 0 });

  // The quota back and a reload (fresh workers, unpatched): the same numbers, now cached and stored.
  workers.stop();
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.reload();
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await analyze(page, { path: LARGE, task: 'run' });
  await expect(currentView(page).locator('[data-locolens="cycle-count"]')).toHaveText('10000 cycles', { timeout: 180000 });
  expect(await tableRows(page)).toEqual(faulted);
  const folders = await storeFolders(page);
  expect(folders.length).toBe(1);
  expectComplete(folders);
  expect(warnings).toHaveLength(2);
});

test('without OPFS in the workers and with IndexedDB failing to open, the run completes from parquet with one warning each', async ({
  page
}) => {
  const warnings: string[] = [];
  collectWarnings(page, warnings);
  // IndexedDB that cannot be opened (as in some private modes), from the next load on.
  await page.addInitScript(() => {
    IDBFactory.prototype.open = function () {
      throw new DOMException('IndexedDB is disabled (injected by the test)', 'InvalidStateError');
    };
  });
  await page.reload();
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  // No OPFS in the workers (a browser without navigator.storage.getDirectory).
  await inWorkers(
    page,
    () => {
      delete (StorageManager.prototype as any).getDirectory;
    },
    0
  );
  await analyze(page, { path: DEMO, task: 'level_walking', subject: 'UM21_AB01' });
  const view = currentView(page);
  await expect(view.locator('[data-locolens="cycle-count"]')).toHaveText(/^\d+ cycles$/, { timeout: 120000 });
  const first = await tableRows(page);
  // A second run: computed again (no cache), the same numbers, no new warning.
  await analyze(page, { path: DEMO, task: 'level_walking', subject: 'UM21_AB01' });
  await expect(currentView(page).locator('[data-locolens="cycle-count"]')).toHaveText(/^\d+ cycles$/, { timeout: 120000 });
  await expect(currentView(page).locator('[data-locolens="from-cache"]')).toHaveCount(0);
  expect(await tableRows(page)).toEqual(first);
  const message = (await cacheSection(page)).locator('.locolens-message');
  await expect(message).toContainText('IndexedDB cannot be opened');
  await expect(message).toContainText('the tensor store is not available here: no OPFS in this browser');
  expect(warnings.filter(text => text.startsWith('locolens cache:'))).toHaveLength(1);
  expect(warnings.filter(text => text.includes('tensor store steps aside'))).toHaveLength(1);
  expect(warnings).toHaveLength(2);
});
