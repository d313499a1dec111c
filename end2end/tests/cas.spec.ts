import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test, expect, createAccount, uniqueLogin, hydrated, changeInitialPassword } from './fixtures';

const GATEHOUSE = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const PORT = Number(process.env.E2E_ESERVICE_PORT ?? 3100);
const SERVICE = `http://127.0.0.1:${PORT}/`;
const NEW = 'Harbour7Lights';

/**
 * A small e-service that trusts Gatehouse (a test fixture, not part of the
 * product): it sends the browser to /cas/login, and validates the ticket it
 * gets back, server to server, with /cas/p3/serviceValidate.
 */
let eservice: http.Server;

test.beforeAll(async () => {
  eservice = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', SERVICE);
    const ticket = url.searchParams.get('ticket');
    if (url.pathname !== '/') {
      res.writeHead(204).end();
    } else if (!ticket) {
      res.writeHead(302, { Location: `${GATEHOUSE}/cas/login?service=${encodeURIComponent(SERVICE)}` }).end();
    } else {
      const check = await fetch(`${GATEHOUSE}/cas/p3/serviceValidate?format=JSON&service=${encodeURIComponent(SERVICE)}&ticket=${encodeURIComponent(ticket)}`);
      const answer = (await check.json()).serviceResponse;
      const ok = answer.authenticationSuccess;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        ok
          ? `<!DOCTYPE html><title>Demo e-Service</title><h1>Demo e-Service</h1><p id="user">${ok.user}</p><p id="name">${ok.attributes.display_name[0]}</p><p id="role">${ok.attributes.role[0]}</p>`
          : `<!DOCTYPE html><title>Demo e-Service</title><p id="failure">${answer.authenticationFailure.code}</p>`,
      );
    }
  });
  await new Promise<void>((done) => eservice.listen(PORT, '127.0.0.1', done));
});

test.afterAll(async () => {
  await new Promise((done) => eservice.close(done));
});

const login = uniqueLogin('s');

test('an e-service signs its user in through Gatehouse without seeing the password', async ({ page }) => {
  const initial = createAccount(login);
  await page.goto(SERVICE);
  await expect(page).toHaveURL(/\/login\?service=/);
  await hydrated(page);
  await expect(page.locator('#cas-service')).toContainText('You are signing in to Demo e-Service');
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(initial);
  await page.getByRole('button', { name: 'Login', exact: true }).click();

  // An initial password is changed first; no ticket before that.
  await changeInitialPassword(page, initial, NEW);

  // Back to the e-service: single sign-on, no password asked.
  await page.goto(SERVICE);
  await expect(page.locator('#user')).toHaveText(login);
  await expect(page.locator('#name')).toHaveText('Chan Tai Man');
  await expect(page.locator('#role')).toHaveText('student');

  // Logout at Gatehouse ends it: the e-service must send the user to sign in again.
  await page.goto(`${GATEHOUSE}/cas/logout?service=${encodeURIComponent(SERVICE)}`);
  await expect(page).toHaveURL(/\/login\?service=/);
  await hydrated(page);
  await page.getByLabel('Login name').fill(login);
  await page.locator('#password').fill(NEW);
  await page.getByRole('button', { name: 'Login', exact: true }).click();
  await expect(page.locator('#user')).toHaveText(login);
});

test('a CAS client library from PyPI validates Gatehouse tickets', async () => {
  const python = resolve(__dirname, '../.venv/bin/python');
  const out = execFileSync(python, [resolve(__dirname, 'cas_client.py'), GATEHOUSE, SERVICE, login, NEW], { encoding: 'utf8' });
  const result = JSON.parse(out);
  expect(result.user).toBe(login);
  expect(result.attributes.email).toBe(`${login}@example.edu`);
  expect(result.attributes.isFromNewLogin).toBe('true');
  expect(result.reused).toBeNull();
});
