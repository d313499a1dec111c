import { test, expect, createAccount, createFirstTimeAccount, uniqueLogin, mailTo, hydrated, CAPTCHA, captchaShown } from './fixtures';

test('the help pages answer the questions in both languages, with the rules and services the portal has', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.locator('#login-help-link').click();
  await expect(page).toHaveURL(/\/help$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Help' })).toBeVisible();
  await expect(page.locator('#help-updated time')).toHaveAttribute('datetime', /^\d{4}-\d{2}-\d{2}$/);
  await expect(page.getByRole('heading', { name: 'How do I change my password?' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Why does my password not work?' })).toBeVisible();
  await expect(page.locator('.help-rules')).toContainText('At least 10 characters long');
  await expect(page.locator('#help-services')).toContainText('Demo e-Service');
  await expect(page.locator('#help-services')).toContainText('PHP e-Service');
  await expect(page.locator('#help-contact')).toContainText('it-help@example.edu');
  await expect(page.locator('#help-never-ask')).toBeVisible();
  // A question in the list leads to its answer.
  await page.locator('.help-toc a[href="#forgot-password"]').click();
  await expect(page).toHaveURL(/\/help#forgot-password$/);
  await expect(page.locator('#forgot-password')).toBeInViewport();

  await page.locator('.languages a[hreflang="zh-Hant"]').click();
  await expect(page.getByRole('heading', { level: 1, name: '說明' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '如何更改密碼？' })).toBeVisible();
  await expect(page.locator('.help-rules')).toContainText('最少 10 個字元');
  await expect(page.locator('.site-footer')).toContainText('概以英文版本為準');
  await page.locator('.languages a[hreflang="en"]').click();
  await expect(page.locator('#footer-help')).toHaveText('Help');
});

test('forgot login name: a known and an unknown address get the same page, and only the known one gets mail', async ({ page }) => {
  const login = uniqueLogin('t');
  createFirstTimeAccount(login);
  const known = `${login}@example.edu`;
  const unknown = `${uniqueLogin('nobody')}@example.edu`;

  const ask = async (email: string): Promise<string> => {
    await page.goto('/forgot-password');
    await hydrated(page);
    await page.locator('#forgot-login-name').click();
    await expect(page).toHaveURL(/\/forgot-login-name$/);
    await hydrated(page);
    await page.getByLabel('Registered email address').fill(email);
    await captchaShown(page);
    await page.getByLabel('Security Code', { exact: true }).fill(CAPTCHA);
    await page.getByRole('button', { name: 'Send my login name' }).click();
    await expect(page.locator('#login-name-sent')).toBeVisible();
    return (await page.locator('#login-name').innerText()).trim();
  };
  // The unknown address first: mail goes out in the order it is queued,
  // so once the known one's message is in, any for the unknown would be too.
  const forUnknown = await ask(unknown);
  const forKnown = await ask(known);
  expect(forUnknown).toEqual(forKnown);

  const mail = await mailTo(known);
  expect(mail).toHaveLength(1);
  expect(mail[0].subject).toContain('Your login name');
  expect(mail[0].text).toContain(login);
  expect(await mailTo(unknown, 0)).toHaveLength(0);
});

test('forgot login name without JavaScript: the form posts and the page says it was sent', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const login = uniqueLogin('s');
  createAccount(login);
  await page.goto('/login');
  await page.locator('#forgot-login-name').click();
  await page.locator('#email').fill(`${login}@example.edu`);
  await captchaShown(page);
  await page.locator('#captcha').fill(CAPTCHA);
  await page.locator('#login-name-form button[type="submit"]').click();
  await expect(page).toHaveURL(/\/forgot-login-name\?sent=1$/);
  await expect(page.locator('#login-name-sent')).toBeVisible();
  expect((await mailTo(`${login}@example.edu`)).filter((m) => m.subject.includes('Your login name'))).toHaveLength(1);
  await context.close();
});
