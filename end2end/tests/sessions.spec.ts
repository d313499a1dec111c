import { test, expect, createAccount, uniqueLogin, hydrated, signIn, changeInitialPassword } from './fixtures';

const NEW = 'Harbour7Lights';

test('My Profile lists where the user is signed in and signs the other browsers out', async ({ page, browser }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);

  // A second browser (a phone, say) signs in too.
  const phoneContext = await browser.newContext({ userAgent: 'PhoneBrowser/1.0' });
  const phone = await phoneContext.newPage();
  await signIn(phone, login, NEW);
  await expect(phone).toHaveURL(/\/account$/);

  await page.goto('/account');
  await hydrated(page);
  const rows = page.locator('#sessions tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(page.locator('#sessions tr[data-current="true"]')).toContainText('(this browser)');
  await expect(page.locator('#sessions tr[data-current="false"]')).toContainText('PhoneBrowser/1.0');

  await page.locator('#end-other-sessions').getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(rows).toHaveCount(1);

  // The phone is signed out; this browser is not.
  await phone.goto('/account');
  await expect(phone).toHaveURL(/\/login$/);
  await page.reload();
  await expect(page.locator('#sessions tbody tr')).toHaveCount(1);

  // "Sign out this session" on this browser's own row signs out here.
  await hydrated(page);
  await page.locator('#sessions tr[data-current="true"]').getByRole('button', { name: 'Sign out this session' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await phoneContext.close();
});
