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

test('with JavaScript off, the administration console searches, acts, imports and filters', async ({ page }) => {
  const admin = uniqueLogin('a');
  const user = uniqueLogin('n');
  createAccount(user);
  const initial = createAccount(admin, 'Ho Admin', 'admin');
  await page.goto('/login');
  await page.getByLabel('Login name').fill(admin);
  await page.locator('#password').fill(initial);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill(NEW);
  await page.locator('#confirm_password').fill(NEW);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/account\/password\/done$/);

  await page.goto('/admin');
  await page.locator('#q').fill(user);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin\\?q=${user}`));
  await page.locator('#search-results').getByRole('link', { name: user }).click();
  const disable = page.locator('form[data-action="disable"]');
  await disable.getByLabel('I confirm').check();
  await disable.getByRole('button').click();
  await expect(page).toHaveURL(new RegExp(`/admin/accounts/${user}\\?done=disable`));
  await expect(page.locator('#admin-done')).toContainText('Disable the account');
  await expect(page.locator('[data-field="status"]')).toHaveText('Disabled');

  await page.goto('/admin/import');
  const csv = `login,display_name,role,email\n${user},Chan Tai-man,student,${user}@example.edu\n`;
  await page.locator('#file').setInputFiles({ name: 'records.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('#dry_run').check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/import$/);
  await expect(page.locator('#import-reports li').first().locator('.summary')).toHaveText('created 0, updated 1, unchanged 0, rejected 0');

  await page.goto('/admin/audit');
  await page.locator('#account').fill(user);
  await page.locator('#action').fill('admin.action');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.locator('tr[data-action="admin.action"]')).toHaveCount(1);
});
