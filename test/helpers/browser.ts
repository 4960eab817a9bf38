/**
 * A real browser for the console tests: Debian's chromium, headless, driven by puppeteer-core
 * (no browser download). As root chromium needs --no-sandbox. Screenshots go to
 * `screenshots/` at the repository root (or $SCREENSHOT_DIR), named by the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { REPO_ROOT } from './process.ts';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? path.join(REPO_ROOT, 'screenshots');

export async function launchBrowser(lang = 'en-US'): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', `--lang=${lang}`, '--no-first-run', '--no-default-browser-check'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Clicks (or submits) and waits for the page the browser goes to. */
export async function navigating(page: Page, action: () => Promise<unknown>): Promise<number> {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
  return res?.status() ?? 0;
}

/** The text of every element matching the selector. */
export function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));
}
