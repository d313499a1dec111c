import { Page } from '@playwright/test';
import { test, expect, createAccount, uniqueLogin, hydrated, signIn } from './fixtures';

// The hydrated bundle is split (`cargo leptos build --split`): each page's
// view is a chunk of its own, `split_<loader>_<n>.<hash>.wasm`. The strength
// estimator is not in the bundle at all: the server estimates a new password
// once typing pauses. These stories run on the release build the test
// command makes.

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

/** The strength estimates the page asks the server for, from now on. */
function estimatesAsked(page: Page): string[] {
  const asked: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/strength') asked.push(request.method());
  });
  return asked;
}

test('the sign-in page fetches its own chunk and no other page\'s, and the server estimates a new password once typing pauses', async ({ page }) => {
  const fetched = wasmFetched(page);
  const asked = estimatesAsked(page);
  const login = uniqueLogin('s');
  const initial = createAccount(login);

  await page.goto('/login');
  await hydrated(page);
  expect(chunksOf(fetched, 'sign_in_page')).not.toHaveLength(0);
  for (const other of ['admin_home_page', 'security_info_page', 'mailbox_page', 'change_password_page']) {
    expect(chunksOf(fetched, other), other).toHaveLength(0);
  }

  await signIn(page, login, initial);
  await expect(page).toHaveURL(/\/account\/password$/);
  await hydrated(page);
  // The router fetches the page's chunk as it navigates.
  await expect.poll(() => chunksOf(fetched, 'change_password_page').length).toBeGreaterThan(0);
  // The checklist works at once; the meter waits for the server's estimate.
  await expect(page.locator('#strength-meter')).toBeHidden();
  const before = fetched.length;

  await page.locator('#new_password').pressSequentially('Harbour7Lights');
  await expect(page.locator('li[data-rule="min_length"]')).toHaveAttribute('data-state', 'met');
  await expect(page.locator('#strength-meter')).toBeVisible();
  await expect(page.locator('.strength-text')).toHaveAttribute('data-strength', /^[0-4]$/);
  // One estimate per pause, not one per keystroke, and no estimator fetched.
  expect(asked.length).toBeGreaterThan(0);
  expect(asked.length).toBeLessThan('Harbour7Lights'.length);
  expect(asked.every((method) => method === 'POST')).toBe(true);
  expect(fetched.slice(before)).toEqual([]);

  // The estimate follows what is typed, not an earlier password.
  await page.locator('#new_password').fill('');
  await page.locator('#new_password').pressSequentially('Password123');
  await expect(page.locator('.strength-text')).toHaveAttribute('data-strength', /^[0-1]$/);
});
