import { test, expect, createAccount, uniqueLogin, mailTo } from './fixtures';

test.use({ javaScriptEnabled: false });

const NEW = 'Quayside8Lanterns';

test('with JavaScript off, sign in and change password work through plain forms', async ({ page }) => {
  const login = uniqueLogin('n');
  const initial = createAccount(login);

  await page.goto('/login');
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill('not-the-password-1');
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid login name or password.');

  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(initial);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page).toHaveURL(/\/account\/password$/);

  // The checklist's verdict arrives after submitting.
  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill('tooshort');
  await page.locator('#confirm_password').fill('tooshort');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#new_password-error')).toContainText('At least 10 characters long');

  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill(NEW);
  await page.locator('#confirm_password').fill(NEW);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/account\/password\/done$/);
  await expect(page.getByText('Your password has successfully been updated.')).toBeVisible();
  expect(await mailTo(`${login}@example.edu`)).toHaveLength(1);

  await page.getByRole('button', { name: 'Logout' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(NEW);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
});

test('with JavaScript off, the language links still switch the language', async ({ page }) => {
  await page.goto('/login');
  await page.getByRole('link', { name: '繁體中文' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('登入');
});
