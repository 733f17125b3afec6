#!/usr/bin/env node
/**
 * locolens end to end in headless Chromium through the real extension: a JupyterLab server on
 * a data folder, Debian's chromium driven by Playwright, the `locolens:analyze-file` command on
 * each file (summary, then every kernel on every subject×task), cold, then warm after a page
 * reload (browser caches). The browser's peak memory is the sampled RSS of its process tree.
 *
 *   node scripts/bench-browser.mjs [--root data] [--by subject-task|task] [--no-phase-correlations] FILE...
 *
 * Prints one JSON line per file and run to stdout.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const require = createRequire(join(process.cwd(), 'ui-tests', 'package.json'));
const { chromium } = require('playwright');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
};
const root = resolve(option('--root', 'data'));
const by = option('--by', 'subject-task');
const phaseCorrelations = !args.includes('--no-phase-correlations');
if (!phaseCorrelations) {
  args.splice(args.indexOf('--no-phase-correlations'), 1);
}
const port = Number(option('--port', '8897'));
const files = args;
const venv = resolve('.venv', 'bin');

function treeRss(rootPid) {
  // Sum of RSS (kB) of a process and its descendants.
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(line => line.trim().split(/\s+/).map(Number));
  const children = new Map();
  for (const [pid, ppid] of table) {
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const rss = new Map(table.map(([pid, , kb]) => [pid, kb]));
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total * 1024;
}

async function waitForServer(url, ms = 120000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) {
        return;
      }
    } catch {
      // not yet
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`no server at ${url}`);
}

const server = spawn(
  join(venv, 'jupyter'),
  ['lab', '--config', resolve('ui-tests', 'jupyter_server_test_config.py'), '--port', String(port)],
  {
    env: { ...process.env, JUPYTERLAB_GALATA_ROOT_DIR: root, PATH: `${venv}:${process.env.PATH}` },
    stdio: 'ignore'
  }
);
let browser;
let profile;
try {
  await waitForServer(`http://localhost:${port}/lab`);
  // A persistent profile, as a user's browser has: an incognito context's storage quota is too
  // small for the caches of a 2 GB file.
  profile = mkdtempSync(join(tmpdir(), 'locolens-bench-profile-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.LOCOLENS_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-unsafe-webgpu'
    ]
  });
  // The browser process that Playwright started (it talks over a pipe), whose tree is measured.
  const browserPid = Number(
    execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .find(line => line.includes('--remote-debugging-pipe') && line.includes('chromium') && !line.includes('--type='))
      ?.trim()
      .split(/\s+/)[0]
  );
  const page = browser.pages()[0] ?? (await browser.newPage());
  // The extension's warnings (a cache stepping aside, a fallback) go to stderr.
  page.on('console', message => {
    if (message.type() === 'warning' || message.type() === 'error') {
      process.stderr.write(`browser ${message.type()}: ${message.text()}\n`);
    }
  });
  page.on('worker', worker => worker.on('console', message => process.stderr.write(`worker ${message.type()}: ${message.text()}\n`)));
  const open = async () => {
    await page.goto(`http://localhost:${port}/lab`);
    await page.waitForFunction(
      () => !!window.jupyterapp?.commands.hasCommand('locolens:analyze-file') && !document.querySelector('#jupyterlab-splash'),
      null,
      { timeout: 120000 }
    );
  };
  await open();
  // The memory budget the README's figures were measured under (the setting's default follows
  // the browser's memory hints): fixed at 512 MB, as the CLI's default.
  await page.evaluate(async () => {
    await window.jupyterapp.serviceManager.settings.save('locolens:datasets', JSON.stringify({ memoryBudgetMegabytes: 512 }));
  });
  await open();
  for (const file of files) {
    if (!existsSync(join(root, file))) {
      throw new Error(`${file} is not under ${root}`);
    }
    for (const run of ['cold', 'warm']) {
      if (run === 'warm') {
        await open();
      }
      let peak = 0;
      const sampler = setInterval(() => {
        if (browserPid) {
          peak = Math.max(peak, treeRss(browserPid));
        }
      }, 200);
      const started = Date.now();
      const digest = await page.evaluate(
        ({ path, by, phaseCorrelations }) => window.jupyterapp.commands.execute('locolens:analyze-file', { path, by, phaseCorrelations }),
        { path: file, by, phaseCorrelations }
      );
      const wallMs = Date.now() - started;
      clearInterval(sampler);
      process.stdout.write(`${JSON.stringify({ file, run, wallMs, browserPeakRssBytes: peak, digest })}\n`);
    }
  }
} finally {
  await browser?.close();
  server.kill('SIGTERM');
  if (profile) {
    rmSync(profile, { recursive: true, force: true });
  }
}
