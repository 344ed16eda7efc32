// Opens a report in headless Chromium (Debian's), checks that the charts and the
// diagram are rendered, and saves a full-page screenshot.
// Usage: node check_report.js REPORT_HTML SCREENSHOT_PNG CHROMIUM_PATH [IDS]
// (IDS: comma-separated element ids to measure; default: report.html's charts and diagram)
// Prints one JSON line: { ok, errors, elements: [{ id, width, height, children }] }.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

const [report, screenshot, executablePath, idList] = process.argv.slice(2);
const ids = idList ? idList.split(',') : ['chart-overview', 'chart-ribbon', 'chart-throughput',
  'chart-errors', 'chart-latency', 'chart-writes', 'diagram'];

(async () => {
  const userDataDir = require('fs').mkdtempSync(path.join(require('os').tmpdir(), 'faultline-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
  });
  const errors = [];
  const requests = [];
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto('file://' + path.resolve(report), { waitUntil: 'load', timeout: 20000 });
  const elements = await page.evaluate((ids) => ids.map((id) => {
    const el = document.getElementById(id);
    if (!el) return { id, width: 0, height: 0, children: 0 };
    const r = el.getBoundingClientRect();
    return { id, width: r.width, height: r.height, children: el.querySelectorAll('path, rect, line, circle').length };
  }), ids);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  require('fs').rmSync(userDataDir, { recursive: true, force: true });
  console.log(JSON.stringify({ ok: true, errors, requests, elements, scrollWidth }));
})().catch((e) => { console.log(JSON.stringify({ ok: false, errors: [String(e && e.stack || e)] })); process.exit(1); });
