import { Page } from '@playwright/test';
import { test, expect, createAccount, uniqueLogin, hydrated, signIn } from './fixtures';

// The hydrated bundle is split (`cargo leptos build --split`): each page's
// view is a chunk of its own, `split_<loader>_<n>.<hash>.wasm`, and the
// strength estimator another, loaded at the first character of a new
// password. These stories run on the release build the test command makes.

/** The WebAssembly files the page fetches from now on, by name. */
function wasmFetched(page: Page): string[] {
  const names: string[] = [];
  page.on('response', (response) => {
    const name = new URL(response.url()).pathname.match(/\/pkg\/([^/]+\.wasm)$/)?.[1];
    if (name) names.push(name);
  });
  return names;
}

const chunksOf = (names: string[], loader: string) =>
  names.filter((name) => name.startsWith(`split_${loader}_`));

test('the sign-in page fetches its own chunk and no other page\'s, and the estimator comes with the first character of a new password', async ({ page }) => {
  const fetched = wasmFetched(page);
  const login = uniqueLogin('s');
  const initial = createAccount(login);

  await page.goto('/login');
  await hydrated(page);
  expect(chunksOf(fetched, 'sign_in_page')).not.toHaveLength(0);
  for (const other of ['admin_home_page', 'security_info_page', 'mailbox_page', 'change_password_page', 'estimate']) {
    expect(chunksOf(fetched, other), other).toHaveLength(0);
  }

  await signIn(page, login, initial);
  await expect(page).toHaveURL(/\/account\/password$/);
  await hydrated(page);
  // The router fetches the page's chunk as it navigates.
  await expect.poll(() => chunksOf(fetched, 'change_password_page').length).toBeGreaterThan(0);
  // The checklist works at once; the meter waits for the estimator.
  expect(chunksOf(fetched, 'estimate')).toHaveLength(0);
  await expect(page.locator('#strength-meter')).toBeHidden();

  await page.locator('#new_password').pressSequentially('Harbour7Lights');
  await expect(page.locator('li[data-rule="min_length"]')).toHaveAttribute('data-state', 'met');
  await expect(page.locator('#strength-meter')).toBeVisible();
  await expect(page.locator('.strength-text')).toHaveAttribute('data-strength', /^[0-4]$/);
  expect(chunksOf(fetched, 'estimate')).not.toHaveLength(0);

  // The estimate follows what is typed, not an earlier password.
  await page.locator('#new_password').fill('');
  await page.locator('#new_password').pressSequentially('Password123');
  await expect(page.locator('.strength-text')).toHaveAttribute('data-strength', /^[0-1]$/);
});
