// The web frontend in a real browser (k6/browser + chromium): load the dashboard, add an item with
// the form, and see it appear. The board is server-rendered from a replica, so after the form's
// redirect the page is reloaded (bounded) until the new card shows: the user-visible write lag.
import { check } from 'k6';
import { browser, type Page } from 'k6/browser';
import exec from 'k6/execution';
import { Trend } from 'k6/metrics';
import type { RunPlan } from './plan.ts';

/** ms from clicking "Add" until the new card is on the (re)loaded page. */
export const browserItemVisibleMs = new Trend('browser_item_visible_ms', true);

export const SELECTORS = {
  column: (status: string) => `section.column[data-status="${status}"]`,
  title: 'form.new input[name="title"]',
  content: 'form.new textarea[name="content"]',
  submit: 'form.new button[type="submit"]',
  // titles are generated from [a-z0-9 -] only, so they are safe inside the XPath literal
  card: (title: string) => `//article[contains(@class,"card")]//h3[normalize-space(.)="${title}"]`,
};

async function cardVisible(page: Page, title: string): Promise<boolean> {
  return page.locator(SELECTORS.card(title)).isVisible();
}

export async function browserIteration(plan: RunPlan): Promise<void> {
  const timeout = plan.httpTimeoutS * 1000;
  const page = await browser.newPage();
  try {
    const res = await page.goto(`${plan.target}/`, { waitUntil: 'load', timeout });
    const columns: boolean[] = [];
    for (const s of ['TODO', 'PROGRESS', 'DONE']) columns.push(await page.locator(SELECTORS.column(s)).isVisible());
    check(res, {
      'browser: dashboard status 200': (r) => r?.status() === 200,
      'browser: board columns visible': () => columns.every(Boolean),
    });

    const title = `gameday browser-${exec.vu.idInTest}-${exec.vu.iterationInScenario}-${Date.now().toString(36)}`;
    await page.locator(SELECTORS.title).fill(title);
    await page.locator(SELECTORS.content).fill('added by the swarm-gameday browser scenario');
    const t0 = Date.now();
    await Promise.all([page.waitForNavigation({ timeout }), page.locator(SELECTORS.submit).click()]);

    let seen = await cardVisible(page, title);
    const deadline = t0 + plan.ryw.timeoutMs;
    while (!seen && Date.now() + plan.ryw.pollMs <= deadline) {
      await page.waitForTimeout(plan.ryw.pollMs);
      await page.reload({ waitUntil: 'load', timeout });
      seen = await cardVisible(page, title);
    }
    if (seen) browserItemVisibleMs.add(Date.now() - t0);
    check(seen, { 'browser: added item appears on the board': (v) => v });
  } finally {
    await page.close();
  }
}
