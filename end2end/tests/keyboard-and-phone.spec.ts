import { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { test, expect, createAccount, uniqueLogin, codeFor, hydrated, signIn, changeInitialPassword, CAPTCHA, captchaShown } from './fixtures';

const NEW = 'Harbour7Lights';
const NEWER = 'Lantern8Harbour';

/**
 * Presses Tab until the focus is on `selector`, checking at each stop that
 * the focused element shows a focus ring and is not hidden behind anything.
 */
async function tabTo(page: Page, selector: string, max = 25): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate((wanted) => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return { here: false, ring: true, seen: true, what: 'body' };
      const style = getComputedStyle(el);
      const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
      const box = el.getBoundingClientRect();
      const atCenter = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      const seen = box.width > 0 && atCenter !== null && (el === atCenter || el.contains(atCenter) || atCenter.contains(el));
      return { here: el.matches(wanted), ring, seen, what: el.outerHTML.slice(0, 80) };
    }, selector);
    expect(stop.ring, `a focus ring on ${stop.what}`).toBe(true);
    expect(stop.seen, `${stop.what} is not obscured`).toBe(true);
    if (stop.here) return;
  }
  throw new Error(`${selector} was not reached with Tab`);
}

test('keyboard only: sign in, change the password, and reset it through the wizard', async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await page.goto('/login');
  await hydrated(page);

  // The language switch works from the keyboard.
  await tabTo(page, '.languages a[hreflang="zh-Hant"]');
  await page.keyboard.press('Enter');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-Hant');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  await tabTo(page, '#login');
  await page.keyboard.type(login);
  await tabTo(page, '#password');
  await page.keyboard.type(initial);
  // Show / hide, from the keyboard.
  await tabTo(page, '#sign-in-form button.toggle');
  await page.keyboard.press('Space');
  await expect(page.locator('#password')).toHaveAttribute('type', 'text');
  await page.keyboard.press('Space');
  await expect(page.locator('#password')).toHaveAttribute('type', 'password');
  await tabTo(page, '#sign-in-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/account\/password$/);
  await hydrated(page);

  await tabTo(page, '#current_password');
  await page.keyboard.type(initial);
  await tabTo(page, '#new_password');
  await page.keyboard.type(NEW);
  await tabTo(page, '#confirm_password');
  await page.keyboard.type(NEW);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/account\/password\/done$/);
  await hydrated(page);
  await tabTo(page, '.account-nav button[type="submit"]');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);

  // The reset wizard, from the sign-in page's link.
  await tabTo(page, '#forgot-password');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/forgot-password$/);
  await hydrated(page);
  await tabTo(page, '#login');
  await page.keyboard.type(login);
  // The CAPTCHA's own links are on the way: another image, the audio.
  await tabTo(page, '#captcha-another');
  const before = await page.locator('#captcha-image').getAttribute('src');
  await page.keyboard.press('Enter');
  await expect(page.locator('#captcha-image')).not.toHaveAttribute('src', before!);
  await captchaShown(page);
  await tabTo(page, '#captcha-play');
  await tabTo(page, '#captcha');
  await page.keyboard.type(CAPTCHA);
  await page.keyboard.press('Enter');
  await expect(page.locator('#recovery-channel')).toBeVisible();
  await tabTo(page, '#recovery-channel input[type="radio"]');
  await page.keyboard.press('Space');
  await tabTo(page, '#recovery-channel button[type="submit"]');
  await page.keyboard.press('Enter');
  await expect(page.locator('#recovery-code')).toBeVisible();
  // The code is pasted, as from the mail app (3.3.8: paste is never blocked).
  const code = await codeFor(`${login}@example.edu`);
  await page.evaluate((text) => navigator.clipboard.writeText(text), code);
  await tabTo(page, '#code');
  await page.keyboard.press('Control+V');
  await expect(page.locator('#code')).toHaveValue(code);
  await page.keyboard.press('Enter');
  await expect(page.locator('#recovery-password')).toBeVisible();
  await tabTo(page, '#new_password');
  await page.keyboard.type(NEWER);
  await tabTo(page, '#confirm_password');
  await page.keyboard.type(NEWER);
  await tabTo(page, '#recovery-password button[type="submit"]');
  await page.keyboard.press('Enter');
  await expect(page.locator('#recovery-done')).toBeVisible();
  await tabTo(page, '#recovery a.button');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, login, NEWER);
  await expect(page).toHaveURL(/\/account$/);
});

test('the admin confirm box and the method picker work from the keyboard', async ({ page }) => {
  const admin = uniqueLogin('a');
  const user = uniqueLogin('s');
  createAccount(user);
  const initial = createAccount(admin, 'Ho Admin', 'admin');
  await signIn(page, admin, initial);
  await changeInitialPassword(page, initial, NEW);
  await page.goto(`/admin/accounts/${user}`);
  await hydrated(page);
  const form = page.locator('form[data-action="end_sessions"]');
  await tabTo(page, 'form[data-action="end_sessions"] input[name="confirm"]', 60);
  await page.keyboard.press('Space');
  await expect(form.locator('input[name="confirm"]')).toBeChecked();
  await tabTo(page, 'form[data-action="end_sessions"] button[type="submit"]');
  await page.keyboard.press('Enter');
  await expect(page.locator('#admin-done')).toBeVisible();
});

const PHONES = [
  { width: 320, height: 640 },
  { width: 390, height: 844 },
];

/** No horizontal scrolling; main actions 44 px high; axe-core's target-size rule. */
async function fitsThePhone(page: Page, what: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${what}: no horizontal scrolling`).toBeLessThanOrEqual(innerWidth);
  const small = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('button.primary, a.button.primary, button[type="submit"]:not(.link)'))
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ what: el.outerHTML.slice(0, 60), height: el.getBoundingClientRect().height, width: el.getBoundingClientRect().width }))
      .filter((b) => b.height < 44 || b.width < 44),
  );
  expect(small, `${what}: main actions at least 44 px`).toEqual([]);
  const { violations } = await new AxeBuilder({ page }).withRules(['target-size', 'meta-viewport']).analyze();
  expect(violations.map((v) => `${what}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

for (const phone of PHONES) {
  test(`every page fits a ${phone.width}x${phone.height} phone`, async ({ browser }) => {
    test.setTimeout(120_000);
    const context = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const login = uniqueLogin('a');
    const initial = createAccount(login, 'Ho Admin', 'admin');

    for (const path of ['/login', '/help', '/forgot-login-name', '/forgot-password']) {
      await page.goto(path);
      await hydrated(page);
      await fitsThePhone(page, path);
    }
    await page.locator('#login').fill(login);
    await captchaShown(page);
    await page.locator('#captcha').fill(CAPTCHA);
    await page.locator('#recovery-identify button[type="submit"]').click();
    await expect(page.locator('#recovery-channel')).toBeVisible();
    await fitsThePhone(page, 'reset step 2');
    await page.locator('#recovery-channel button[type="submit"]').click();
    await expect(page.locator('#recovery-code')).toBeVisible();
    await fitsThePhone(page, 'reset step 3');

    await signIn(page, login, initial);
    await expect(page).toHaveURL(/\/account\/password$/);
    await hydrated(page);
    await fitsThePhone(page, 'change password');
    await changeInitialPassword(page, initial, NEW);
    for (const path of ['/account', '/account/security-info', '/admin', `/admin/accounts/${login}`, '/admin/audit', '/admin/import']) {
      await page.goto(path);
      await hydrated(page);
      await fitsThePhone(page, path);
    }
    await page.goto('/account/security-info');
    await hydrated(page);
    await page.locator('#app-start').click();
    await expect(page.locator('#app-qr svg')).toBeVisible();
    await fitsThePhone(page, 'app enrolment');
    // On the phone itself: the otpauth:// link and the copy button.
    await expect(page.locator('#app-open')).toHaveAttribute('href', /^otpauth:\/\/totp\//);
    await expect(page.locator('#app-copy')).toBeVisible();
    expect(problems).toEqual([]);
    await context.close();
  });
}

test('the key of an authenticator app can be copied with one button', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);
  await page.goto('/account/security-info');
  await hydrated(page);
  await page.locator('#app-start').click();
  const secret = (await page.locator('#app-secret').textContent())!.trim();
  const link = await page.locator('#app-open').getAttribute('href');
  expect(link).toContain(`secret=${secret}`);
  await page.locator('#app-copy').click();
  await expect(page.locator('#app-copied')).toHaveText('The key was copied.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
});
