/**
 * Galata configuration: a real JupyterLab (the venv's, with locolens installed) in Debian's
 * chromium. Playwright cannot download its own browser here.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = process.env.LOCOLENS_CHROMIUM || '/usr/bin/chromium';
const port = process.env.LOCOLENS_UI_PORT || '8899';
// Notebook 7 on the same server root, for the test of locolens.analyze() there.
const notebookPort = process.env.LOCOLENS_NOTEBOOK_PORT || '8898';
const jupyter = process.env.LOCOLENS_JUPYTER || '../.venv/bin/jupyter';

module.exports = {
  ...baseConfig,
  timeout: 120000,
  expect: { timeout: 30000 },
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  reporter: [[process.env.CI ? 'list' : 'list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    trackHar: false,
    video: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-unsafe-webgpu'
      ]
    }
  },
  webServer: [
    {
      command: `${jupyter} lab --config jupyter_server_test_config.py --port ${port}`,
      url: `http://localhost:${port}/lab`,
      timeout: 120000,
      stdout: 'ignore',
      stderr: process.env.LOCOLENS_UI_VERBOSE ? 'pipe' : 'ignore',
      reuseExistingServer: !process.env.CI
    },
    {
      command: `${jupyter} notebook --config jupyter_server_test_config.py --port ${notebookPort}`,
      url: `http://localhost:${notebookPort}/tree`,
      timeout: 120000,
      stdout: 'ignore',
      stderr: process.env.LOCOLENS_UI_VERBOSE ? 'pipe' : 'ignore',
      reuseExistingServer: !process.env.CI
    }
  ]
};
