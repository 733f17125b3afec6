/**
 * Galata configuration: a real JupyterLab (the venv's, with locolens installed) in Debian's
 * chromium. Playwright cannot download its own browser here.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const chromium = process.env.LOCOLENS_CHROMIUM || '/usr/bin/chromium';
const port = process.env.LOCOLENS_UI_PORT || '8899';

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
  webServer: {
    command: `${process.env.LOCOLENS_JUPYTER || '../.venv/bin/jupyter'} lab --config jupyter_server_test_config.py --port ${port}`,
    url: `http://localhost:${port}/lab`,
    timeout: 120000,
    stdout: 'ignore',
    stderr: process.env.LOCOLENS_UI_VERBOSE ? 'pipe' : 'ignore',
    reuseExistingServer: !process.env.CI
  }
};
