import { Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { test, expect, createAccount, uniqueLogin, codeFor, hydrated, changeInitialPassword, CAPTCHA, captchaShown, axe } from './fixtures';

/**
 * WCAG 2.2 AA as axe-core checks it, on every page and state a user can
 * reach, in both languages: signed out, signed in, second step, admin,
 * every step of the reset wizard and every error state. Selectors are ids,
 * so the same walk runs in English and in Traditional Chinese.
 */
const NEW = 'Harbour7Lights';
const NEWER = 'Lantern8Harbour';

/** Opens `path` with JavaScript working and waits for hydration. */
async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await hydrated(page);
  if ((await page.locator('#captcha-image').count()) > 0) await captchaShown(page);
}

async function submit(page: Page, form: string): Promise<void> {
  await page.locator(`${form} button[type="submit"]`).first().click();
}

async function signInById(page: Page, login: string, password: string): Promise<void> {
  await open(page, '/login');
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await submit(page, '#sign-in-form');
}

async function signOut(page: Page): Promise<void> {
  await page.locator('.account-nav button[type="submit"]').click();
  await expect(page).toHaveURL(/\/login$/);
}

for (const lang of ['en', 'zh-Hant']) {
  test.describe(`in ${lang}`, () => {
    test.beforeEach(async ({ context, baseURL }) => {
      await context.addCookies([{ name: 'gatehouse_lang', value: lang, url: baseURL! }]);
    });

    test('signed-out pages, the reset wizard step by step, and their errors', async ({ page }) => {
      test.setTimeout(120_000);
      const login = uniqueLogin('s');
      createAccount(login);

      await open(page, '/login');
      await axe(page, 'sign-in', lang);
      await page.locator('#login').fill(login);
      await page.locator('#password').fill('not-the-password');
      await submit(page, '#sign-in-form');
      await expect(page.locator('[role="alert"]')).toBeVisible();
      await axe(page, 'sign-in, wrong password', lang);

      await open(page, '/help');
      await expect(page.locator('#help-contact')).toBeVisible();
      await axe(page, 'help', lang);
      // A page that does not exist answers 404, which the browser logs as
      // an error: checked on a page of its own, outside the error watch.
      const missing = await page.context().newPage();
      await missing.goto('/no-such-page');
      await hydrated(missing);
      await axe(missing, 'not found', lang);
      // The CAS refusal for an e-service that is not registered (English
      // only: it is the server's own page, not the app's).
      if (lang === 'en') {
        await missing.goto('/cas/login?service=' + encodeURIComponent('https://unknown.example/app'));
        await expect(missing.locator('#cas-refusal')).toBeVisible();
        await axe(missing, 'CAS refusal', 'en');
      }
      await missing.close();

      await open(page, '/forgot-login-name');
      await axe(page, 'forgot login name', lang);
      await submit(page, '#login-name-form');
      await expect(page.locator('#email-error')).toBeVisible();
      await expect(page.locator('#email')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.locator('#email')).toHaveAttribute('aria-describedby', 'email-hint email-error');
      await axe(page, 'forgot login name, empty form', lang);
      await page.locator('#email').fill(`${login}@example.edu`);
      await captchaShown(page);
      await page.locator('#captcha').fill(CAPTCHA);
      await submit(page, '#login-name-form');
      await expect(page.locator('#login-name-sent')).toBeVisible();
      await axe(page, 'forgot login name, sent', lang);

      await open(page, '/forgot-password');
      await axe(page, 'reset step 1', lang);
      await submit(page, '#recovery-identify');
      await expect(page.locator('#login-error')).toBeVisible();
      await expect(page.locator('#login')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.locator('#login')).toHaveAttribute('aria-describedby', 'login-hint login-error');
      await expect(page.locator('#captcha')).toHaveAttribute('aria-describedby', 'captcha-hint captcha-error');
      await axe(page, 'reset step 1, empty form', lang);
      await page.locator('#login').fill(login);
      await captchaShown(page);
      const first = await page.locator('#captcha-image').getAttribute('src');
      await page.locator('#captcha').fill('WRONG');
      await submit(page, '#recovery-identify');
      await expect(page.locator('#captcha-error')).toBeVisible();
      // The wrong answer used the challenge up: another one is shown.
      await expect(page.locator('#captcha-image')).not.toHaveAttribute('src', first!);
      await axe(page, 'reset step 1, wrong CAPTCHA', lang);
      await captchaShown(page);
      await page.locator('#captcha').fill(CAPTCHA);
      await submit(page, '#recovery-identify');
      await expect(page.locator('#recovery-channel')).toBeVisible();
      await axe(page, 'reset step 2', lang);
      await submit(page, '#recovery-channel');
      await expect(page.locator('#recovery-code')).toBeVisible();
      // The test server's codes live 15 s: the last minute is announced.
      await expect(page.locator('#countdown-announce')).toHaveText(lang === 'en' ? '1 minute left to enter the code.' : '尚餘 1 分鐘輸入驗證碼。');
      await expect(page.locator('#countdown')).toHaveAttribute('aria-live', 'off');
      await axe(page, 'reset step 3', lang);
      await page.locator('#code').fill('AAAAAA');
      await submit(page, '#recovery-code');
      await expect(page.locator('[role="alert"]').first()).toBeVisible();
      await axe(page, 'reset step 3, wrong code', lang);
      await page.locator('#code').fill(await codeFor(`${login}@example.edu`));
      await submit(page, '#recovery-code');
      await expect(page.locator('#recovery-password')).toBeVisible();
      await axe(page, 'reset step 4', lang);
      await page.locator('#new_password').fill('short');
      // The checklist is summarised once typing pauses, not per keystroke.
      await expect(page.locator('#new_password-summary')).toHaveText(lang === 'en' ? /^\d+ of \d+ password rules met\.$/ : /^已符合 \d+ 項密碼規則中的 \d+ 項。$/);
      await page.locator('#confirm_password').fill('other');
      await submit(page, '#recovery-password');
      await expect(page.locator('#new_password-error, #confirm_password-error').first()).toBeVisible();
      await expect(page.locator('#new_password')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.locator('#new_password')).toHaveAttribute('aria-describedby', 'new_password-rules new_password-error');
      await axe(page, 'reset step 4, refused password', lang);
      await page.locator('#new_password').fill(NEW);
      await page.locator('#confirm_password').fill(NEW);
      await submit(page, '#recovery-password');
      await expect(page.locator('#recovery-done')).toBeVisible();
      await axe(page, 'reset done', lang);
    });

    test('signed-in pages, the second step, and the admin pages', async ({ page }) => {
      test.setTimeout(150_000);
      const login = uniqueLogin('a');
      const initial = createAccount(login, 'Ho Admin', 'admin');
      await signInById(page, login, initial);
      await expect(page).toHaveURL(/\/account\/password$/);
      await hydrated(page);
      await axe(page, 'must change password', lang);
      await page.locator('#current_password').fill('not-it');
      await page.locator('#new_password').fill(NEW);
      await page.locator('#confirm_password').fill(NEW + 'x');
      await submit(page, '#change-password-form');
      await expect(page.locator('[role="alert"]').first()).toBeVisible();
      await axe(page, 'change password, errors', lang);
      await page.locator('#current_password').fill(initial);
      await page.locator('#confirm_password').fill(NEW);
      await submit(page, '#change-password-form');
      await expect(page).toHaveURL(/\/account\/password\/done$/);
      await axe(page, 'password changed', lang);

      await open(page, '/account');
      await expect(page.locator('#sessions')).toBeVisible();
      await axe(page, 'my profile', lang);
      await open(page, '/account/security-info');
      await axe(page, 'security info', lang);
      await page.locator('#app-start').click();
      await expect(page.locator('#app-qr svg')).toBeVisible();
      await axe(page, 'security info, app enrolment', lang);
      const secret = (await page.locator('#app-secret').textContent())!.trim();
      const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
      await page.locator('#app-code').fill('000000');
      await submit(page, '#app-confirm');
      await expect(page.locator('#app-code-error, #add-app [role="alert"]').first()).toBeVisible();
      await axe(page, 'security info, wrong app code', lang);
      await page.locator('#app-code').fill(phone.generate());
      await submit(page, '#app-confirm');
      await expect(page.locator('tr[data-method="app"]')).toBeVisible();
      await page.locator('#two-step-toggle').click();
      await expect(page.locator('#two-step-status')).toHaveAttribute('data-on', 'true');
      await expect(page.locator('#recovery-codes')).toBeVisible();
      await page.locator('#codes-new').click();
      await expect(page.locator('#codes-list')).toBeVisible();
      await axe(page, 'security info, 2-step on, recovery codes shown', lang);

      await open(page, '/admin');
      await axe(page, 'admin home', lang);
      await page.locator('#q').fill(login);
      await submit(page, '#admin-search');
      await expect(page.locator('#search-results')).toBeVisible();
      await axe(page, 'admin search results', lang);
      await open(page, `/admin/accounts/${login}`);
      await axe(page, 'admin account', lang);
      await open(page, '/admin/audit');
      await axe(page, 'admin audit log', lang);
      await open(page, '/admin/import');
      await axe(page, 'admin import', lang);

      await signOut(page);
      await signInById(page, login, NEW);
      await expect(page).toHaveURL(/\/login\/verify$/);
      await hydrated(page);
      await axe(page, 'second step', lang);
      await page.locator('#code').fill('000000');
      await submit(page, '#second-step-form');
      await expect(page.locator('[role="alert"]').first()).toBeVisible();
      await axe(page, 'second step, wrong code', lang);
      await page.locator('#use-another').click();
      await expect(page.locator('#other-methods')).toBeVisible();
      await axe(page, 'second step, other methods', lang);
    });
  });
}

test('the page language follows the language switch, with and without a reload', async ({ page }) => {
  await open(page, '/help');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.locator('.languages a[hreflang="zh-Hant"]').click();
  await expect(page.locator('h1')).toHaveText('說明');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-Hant');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-Hant');
  await page.locator('.languages a[hreflang="en"]').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});
