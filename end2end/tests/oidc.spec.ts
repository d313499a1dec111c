import { spawn, ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { test, expect, createAccount, uniqueLogin, hydrated, changeInitialPassword } from './fixtures';

const GATEHOUSE = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const PORT = Number(process.env.E2E_OIDC_PORT ?? 3120);
const RP = `http://127.0.0.1:${PORT}`;
const NEW = 'Harbour7Lights';

/**
 * The demo e-service of the OpenID Connect stories: a Python one built on
 * authlib (PyPI), registered with Gatehouse by scripts/test.sh as client
 * `oidc-demo` (a test fixture, not part of the product).
 */
let eservice: ChildProcess;

test.beforeAll(async () => {
  const python = resolve(__dirname, '../.venv/bin/python');
  const secret = process.env.E2E_OIDC_SECRET;
  if (!secret) throw new Error('E2E_OIDC_SECRET is not set (scripts/test.sh sets it)');
  eservice = spawn(python, [resolve(__dirname, 'oidc_eservice.py'), GATEHOUSE, String(PORT), 'oidc-demo', secret], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${RP}/status`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the OIDC e-service did not start');
});

test.afterAll(() => {
  eservice?.kill();
});

async function status(): Promise<Record<string, any>> {
  return (await fetch(`${RP}/status`)).json();
}

for (const javaScript of [true, false]) {
  test.describe(`with JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    test.use({ javaScriptEnabled: javaScript });

    test('an e-service built on an OpenID Connect library signs its user in, refreshes and signs out through Gatehouse', async ({ page }) => {
      const login = uniqueLogin('o');
      const initial = createAccount(login);
      await page.goto(`${RP}/`);
      await page.locator('#sign-in').click();
      await expect(page).toHaveURL(/\/login\?service=%2Foidc%2Fauthorize/);
      if (javaScript) await hydrated(page);
      await expect(page.locator('#cas-service')).toContainText('You are signing in to OIDC e-Service');
      await page.getByLabel('Login name').fill(login);
      await page.locator('#password').fill(initial);
      await page.getByRole('button', { name: 'Login', exact: true }).click();

      // An initial password is changed first; no code before that.
      await changeInitialPassword(page, initial, NEW);

      // Back to the e-service: single sign-on, no password asked.
      await page.goto(`${RP}/`);
      await page.locator('#sign-in').click();
      await expect(page.locator('#user')).toHaveText(login);
      await expect(page.locator('#name')).toHaveText('Chan Tai Man');
      await expect(page.locator('#email')).toHaveText(`${login}@example.edu`);
      const signedIn = (await status()).signed_in;
      expect(signedIn.claims.preferred_username).toBe(login);
      expect(signedIn.claims.amr).toEqual(['pwd']);
      expect(signedIn.claims.iss).toBe(GATEHOUSE);
      expect(signedIn.userinfo.sub).toBe(signedIn.claims.sub);
      expect(signedIn.userinfo.roles).toEqual(['student']);

      // My Profile lists the e-service under this session.
      await page.goto(`${GATEHOUSE}/account`);
      await expect(page.locator('#sessions tr[data-current="true"] td.services')).toHaveText('OIDC e-Service');
      await page.goto(`${RP}/`);
      await page.locator('#refresh').click();
      await expect(page.locator('#refreshed')).toHaveText(login);
      expect((await status()).refreshed.rotated).toBe(true);

      // Signing out at the e-service ends the Gatehouse session and its grant.
      await page.goto(`${RP}/`);
      await page.locator('#sign-out').click();
      await expect(page.locator('#bye')).toHaveText('Signed out');
      const signedOut = (await status()).signed_out;
      expect(signedOut.state).toBe('bye-state');
      expect(signedOut.refresh_refused).toBe('invalid_grant');
      // Gatehouse told the e-service, server to server, with a logout token.
      await expect.poll(async () => (await status()).backchannel?.sub).toBe(signedIn.claims.sub);
      await page.goto(`${GATEHOUSE}/account`);
      await expect(page).toHaveURL(/\/login/);
      const last = await status();
      expect(last.failure).toBeUndefined();
      expect(last.backchannel_failure).toBeUndefined();
    });
  });
}

test('an unregistered return address is refused on a Gatehouse page, never redirected to', async () => {
  const answer = await fetch(
    `${GATEHOUSE}/oidc/authorize?client_id=oidc-demo&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://evil.example/cb')}`,
    { redirect: 'manual' },
  );
  expect(answer.status).toBe(400);
  expect(answer.headers.get('location')).toBeNull();
  expect(await answer.text()).toContain('<h1>Unknown e-service</h1>');
});
