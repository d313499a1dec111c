import { test as base, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Every test fails on any page error or console error. The one exception:
 * Chromium logs each server-function refusal the app makes on purpose
 * (401 wrong password, 403, 422 invalid input, 429 throttled) as a failed
 * resource load; the tests assert those refusals on the page instead. A 404,
 * a 500 or any script error still fails the test.
 */
const DELIBERATE_REFUSAL = /^Failed to load resource: the server responded with a status of (401|403|422|429) /;

export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !DELIBERATE_REFUSAL.test(m.text())) problems.push(`console error: ${m.text()}`);
      });
      await use(problems);
      expect(problems, 'page or console errors').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

const binary = process.env.E2E_GATEHOUSE_BIN ?? resolve(__dirname, '../../target/debug/gatehouse');

/** A unique login name for this run. */
export function uniqueLogin(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

/** Creates an account with `gatehouse account create`; returns its initial password. */
export function createAccount(login: string, name = 'Chan Tai Man'): string {
  const out = execFileSync(
    binary,
    ['account', 'create', '--login', login, '--name', name, '--role', 'student', '--email', `${login}@example.edu`],
    { encoding: 'utf8' },
  );
  const match = out.match(/Initial password: (\S+)/);
  if (!match) throw new Error(`no initial password in: ${out}`);
  return match[1];
}

/** The messages in the development outbox addressed to `email`. */
export async function mailTo(email: string, atLeast = 1): Promise<string[]> {
  const dir = process.env.GATEHOUSE_MAIL__OUTBOX_DIR;
  if (!dir) throw new Error('GATEHOUSE_MAIL__OUTBOX_DIR is not set');
  for (let i = 0; i < 100; i++) {
    const found = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .filter((m) => m.includes(`To: ${email}`));
    if (found.length >= atLeast) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

/** Waits until the wasm has hydrated the page (the app marks <body> then). */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
}

export async function signIn(page: Page, login: string, password: string): Promise<void> {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
}
