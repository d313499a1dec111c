import { test as base, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Every test fails on any page error or console error. The one exception:
 * Chromium logs each server-function refusal the app makes on purpose
 * (401 wrong password, 403, 410 flow over, 422 invalid input, 429 throttled) as a failed
 * resource load; the tests assert those refusals on the page instead. A 404,
 * a 500 or any script error still fails the test.
 */
const DELIBERATE_REFUSAL = /^Failed to load resource: the server responded with a status of (401|403|410|422|429) /;

export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !DELIBERATE_REFUSAL.test(m.text())) {
          problems.push(`console error on ${page.url()} (from ${m.location().url || 'the page'}): ${m.text()}`);
        }
      });
      // A page of the portal (an HTML document the browser shows) carries
      // the page policy, never the one for answers that are not pages.
      const reading: Promise<void>[] = [];
      page.on('response', (response) => {
        if (response.request().resourceType() !== 'document') return;
        reading.push(
          response
            .allHeaders()
            .catch(() => ({}) as Record<string, string>)
            .then((headers) => {
              const policy = headers['content-security-policy'] ?? '';
              if ((headers['content-type'] ?? '').startsWith('text/html') && policy.includes("default-src 'none'")) {
                problems.push(`page without the page policy: ${response.request().method()} ${response.url()} ${response.status()} (${policy})`);
              }
            }),
        );
      });
      await use(problems);
      await Promise.all(reading);
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
export function createAccount(login: string, name = 'Chan Tai Man', role = 'student'): string {
  const out = gatehouse(['account', 'create', '--login', login, '--name', name, '--role', role, '--email', `${login}@example.edu`]);
  const match = out.match(/Initial password: (\S+)/);
  if (!match) throw new Error(`no initial password in: ${out}`);
  return match[1];
}

/** Creates a first-time account: no password until the user sets one. */
export function createFirstTimeAccount(login: string, mobile?: string): void {
  const args = ['account', 'create', '--login', login, '--name', 'Wong Siu Ming', '--role', 'teacher', '--email', `${login}@example.edu`, '--first-time'];
  if (mobile) args.push('--mobile', mobile);
  gatehouse(args);
}

function gatehouse(args: string[]): string {
  return execFileSync(binary, args, { encoding: 'utf8' });
}

/** A message as the SMTP server the tests run (maildev) received it. */
export interface Mail {
  subject: string;
  text: string;
  html: string;
}

/** The messages the SMTP server received for `email`, oldest first; waits for `atLeast`. */
export async function mailTo(email: string, atLeast = 1): Promise<Mail[]> {
  const api = process.env.E2E_MAILDEV_API;
  if (!api) throw new Error('E2E_MAILDEV_API is not set (scripts/test.sh starts maildev)');
  let found: Mail[] = [];
  for (let i = 0; i < 100; i++) {
    const all = (await (await fetch(`${api}/email`)).json()) as Array<Mail & { to: { address: string }[] }>;
    found = all.filter((m) => m.to.some((t) => t.address === email));
    if (found.length >= atLeast) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return found;
}

/** The verification code in the newest code email sent to `email`. */
export async function codeFor(email: string, nth = 1): Promise<string> {
  const codes = (await mailTo(email, nth)).filter((m) => m.subject.startsWith('Your verification code'));
  if (codes.length < nth) throw new Error(`only ${codes.length} code emails for ${email}`);
  const match = codes[codes.length - 1].text.match(/verification code is (\w{6})/);
  if (!match) throw new Error('no code in the email');
  return match[1];
}

/** What every CAPTCHA answers in the test server (a test-mode setting). */
export const CAPTCHA = process.env.GATEHOUSE_CAPTCHA__FIXED_ANSWER ?? '';

/**
 * Waits until the wasm has hydrated the page (the app marks <body> then) and
 * shows the page of the current address: after a link, the address changes
 * at once, the view when its chunk has come (the app marks <body> with the
 * path of the page it shows). Call it once the address is the page's (after
 * `goto` or `toHaveURL`).
 */
export async function hydrated(page: Page): Promise<void> {
  const path = new URL(page.url()).pathname;
  await page.locator(`body[data-hydrated="true"][data-page="${path}"]`).waitFor({ state: 'attached' });
}

/**
 * Waits until the CAPTCHA image has loaded, as a person reads it before
 * answering: an answer sent sooner uses the challenge up while its image is
 * still on its way, and the image then answers 404.
 */
export async function captchaShown(page: Page): Promise<void> {
  const image = page.locator('#captcha-image');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
}

/** On the page that asks for it, changes an initial password to `next`. */
export async function changeInitialPassword(page: Page, initial: string, next: string): Promise<void> {
  await expect(page).toHaveURL(/\/account\/password$/);
  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill(next);
  await page.locator('#confirm_password').fill(next);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/account\/password\/done$/);
}

export async function signIn(page: Page, login: string, password: string): Promise<void> {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(password);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
}

/** WCAG 2.2 AA, as axe-core checks it. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Fails with every violation axe-core finds on the page as it is now. */
export async function axe(page: Page, state: string, lang: string): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const found = violations.map((v) => `${state} [${lang}]: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found, `axe-core on ${state}`).toEqual([]);
}
