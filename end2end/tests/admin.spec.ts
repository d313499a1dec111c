import { Browser, Page } from '@playwright/test';
import { test, expect, createAccount, uniqueLogin, hydrated, signIn, changeInitialPassword } from './fixtures';

const NEW = 'Harbour7Lights';
const NEWER = 'Lantern8Harbour';

/** Signs in on a page of its own and changes the initial password. */
async function newcomer(browser: Browser, login: string, initial: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);
  return page;
}

test('an admin imports records, requires a password change, and the audit log shows it all', async ({ page, browser }) => {
  const admin = uniqueLogin('a');
  const user = uniqueLogin('s');
  const added = uniqueLogin('s');
  const userPage = await newcomer(browser, user, createAccount(user));
  const errors: string[] = [];
  userPage.on('pageerror', (e) => errors.push(e.message));

  // The administrator.
  const initial = createAccount(admin, 'Ho Admin', 'admin');
  await signIn(page, admin, initial);
  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill(NEW);
  await page.locator('#confirm_password').fill(NEW);
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/account\/password\/done$/);
  await page.goto('/account');
  await page.locator('#admin-link').click();
  await expect(page).toHaveURL(/\/admin$/);
  await hydrated(page);

  // Import: the user's record changes, one account is new, one row is bad.
  await page.getByRole('link', { name: 'Import records' }).click();
  await expect(page).toHaveURL(/\/admin\/import$/);
  const csv = [
    'login,display_name,role,email,valid_until,language',
    `${user},Chan Tai-man,student,${user}@example.edu,2027-08-31,en`,
    `${added},Lee Siu Ming,staff,${added}@example.edu,2026-12-31,zh-Hant`,
    `${uniqueLogin('x')},Nobody,wizard,nobody@example.edu,,`,
  ].join('\n');
  await page.locator('#file').setInputFiles({ name: 'records.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const report = page.locator('#import-reports li').first();
  await expect(report.locator('.summary')).toHaveText('created 1, updated 1, unchanged 0, rejected 1');
  await expect(report.locator('pre')).toContainText(`${user} updated (display_name, valid_until)`);
  await expect(report.locator('pre')).toContainText('rejected: role: unknown role "wizard"');

  // Find the account and require a change at the next sign-in.
  await page.getByRole('link', { name: 'Find an account' }).click();
  await page.locator('#q').fill(user);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#search-results tbody tr')).toHaveCount(1);
  await page.locator('#search-results').getByRole('link', { name: user }).click();
  await expect(page.getByRole('heading', { name: `Account ${user}` })).toBeVisible();
  await expect(page.locator('[data-field="validity"]')).toContainText('2027-08-31');
  const require = page.locator('form[data-action="require_change"]');
  await require.getByLabel('I confirm').check();
  await require.getByRole('button').click();
  await expect(page.locator('#admin-done')).toContainText('Require a password change at next sign-in');
  await expect(page.locator('[data-field="must-change"]')).toBeVisible();

  // The user is made to change at the next sign-in.
  await signIn(userPage, user, NEW);
  await expect(userPage).toHaveURL(/\/account\/password$/);
  await expect(userPage.getByText('You must change your password before you continue.')).toBeVisible();
  await userPage.locator('#current_password').fill(NEW);
  await userPage.locator('#new_password').fill(NEWER);
  await userPage.locator('#confirm_password').fill(NEWER);
  await userPage.getByRole('button', { name: 'Submit' }).click();
  await expect(userPage).toHaveURL(/\/account\/password\/done$/);
  expect(errors).toEqual([]);

  // The audit log shows all of it, and exports it.
  await page.getByRole('link', { name: 'Audit log' }).first().click();
  await page.locator('#account').fill(user);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/audit\\?account=${user}`));
  for (const action of ['account.updated', 'admin.action', 'password.changed', 'sign_in']) {
    await expect(page.locator(`tr[data-action="${action}"]`).first()).toBeVisible();
  }
  const exported = await page.request.get((await page.locator('#export-csv').getAttribute('href'))!);
  expect(exported.status()).toBe(200);
  const text = await exported.text();
  expect(text).toContain(`${admin},${user},admin.action,success`);
  expect(text).toContain('require_change');
  expect(text).not.toContain(NEW);

  // The console in Traditional Chinese.
  await page.getByRole('link', { name: '繁體中文' }).click();
  await expect(page.getByRole('heading', { name: '審計紀錄' })).toBeVisible();
  await expect(page.getByRole('button', { name: '篩選' })).toBeVisible();
  await page.getByRole('link', { name: 'English' }).click();
});

test('a student gets no further than a refusal at /admin', async ({ page, browser }) => {
  const student = uniqueLogin('s');
  const studentPage = await newcomer(browser, student, createAccount(student));
  const response = await studentPage.goto('/admin');
  expect(response?.status()).toBe(403);
  await expect(studentPage.getByRole('alert')).toHaveText('You are not allowed to do this.');
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/login$/);
});
