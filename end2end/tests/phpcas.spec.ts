import { spawn, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test, expect, createAccount, uniqueLogin, hydrated, signIn, changeInitialPassword } from './fixtures';

/**
 * A second CAS client nobody here wrote: phpCAS (Debian's php-cas), in a
 * small PHP e-service (tests/phpcas/index.php) served by PHP's built-in
 * server. It redirects to /cas/login, and validates the ticket it gets back
 * with /cas/p3/serviceValidate (CAS 3.0), reading the released attributes.
 */
const GATEHOUSE = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const PORT = Number(process.env.E2E_PHPCAS_PORT ?? 3110);
const ORIGIN = `http://127.0.0.1:${PORT}`;
// The service URL phpCAS sends for its front page (the ticket left out).
const SERVICE = `${ORIGIN}/`;
const NEW = 'Harbour7Lights';

let php: ChildProcess;
let sessions: string;

test.beforeAll(async () => {
  sessions = mkdtempSync(join(tmpdir(), 'gatehouse-phpcas-'));
  php = spawn('php', ['-q', '-S', `127.0.0.1:${PORT}`, '-t', resolve(__dirname, 'phpcas')], {
    env: { ...process.env, E2E_BASE_URL: GATEHOUSE, E2E_PHPCAS_PORT: String(PORT), PHPCAS_SERVICE_BASE: ORIGIN, PHPCAS_SESSION_DIR: sessions },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    // Any answer will do (it is a redirect to Gatehouse).
    const up = await fetch(SERVICE, { redirect: 'manual' }).then(() => true, () => false);
    if (up) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the PHP e-service did not start on ${ORIGIN} (is php-cli installed?)`);
});

test.afterAll(() => {
  php?.kill();
  if (sessions) rmSync(sessions, { recursive: true, force: true });
});

test('phpCAS sends a signed-out user to Gatehouse, and the sign-in there back', async ({ page }) => {
  const login = uniqueLogin('p');
  const initial = createAccount(login);
  // The initial password is changed first, then the browser forgets Gatehouse.
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);
  await page.context().clearCookies();

  await page.goto(SERVICE);
  await expect(page).toHaveURL(/\/login\?service=/);
  expect(new URL(page.url()).searchParams.get('service')).toBe(SERVICE);
  await hydrated(page);
  await expect(page.locator('#cas-service')).toContainText('You are signing in to PHP e-Service');
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(NEW);
  await page.getByRole('button', { name: 'Login', exact: true }).click();

  await expect(page.locator('#user')).toHaveText(login);
  await expect(page).toHaveURL(SERVICE);
  await expect(page.locator('#from-new-login')).toHaveText('true');
});

test('phpCAS signs a Gatehouse user in by single sign-on, and its ticket is good once', async ({ page, browser }) => {
  const login = uniqueLogin('p');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);

  // The ticket as Gatehouse hands it to the e-service, in the browser's address.
  const tickets: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    const ticket = url.searchParams.get('ticket');
    if (url.origin === ORIGIN && ticket) tickets.push(ticket);
  });

  await page.goto(SERVICE);
  await expect(page.locator('#user')).toHaveText(login);
  await expect(page.locator('#name')).toHaveText('Chan Tai Man');
  await expect(page.locator('#email')).toHaveText(`${login}@example.edu`);
  await expect(page.locator('#role')).toHaveText('student');
  await expect(page.locator('#from-new-login')).toHaveText('false');
  // phpCAS takes the ticket out of the address once it has validated it.
  await expect(page).toHaveURL(SERVICE);

  expect(tickets).toHaveLength(1);
  const [ticket] = tickets;
  // CAS 3.0 section 3.7: letters, digits and the hyphen only.
  expect(ticket).toMatch(/^ST-[A-Za-z0-9]{43}$/);

  // Replayed, server to server: refused.
  const again = await fetch(
    `${GATEHOUSE}/cas/p3/serviceValidate?service=${encodeURIComponent(SERVICE)}&ticket=${encodeURIComponent(ticket)}`,
  );
  const xml = await again.text();
  expect(xml).toContain('<cas:authenticationFailure code="INVALID_TICKET"');
  expect(xml).not.toContain('authenticationSuccess');

  // Replayed through phpCAS, in a browser with no session at the e-service: refused too.
  const other = await browser.newContext();
  try {
    const stranger = await other.newPage();
    await stranger.goto(`${SERVICE}?ticket=${encodeURIComponent(ticket)}`);
    await expect(stranger.locator('h1')).toHaveText('CAS Authentication failed!');
    await expect(stranger.locator('#user')).toHaveCount(0);
  } finally {
    await other.close();
  }
});

test('signing out of Gatehouse signs the user out of the phpCAS e-service too (single logout)', async ({ page }) => {
  const login = uniqueLogin('p');
  const initial = createAccount(login);
  await signIn(page, login, initial);
  await changeInitialPassword(page, initial, NEW);
  await page.goto(SERVICE);
  await expect(page.locator('#user')).toHaveText(login);

  // Gatehouse posts phpCAS a SAML LogoutRequest, server to server; phpCAS
  // ends its own session, so the e-service sends the browser to sign in.
  await page.goto(`${GATEHOUSE}/cas/logout`);
  await expect(page).toHaveURL(/\/login$/);
  await expect
    .poll(async () => {
      await page.goto(SERVICE);
      return new URL(page.url()).pathname;
    })
    .toBe('/login');
  await expect(page.locator('#user')).toHaveCount(0);
});
