import { Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';
import { test, expect, createAccount, uniqueLogin, codeFor, mailTo, hydrated, signIn, changeInitialPassword, CAPTCHA, captchaShown } from './fixtures';

const NEW = 'Harbour7Lights';
const NEWER = 'Lantern8Harbour';

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Logout' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test('a user enrols an authenticator app and an alternate email, signs in with each, and resets the password through them', async ({ page }) => {
  test.setTimeout(180_000);
  const login = uniqueLogin('s');
  const alternate = `${login}@home.example`;
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);

  // My Profile → Security info: nothing registered yet.
  await page.goto('/account');
  await page.locator('#security-info-link').click();
  await expect(page).toHaveURL(/\/account\/security-info$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Security info', exact: true })).toBeVisible();
  await expect(page.locator('#no-methods')).toBeVisible();

  // The authenticator app: a QR code, and the key as text that the test's
  // "phone" reads.
  await page.locator('#app-start').click();
  await expect(page.locator('#app-qr svg')).toBeVisible();
  const secret = (await page.locator('#app-secret').textContent())!.trim();
  const phone = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  // Each code is accepted once, and only that of the current 30-second step
  // or the one before: the next code is the phone's once a new step begins.
  let lastStep = Math.floor(Date.now() / 30_000);
  const nextCode = async (): Promise<string> => {
    while (Math.floor(Date.now() / 30_000) <= lastStep) await new Promise((r) => setTimeout(r, 500));
    const at = Date.now();
    lastStep = Math.floor(at / 30_000);
    return phone.generate({ timestamp: at });
  };
  await page.locator('#app-code').fill(phone.generate());
  await page.locator('#app-confirm').getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('tr[data-method="app"] [data-default="true"]')).toBeVisible();

  // 2-step verification on.
  await page.locator('#two-step-toggle').click();
  await expect(page.locator('#two-step-status')).toHaveAttribute('data-on', 'true');

  // An alternate email, confirmed by the code the SMTP server received.
  await page.locator('#alt_email-address').fill(alternate);
  await page.locator('#add-alt_email').getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText(`A verification code was sent to ${alternate}.`)).toBeVisible();
  await page.locator('#alt_email-code').fill(await codeFor(alternate));
  await page.locator('#add-alt_email').getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('tr[data-method="alt_email"] .detail')).toHaveText(alternate);
  const notices = (await mailTo(`${login}@example.edu`, 4)).filter((m) => m.subject.startsWith('Your security info was changed'));
  expect(notices.length).toBe(3);

  // Signing in now asks for the authenticator code; no session before it.
  await logOut(page);
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await hydrated(page);
  await expect(page.locator('#second-step-prompt')).toHaveText('Enter the code from your authenticator app.');
  await page.locator('#code').fill(await nextCode());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);

  // "Use another method": a code to the alternate email.
  await logOut(page);
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await hydrated(page);
  await page.locator('#use-another').click();
  await page.locator('#other-methods button[data-method="alt_email"]').click();
  await expect(page.locator('#second-step-prompt')).toHaveAttribute('data-method', 'alt_email');
  await page.locator('#code').fill(await codeFor(alternate, 2));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await logOut(page);

  // Forgot password: every method is listed; with 2-step verification on,
  // the registered email is not enough, and the alternate email is the
  // second factor.
  await page.goto('/forgot-password');
  await hydrated(page);
  await page.getByLabel('Login name').fill(login);
  await captchaShown(page);
  await page.getByLabel('Security Code', { exact: true }).fill(CAPTCHA);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.locator('[data-channel="app"]')).toBeVisible();
  await expect(page.locator('[data-channel="alt_email"]')).toBeVisible();
  await page.locator('input[name="channel"][value="email"]').check();
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText('Please DO NOT LEAVE THIS PAGE.')).toBeVisible();
  await page.getByLabel('Verification Code').fill(await codeFor(`${login}@example.edu`));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#second-factor')).toBeVisible();
  await expect(page.locator('[data-channel="email"]')).toHaveCount(0);
  await page.locator('input[name="channel"][value="alt_email"]').check();
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText('Please DO NOT LEAVE THIS PAGE.')).toBeVisible();
  await page.getByLabel('Verification Code').fill(await codeFor(alternate, 3));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Update Password' })).toBeVisible();
  await page.locator('#new_password').fill(NEWER);
  await page.locator('#confirm_password').fill(NEWER);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.getByText('Your password has successfully been changed.')).toBeVisible();

  // The new password, then the second step again, in Traditional Chinese.
  await signIn(page, login, NEWER);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await hydrated(page);
  await page.getByRole('link', { name: '繁體中文' }).click();
  await expect(page.getByRole('heading', { name: '驗證你的身分' })).toBeVisible();
  await expect(page.locator('#second-step-prompt')).toHaveText('輸入驗證器應用程式顯示的驗證碼。');
  await page.locator('#use-another').click();
  await expect(page.locator('#other-methods button[data-method="alt_email"]')).toContainText('以電郵發送驗證碼至');
  await page.locator('#code').fill(await nextCode());
  await page.getByRole('button', { name: '驗證', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/account/security-info');
  await expect(page.getByRole('heading', { name: '保安資料', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: '你的方法' })).toBeVisible();
  await expect(page.locator('tr[data-method="app"]')).toContainText('驗證器應用程式');
  await expect(page.locator('#two-step-status')).toContainText('雙重驗證已開啟');
  await page.getByRole('link', { name: 'English' }).click();
});
