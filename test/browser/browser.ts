import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Screenshots and other artifacts of the browser tests (kept out of git; CI can collect them). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-results/browser/', import.meta.url));

/** Debian's Chromium, headless, kept off the network (TESTING.md); never a downloaded browser. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions and console errors, except the noise TESTING.md lists. */
  errors: string[];
}

// The page asks for /favicon.ico at the origin root, outside any ingress prefix; that 404 is expected.
const isNoise = (text: string, url: string) => url.endsWith('/favicon.ico') || text.includes('favicon.ico');

/** `initScript` runs in the page before its own scripts (a stand-in for a browser API this Chromium lacks, say). */
export async function openPage(browser: Browser, url: string, initScript?: string): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (initScript !== undefined) await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !isNoise(m.text(), m.location().url)) errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  await page.goto(url);
  return { page, errors };
}
