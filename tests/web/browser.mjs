// What both browser tests share: their command line, the skip rules, and a
// headless Debian Chromium driven by playwright-core that records page and
// console errors (a test fails on any).
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SKIP = 77;
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.TEAMVL_CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps trying to reach the
// internet, which a closed test machine refuses.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

// --binary PATH/teamvl [--web-dir DIR] [--artifacts DIR]. Exits 77 (skipped)
// without chromium or playwright-core, 1 without the binary or the built UI.
export function browserTestSetup() {
  const binaryArg = arg('--binary', process.env.TEAMVL_BINARY);
  const binary = binaryArg ? path.resolve(binaryArg) : undefined;
  const webDir = path.resolve(arg('--web-dir', path.join(repo, 'web', 'dist')));
  const artifacts = path.resolve(arg('--artifacts', path.join(repo, 'test-artifacts', 'web')));
  if (!existsSync(CHROMIUM)) {
    console.log(`SKIP: ${CHROMIUM} is not installed (apt-get install chromium, or tools/install-deps.sh --test)`);
    process.exit(SKIP);
  }
  let playwright;
  try {
    playwright = createRequire(path.join(repo, 'web', 'package.json'))('playwright-core');
  } catch {
    console.log('SKIP: web/node_modules has no playwright-core (run npm ci in web/)');
    process.exit(SKIP);
  }
  if (!binary || !existsSync(binary)) {
    console.error(`FAIL: teamvl binary not found: ${binary} (pass --binary)`);
    process.exit(1);
  }
  if (!existsSync(path.join(webDir, 'index.html'))) {
    console.error(`FAIL: no built UI in ${webDir} (run npm run build in web/)`);
    process.exit(1);
  }
  const started = Date.now();
  const step = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  return { binary, webDir, artifacts, playwright, step };
}

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A fresh browser profile; `problems` collects page errors and console
// errors (4xx answers the tests provoke on purpose are logged by Chromium as
// failed loads and are not problems).
export async function openBrowser(playwright, name, { height = 860, acceptDialogs = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), `teamvl-web-${name}-`));
  const ctx = await playwright.chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height },
    locale: 'en-US',
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const problems = [];
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`${name}: console: ${m.text()}`);
  });
  if (acceptDialogs) page.on('dialog', (d) => d.accept());
  page.setDefaultTimeout(20000);
  return { ctx, page, dir, problems };
}

// Runs the test to its end: exit 0 when `run` resolves, 1 when it throws or
// takes longer than `seconds` (a hung page must not hang ctest).
export function runBrowserTest(run, { what, seconds, step, artifacts }) {
  const guard = setTimeout(() => {
    console.error(`FAIL: ${what} took longer than ${seconds} s`);
    process.exit(1);
  }, seconds * 1000);
  run().then(
    () => {
      clearTimeout(guard);
      step(`PASS (screenshots in ${artifacts})`);
      process.exit(0);
    },
    (e) => {
      clearTimeout(guard);
      console.error(`FAIL: ${e.stack ?? e}`);
      process.exit(1);
    },
  );
}
