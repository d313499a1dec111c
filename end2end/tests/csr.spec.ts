import { spawn, ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, expect, createAccount, uniqueLogin, mailTo, hydrated } from './fixtures';

/**
 * The static single-page bundle (`trunk build --release`, target/csr-dist)
 * served by a plain static file server on another origin, calling the
 * Gatehouse server functions over HTTP with CORS and the session cookie.
 */
const GATEHOUSE = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const PORT = Number(process.env.E2E_CSR_PORT ?? 3200);
const BUNDLE = `http://127.0.0.1:${PORT}`;
const DIST = resolve(__dirname, '../../target/csr-dist');
const NEW = 'Harbour7Lights';

let files: ChildProcess;

test.beforeAll(async () => {
  expect(existsSync(resolve(DIST, 'index.html')), `build the bundle first: ${DIST}`).toBe(true);
  files = spawn(
    resolve(__dirname, '../node_modules/.bin/sirv'),
    [DIST, '--single', '--quiet', '--host', '127.0.0.1', '--port', String(PORT)],
    { stdio: 'inherit' },
  );
  for (let i = 0; i < 100; i++) {
    const up = await fetch(BUNDLE).then((r) => r.ok, () => false);
    if (up) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the static file server did not start on ${BUNDLE}`);
});

test.afterAll(() => {
  files.kill();
});

test.use({ baseURL: BUNDLE });

test('the static bundle renders in the browser and signs in, changes the password and signs out through Gatehouse', async ({ page, request }) => {
  // What the file server sends is the bare index.html: no page is rendered
  // on a server, the wasm renders everything.
  const raw = await (await request.get(`${BUNDLE}/login`)).text();
  expect(raw).not.toContain('Login name');

  const calls: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/')) calls.push(r.url());
  });

  const login = uniqueLogin('s');
  const initial = createAccount(login);
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(initial);
  await page.getByRole('button', { name: 'Login', exact: true }).click();

  // The initial password must be changed: Gatehouse's redirect is followed
  // inside the bundle, which stays on its own origin.
  await expect(page).toHaveURL(`${BUNDLE}/account/password`);
  await expect(page.getByText('You must change your password before you continue.')).toBeVisible();
  await page.locator('#current_password').fill(initial);
  await page.locator('#new_password').fill(NEW);
  await page.locator('#confirm_password').fill(NEW);
  await expect(page.locator('li[data-rule="min_length"]')).toHaveAttribute('data-state', 'met');
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(`${BUNDLE}/account/password/done`);
  await expect(page.getByText('Your password has successfully been updated.')).toBeVisible();

  const mails = await mailTo(`${login}@example.edu`);
  expect(mails[0].subject).toContain('Your password was changed');

  await page.getByRole('link', { name: 'My Profile', exact: true }).click();
  await expect(page.locator('[data-field="login"]')).toHaveText(login);
  await page.getByRole('button', { name: 'Logout' }).click();
  await expect(page).toHaveURL(`${BUNDLE}/login`);

  // Signed out for real: the profile sends the bundle back to the sign-in page.
  await page.goto('/account');
  await expect(page).toHaveURL(`${BUNDLE}/login`);

  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(initial);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Invalid login name or password.');
  await page.locator('#password').fill(NEW);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page).toHaveURL(`${BUNDLE}/account`);
  await expect(page.locator('[data-field="login"]')).toHaveText(login);

  // Every server function call went to Gatehouse, none to the file server.
  expect(calls.length).toBeGreaterThan(4);
  for (const url of calls) expect(url.startsWith(`${GATEHOUSE}/api/`), url).toBe(true);
});
