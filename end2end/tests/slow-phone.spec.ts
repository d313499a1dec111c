import { Page } from '@playwright/test';
import { test, expect, createAccount, uniqueLogin, codeFor, hydrated, signIn, changeInitialPassword, CAPTCHA, captchaShown } from './fixtures';

/**
 * A phone on a slow connection: the WebAssembly arrives seconds after the
 * page. What the user types meanwhile must survive hydration (and reach the
 * live checks), and a form sent before it must work as without JavaScript.
 */
const NEW = 'Harbour7Lights';
const NEWER = 'Lantern8Harbour';

/** Every later load of the wasm on this page arrives `ms` late. */
async function slowWasm(page: Page, ms = 4000): Promise<void> {
  await page.route('**/*.wasm', async (route) => {
    await new Promise((done) => setTimeout(done, ms));
    await route.continue();
  });
}

/** Opens `path` and returns as soon as the server's HTML is there. */
async function openBeforeHydration(page: Page, path: string): Promise<void> {
  await page.goto(path, { waitUntil: 'domcontentloaded' });
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);
}

/** Types into each field before hydration, then checks each kept its text. */
async function typeEarly(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [selector, text] of Object.entries(fields)) await page.locator(selector).fill(text);
  await expect(page.locator('body[data-hydrated="true"]'), 'typed before hydration').toHaveCount(0);
  await hydrated(page);
  for (const [selector, text] of Object.entries(fields)) await expect(page.locator(selector)).toHaveValue(text);
}

test('sign-in and change password keep what was typed before the page hydrated', async ({ page }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await slowWasm(page);

  await openBeforeHydration(page, '/login');
  await typeEarly(page, { '#login': login, '#password': initial });
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/password$/);

  await openBeforeHydration(page, '/account/password');
  await typeEarly(page, { '#current_password': initial, '#new_password': NEW, '#confirm_password': NEW });
  // The live checklist follows the text typed early.
  await expect(page.locator('[data-rule="min_length"]')).toHaveAttribute('data-state', 'met');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/account\/password\/done$/);

  // And the new password is the one typed: it signs in.
  await page.unroute('**/*.wasm');
  await page.context().clearCookies();
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/account$/);
});

test('a form sent before the page hydrated works as it does without JavaScript', async ({ page }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await slowWasm(page, 20_000);

  await openBeforeHydration(page, '/login');
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(initial);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/password$/);

  await openBeforeHydration(page, '/account/password');
  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill(NEW);
  await page.locator('#confirm_password').fill(NEW);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/account\/password\/done$/);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);
});

test('every step of the reset wizard keeps what was typed before it hydrated', async ({ page }) => {
  const login = uniqueLogin('s');
  createAccount(login);
  await slowWasm(page);

  await openBeforeHydration(page, '/forgot-password');
  await typeEarly(page, { '#login': login, '#captcha': CAPTCHA });
  await captchaShown(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText('Please DO NOT LEAVE THIS PAGE.')).toBeVisible();
  const code = await codeFor(`${login}@example.edu`);

  // The wizard resumes where it was after a reload.
  await openBeforeHydration(page, '/forgot-password?resume=1');
  await typeEarly(page, { '#code': code });
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Update Password' })).toBeVisible();

  await openBeforeHydration(page, '/forgot-password?resume=1');
  await typeEarly(page, { '#new_password': NEWER, '#confirm_password': NEWER });
  await expect(page.locator('[data-rule="min_length"]')).toHaveAttribute('data-state', 'met');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByText('Your password has successfully been changed.')).toBeVisible();
});

test('security info and the admin search keep what was typed before they hydrated', async ({ page }) => {
  const admin = uniqueLogin('a');
  const initial = createAccount(admin, 'Ho Admin', 'admin');
  await signIn(page, admin, initial);
  await changeInitialPassword(page, initial, NEW);
  await slowWasm(page);

  await openBeforeHydration(page, '/account/security-info');
  await typeEarly(page, { '#alt_email-address': `${admin}.alt@example.net` });
  await page.locator('#add-alt_email').getByRole('button', { name: 'Send code' }).click();
  await expect(page.locator('#alt_email-code')).toBeVisible();

  await openBeforeHydration(page, '/admin');
  await typeEarly(page, { '#q': admin });
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#search-results tbody tr')).toHaveCount(1);
});
