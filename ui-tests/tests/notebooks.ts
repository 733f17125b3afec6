/**
 * Helpers of the notebook tests: a new notebook written through the Contents API and opened, and
 * an application-ready check that fits a page reload (the workspace reopens the notebook).
 */
import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

/** After a reload the workspace reopens the notebook instead of the Launcher: ready is when the splash screen is gone. */
export async function waitForApplication({}, use: (wait: (page: Page) => Promise<void>) => Promise<void>): Promise<void> {
  await use(async page => {
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  });
}

/**
 * A new notebook at `path` (Python kernel), written through the Contents API and opened: unlike
 * `notebook.createNew`, it does not depend on the folder the file browser shows, which a previous
 * test's restored workspace can change under it.
 */
export async function newNotebook(page: IJupyterLabPageFixture, path: string): Promise<void> {
  const notebook = {
    cells: [{ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: '' }],
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
  expect(await page.contents.uploadContent(JSON.stringify(notebook), 'text', path)).toBe(true);
  await page.evaluate(async file => void (await (window as any).jupyterapp.commands.execute('docmanager:open', { path: file })), path);
  const name = path.split('/').pop()!;
  await page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', { hasText: name }).waitFor();
  await page.notebook.activate(name);
}
