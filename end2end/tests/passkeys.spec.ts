import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { CDPSession, Page } from '@playwright/test';
import { test, expect, createAccount, uniqueLogin, mailTo, hydrated, signIn, changeInitialPassword, axe } from './fixtures';

/**
 * Passkeys need a domain name (WebAuthn refuses an IP address as the
 * relying party), so these stories run against a second Gatehouse on the
 * same database, whose public address is `localhost`. Chromium's own
 * virtual authenticator (DevTools' WebAuthn domain) plays the passkey: a
 * platform authenticator that keeps discoverable credentials and verifies
 * its user.
 */
const PORT = Number(process.env.E2E_PASSKEY_PORT ?? 3300);
const PORTAL = `http://localhost:${PORT}`;
const NEW = 'Harbour7Lights';

let portal: ChildProcess | undefined;

test.beforeAll(async () => {
  const root = resolve(__dirname, '../..');
  const binary = process.env.E2E_GATEHOUSE_BIN ?? resolve(root, 'target/debug/gatehouse');
  // The site as cargo-leptos built it, without its settings for the
  // first server (its address).
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('LEPTOS_')) delete env[name];
  portal = spawn(binary, ['serve'], {
    cwd: root,
    env: {
      ...env,
      GATEHOUSE_LISTEN: `127.0.0.1:${PORT}`,
      GATEHOUSE_PUBLIC_URL: PORTAL,
      GATEHOUSE_SITE_ROOT: resolve(root, 'target/site'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/login`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the passkey portal did not start on port ${PORT}`);
});

test.afterAll(() => {
  portal?.kill();
});

test.use({ baseURL: PORTAL });

/**
 * Chromium's virtual authenticator answers the login name's autofill
 * request (`mediation: "conditional"`) at once, as if the user had picked
 * the passkey there. Stories that use the button or the password turn the
 * autofill request off first; one story checks the autofill itself.
 */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Logout' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test('a user adds a passkey, signs in with it alone and as the second step, and removes it', async ({ page }) => {
  test.setTimeout(120_000);
  await withoutAutofill(page);
  const { cdp, id } = await virtualAuthenticator(page);
  const login = uniqueLogin('p');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);

  // Security info: name the key, then the browser makes it.
  await page.goto('/account/security-info');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Passkeys and security keys' })).toBeVisible();
  await expect(page.locator('#no-passkeys')).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Laptop');
  await page.getByRole('button', { name: 'Add a passkey or security key' }).click();
  const row = page.locator('tr[data-passkey="Laptop"]');
  await expect(row).toBeVisible();
  await expect(row).toContainText('Never');
  await expect(page.locator('tr[data-method="passkey"] [data-default="true"]')).toBeVisible();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
  expect(credentials.length).toBe(1);
  expect(credentials[0].isResidentCredential).toBe(true);
  await expect.poll(async () => (await mailTo(`${login}@example.edu`)).some((m) => m.text.includes('a passkey or security key was added'))).toBe(true);

  // Renamed, without any ceremony.
  await row.getByRole('textbox').fill('Work laptop');
  await row.getByRole('button', { name: 'Save name' }).click();
  await expect(page.locator('tr[data-passkey="Work laptop"]')).toBeVisible();

  // Signing in with the passkey alone: no login name, no password.
  await logOut(page);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(login).first()).toBeVisible();

  // 2-step verification on: after the password, the passkey is asked first.
  await page.goto('/account/security-info');
  await hydrated(page);
  await page.locator('#two-step-toggle').click();
  await expect(page.locator('#two-step-status')).toHaveAttribute('data-on', 'true');
  await logOut(page);
  await signIn(page, login, NEW);
  await expect(page).toHaveURL(/\/login\/verify$/);
  await hydrated(page);
  await expect(page.locator('#second-step-prompt')).toHaveAttribute('data-method', 'passkey');
  await page.getByRole('button', { name: 'Use my passkey' }).click();
  await expect(page).toHaveURL(/\/account$/);

  // Removed (2-step verification off first: it was the only method).
  await page.goto('/account/security-info');
  await hydrated(page);
  await page.locator('#two-step-toggle').click();
  await expect(page.locator('#two-step-status')).toHaveAttribute('data-on', 'false');
  await page.locator('tr[data-passkey="Work laptop"]').getByRole('button', { name: 'Remove' }).click();
  await expect(page.locator('#no-passkeys')).toBeVisible();
  await expect.poll(async () => (await mailTo(`${login}@example.edu`)).some((m) => m.text.includes('a passkey or security key was removed'))).toBe(true);

  // The authenticator still holds the key; the portal no longer takes it.
  await logOut(page);
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByText('That passkey was not accepted.')).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

for (const lang of ['en', 'zh-Hant']) {
  test(`the passkey pages pass the accessibility checks in ${lang}`, async ({ page, context }) => {
    test.setTimeout(90_000);
    await context.addCookies([{ name: 'gatehouse_lang', value: lang, url: PORTAL }]);
    await withoutAutofill(page);
    await virtualAuthenticator(page);
    const login = uniqueLogin('a');
    const initial = createAccount(login);
    await page.goto('/login');
    await hydrated(page);
    await expect(page.locator('#passkey-sign-in-button')).toBeVisible();
    await axe(page, 'sign-in with a passkey button', lang);
    await page.locator('#login').fill(login);
    await page.locator('#password').fill(initial);
    await page.locator('#sign-in-form button[type="submit"]').click();
    await expect(page).toHaveURL(/\/account\/password$/);
    await page.locator('#current_password').fill(initial);
    await page.locator('#new_password').fill(NEW);
    await page.locator('#confirm_password').fill(NEW);
    await page.locator('#change-password-form button[type="submit"]').first().click();
    await expect(page).toHaveURL(/\/account\/password\/done$/);

    await page.goto('/account/security-info');
    await hydrated(page);
    await expect(page.locator('#passkey-add')).toBeVisible();
    await axe(page, 'security info, no passkey yet', lang);
    await page.locator('#passkey-name').fill('YubiKey');
    await page.locator('#passkey-add').click();
    await expect(page.locator('tr[data-passkey="YubiKey"]')).toBeVisible();
    await axe(page, 'security info, a passkey listed', lang);
    await page.locator('#two-step-toggle').click();
    await expect(page.locator('#two-step-status')).toHaveAttribute('data-on', 'true');

    await page.locator('.account-nav button[type="submit"]').click();
    await expect(page).toHaveURL(/\/login$/);
    await hydrated(page);
    await page.locator('#login').fill(login);
    await page.locator('#password').fill(NEW);
    await page.locator('#sign-in-form button[type="submit"]').click();
    await expect(page).toHaveURL(/\/login\/verify$/);
    await hydrated(page);
    await expect(page.locator('#passkey-step-button')).toBeVisible();
    await axe(page, 'second step, passkey', lang);
  });
}

test('the login name\'s autofill offers the passkey, and picking it signs in', async ({ page }) => {
  test.setTimeout(90_000);
  await virtualAuthenticator(page);
  const login = uniqueLogin('c');
  const initial = createAccount(login);
  // No passkey yet: the autofill request waits, and the password signs in.
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);
  await page.goto('/account/security-info');
  await hydrated(page);
  await page.locator('#passkey-name').fill('Phone');
  await page.locator('#passkey-add').click();
  await expect(page.locator('tr[data-passkey="Phone"]')).toBeVisible();
  await logOut(page);
  // The login page's autofill request: the authenticator answers it.
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(login).first()).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('no passkey button is shown, and signing in with the password works as before', async ({ page }) => {
    const login = uniqueLogin('q');
    const initial = createAccount(login);
    await page.goto('/login');
    await expect(page.locator('#passkey-sign-in')).toBeHidden();
    await page.getByLabel('Login name').fill(login);
    await page.locator('#password').fill(initial);
    await page.getByRole('button', { name: 'Login', exact: true }).click();
    await expect(page).toHaveURL(/\/account\/password$/);
  });
});
