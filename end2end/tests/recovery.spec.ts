import { Page } from '@playwright/test';
import { test, expect, createAccount, createFirstTimeAccount, uniqueLogin, mailTo, codeFor, hydrated, signIn, CAPTCHA, captchaShown } from './fixtures';

const NEW = 'Lantern5Harbour';

/** mm:ss as seconds. */
function seconds(text: string | null): number {
  const [m, s] = (text ?? '').trim().split(':').map(Number);
  return m * 60 + s;
}

async function identify(page: Page, login: string) {
  // After a link the page's chunk may still be on its way: the sign-in
  // page (with a login name field of its own) shows until it comes.
  await expect(page.getByRole('heading', { name: 'Enter your login name' })).toBeVisible();
  await page.getByLabel('Login name').fill(login);
  await captchaShown(page);
  await page.getByLabel('Security Code', { exact: true }).fill(CAPTCHA);
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function sendAndEnterCode(page: Page, login: string, nth = 1) {
  await expect(page.getByText('We are going to send you a validation code')).toBeVisible();
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText('Please DO NOT LEAVE THIS PAGE.')).toBeVisible();
  const code = await codeFor(`${login}@example.edu`, nth);
  await page.getByLabel('Verification Code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

async function setNewPassword(page: Page) {
  await expect(page.getByRole('heading', { name: 'Update Password' })).toBeVisible();
  await page.locator('#new_password').fill(NEW);
  await expect(page.locator('[data-rule="min_length"]')).toHaveAttribute('data-state', 'met');
  await page.locator('#confirm_password').fill(NEW);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByText('Your password has successfully been changed.')).toBeVisible();
}

test('a user who forgot the password gets a code by email and sets a new password', async ({ page }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot Password' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await identify(page, login);
  await expect(page.locator('[data-channel="email"]')).toContainText('•••••••@e••••.edu');
  await sendAndEnterCode(page, login);
  await setNewPassword(page);

  const notices = (await mailTo(`${login}@example.edu`, 2)).filter((m) => m.subject.startsWith('Your password was set'));
  expect(notices).toHaveLength(1);
  expect(notices[0].text).not.toContain(NEW);

  await page.getByRole('link', { name: 'Login' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, login, initial);
  await expect(page.getByRole('alert')).toContainText('Invalid login name or password.');
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/account$/);
});

test('a first-time user sets a password and signs in with it', async ({ page }) => {
  const login = uniqueLogin('t');
  createFirstTimeAccount(login);
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'First time user?' }).click();
  await identify(page, login);
  await sendAndEnterCode(page, login);
  await setNewPassword(page);
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/account$/);
});

test('the countdown ticks, a code expires, and a regenerated one works', async ({ page }) => {
  const login = uniqueLogin('s');
  createAccount(login);
  await page.goto('/forgot-password');
  await hydrated(page);
  await identify(page, login);
  await page.getByRole('button', { name: 'Send code' }).click();
  const countdown = page.locator('#countdown');
  await expect(countdown).toHaveText(/^\d\d:\d\d$/);
  const first = seconds(await countdown.textContent());
  await expect.poll(async () => seconds(await countdown.textContent()), { timeout: 5_000 }).toBeLessThan(first);

  // The test server's codes live a few seconds (a setting).
  await expect(page.locator('#code-expired')).toBeVisible({ timeout: 30_000 });
  await expect(countdown).toHaveText('00:00');
  const stale = await codeFor(`${login}@example.edu`, 1);
  await page.getByLabel('Verification Code').fill(stale);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Please regenerate a new one.' })).toBeVisible();

  await page.getByRole('button', { name: 'Regenerate Verification Code' }).click();
  await expect(page.locator('#code-expired')).toBeHidden();
  await expect.poll(async () => seconds(await countdown.textContent())).toBeGreaterThan(0);
  const fresh = await codeFor(`${login}@example.edu`, 2);
  await page.getByLabel('Verification Code').fill(fresh);
  await page.getByRole('button', { name: 'Verify' }).click();
  await setNewPassword(page);
});

test('the CAPTCHA is an image, can be replaced, and is served as audio', async ({ page }) => {
  await page.goto('/forgot-password');
  await hydrated(page);
  const image = page.locator('#captcha-image');
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(220);
  const before = await image.getAttribute('src');
  await page.getByRole('link', { name: 'Display another Security Code' }).click();
  await expect(image).not.toHaveAttribute('src', before!);

  const audioUrl = await page.getByRole('link', { name: 'Play CAPTCHA audio' }).getAttribute('href');
  const audio = await page.request.get(audioUrl!);
  expect(audio.headers()['content-type']).toBe('audio/wav');
  expect((await audio.body()).subarray(0, 4).toString()).toBe('RIFF');
  const download = await page.getByRole('link', { name: 'download audio' }).getAttribute('href');
  expect((await page.request.get(download!)).headers()['content-disposition']).toContain('attachment');
});

test('an unknown login name gets the same steps, and no code works', async ({ page }) => {
  await page.goto('/forgot-password');
  await hydrated(page);
  await identify(page, uniqueLogin('nobody'));
  await expect(page.locator('[data-channel="email"]')).toContainText(/•••••••@.••••\./);
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText('Please DO NOT LEAVE THIS PAGE.')).toBeVisible();
  await page.getByLabel('Verification Code').fill('ABC234');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '4 attempts left' })).toBeVisible();
});

test.describe('with JavaScript off', () => {
  test.use({ javaScriptEnabled: false });

  test('the wizard works through plain forms and shows when the code expires', async ({ page }) => {
    const login = uniqueLogin('s');
    createAccount(login);
    await page.goto('/forgot-password');
    await identify(page, login);
    await expect(page).toHaveURL(/\/forgot-password\?resume=1$/);
    await page.getByRole('button', { name: 'Send code' }).click();
    await expect(page.getByText('Please DO NOT LEAVE THIS PAGE.')).toBeVisible();
    await expect(page.getByText(/The code is valid until \d\d:\d\d:\d\d UTC\./)).toBeVisible();
    const code = await codeFor(`${login}@example.edu`);
    await page.getByLabel('Verification Code').fill('WRONG2');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'attempts left' })).toBeVisible();
    await page.getByLabel('Verification Code').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { name: 'Update Password' })).toBeVisible();
    await page.locator('#new_password').fill(NEW);
    await page.locator('#confirm_password').fill(NEW);
    await page.getByRole('button', { name: 'Submit' }).click();
    await expect(page.getByText('Your password has successfully been changed.')).toBeVisible();
  });
});
