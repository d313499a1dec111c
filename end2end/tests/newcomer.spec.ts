import { test, expect, createAccount, uniqueLogin, mailTo, hydrated, signIn } from './fixtures';

const NEW = 'Harbour7Lights';

test('a newcomer signs in, is made to change the initial password, and signs in again with the new one', async ({ page }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);

  await signIn(page, login, initial);
  await expect(page).toHaveURL(/\/account\/password$/);
  await expect(page.getByText('You must change your password before you continue.')).toBeVisible();
  await hydrated(page);

  // The checklist reacts to every keystroke.
  const minLength = page.locator('li[data-rule="min_length"]');
  const upper = page.locator('li[data-rule="class_upper"]');
  const newField = page.locator('#new_password');
  await expect(minLength).toHaveAttribute('data-state', 'untouched');
  await newField.pressSequentially('harbour7');
  await expect(minLength).toHaveAttribute('data-state', 'unmet');
  await expect(upper).toHaveAttribute('data-state', 'unmet');
  await newField.fill('');
  await newField.pressSequentially(NEW);
  await expect(minLength).toHaveAttribute('data-state', 'met');
  await expect(upper).toHaveAttribute('data-state', 'met');
  await expect(page.locator('li[data-rule="not_recent"]')).toHaveAttribute('data-state', 'pending');

  await page.locator('#current_password').fill(initial);
  await page.locator('#confirm_password').fill(NEW);
  await expect(page.locator('[data-match="yes"]')).toBeVisible();
  await page.getByRole('button', { name: 'Submit' }).click();

  await expect(page).toHaveURL(/\/account\/password\/done$/);
  await expect(page.getByText('Your password has successfully been updated.')).toBeVisible();

  const mails = await mailTo(`${login}@example.edu`);
  expect(mails).toHaveLength(1);
  expect(mails[0].subject).toContain('Your password was changed');
  expect(mails[0].text).toContain('/forgot-password');
  expect(mails[0].text).not.toContain(NEW);

  await page.getByRole('button', { name: 'Logout' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await signIn(page, login, initial);
  await expect(page.getByRole('alert')).toHaveText('Invalid login name or password.');
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator('[data-field="login"]')).toHaveText(login);
});

test('a policy violation shows in the checklist before submitting, and the server refuses it too', async ({ page }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await expect(page).toHaveURL(/\/account\/password$/);
  await hydrated(page);

  await page.locator('#new_password').pressSequentially('short$pw');
  await expect(page.locator('li[data-rule="min_length"]')).toHaveAttribute('data-state', 'unmet');
  await expect(page.locator('li[data-rule="no_forbidden_chars"]')).toHaveAttribute('data-state', 'unmet');
  await expect(page.locator('#strength-meter')).toBeVisible();

  await page.locator('#current_password').fill(initial);
  await page.locator('#confirm_password').fill('short$pw');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page.locator('#new_password-error')).toContainText('At least 10 characters long');
  await expect(page).toHaveURL(/\/account\/password$/);
});

test('the password field can be shown and hidden, and Reset clears the form', async ({ page }) => {
  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await expect(page).toHaveURL(/\/account\/password$/);
  await hydrated(page);

  const field = page.locator('#new_password');
  await field.fill(NEW);
  await expect(field).toHaveAttribute('type', 'password');
  await page.locator('button[aria-controls="new_password"]').click();
  await expect(field).toHaveAttribute('type', 'text');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(field).toHaveValue('');
  await expect(page.locator('li[data-rule="min_length"]')).toHaveAttribute('data-state', 'untouched');
});

test('Caps Lock shows a warning on the password field', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  const warning = page.locator('#password-caps');
  await expect(warning).toBeHidden();
  const field = page.locator('#password');
  // Headless Chromium has no real Caps Lock key state; the event carries it.
  await field.dispatchEvent('keydown', { key: 'A', modifierCapsLock: true });
  await expect(warning).toBeVisible();
  await expect(warning).toHaveText('Caps Lock is on.');
  await field.dispatchEvent('keyup', { key: 'a', modifierCapsLock: false });
  await expect(warning).toBeHidden();
});

test('the language switch turns every string to Traditional Chinese and is remembered', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: '繁體中文' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('登入');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('登入');
  await expect(page.getByText('密碼區分大小寫')).toBeVisible();
  await page.getByRole('link', { name: 'English' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Login');
});
