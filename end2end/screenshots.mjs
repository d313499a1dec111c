// Takes the README's screenshots from a running Gatehouse in test mode (the
// CAPTCHA's fixed answer, maildev as its SMTP server): the environment
// scripts/test.sh exports, with the server up. Not a test; run it by hand
// (Chinese text needs a CJK font: Debian's fonts-noto-cjk):
//   node end2end/screenshots.mjs   → docs/screenshots/*.png
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const base = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const out = resolve(here, '../docs/screenshots');
const binary = process.env.E2E_GATEHOUSE_BIN ?? resolve(here, '../target/debug/gatehouse');
const captcha = process.env.GATEHOUSE_CAPTCHA__FIXED_ANSWER ?? '';
const login = `s${Date.now().toString(36)}`;
execFileSync(binary, ['account', 'create', '--login', login, '--name', 'Chan Tai Man', '--role', 'student', '--email', `${login}@example.edu`]);

const desktop = { viewport: { width: 1280, height: 900 } };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });

async function shoot(device, lang, path, name, before) {
  const context = await browser.newContext(device);
  await context.addCookies([{ name: 'gatehouse_lang', value: lang, url: base }]);
  const page = await context.newPage();
  await page.goto(base + path);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  if (before) await before(page);
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: device === desktop });
  await context.close();
}

const toCodeStep = async (page) => {
  await page.locator('#login').fill(login);
  await page.locator('#captcha').fill(captcha);
  await page.locator('#recovery-identify button[type="submit"]').click();
  await page.locator('#recovery-channel button[type="submit"]').click();
  await page.locator('#recovery-code').waitFor();
};

await shoot(desktop, 'en', '/login', 'login-desktop-en');
await shoot(phone, 'zh-Hant', '/login', 'login-phone-zh');
await shoot(phone, 'en', '/forgot-password', 'reset-code-phone-en', toCodeStep);
await shoot(desktop, 'zh-Hant', '/forgot-password', 'reset-code-desktop-zh', toCodeStep);
await shoot(desktop, 'en', '/help', 'help-desktop-en');
await shoot(phone, 'zh-Hant', '/help', 'help-phone-zh');
await shoot(phone, 'en', '/forgot-login-name', 'login-name-phone-en');
await browser.close();
console.log(`screenshots in ${out}`);
