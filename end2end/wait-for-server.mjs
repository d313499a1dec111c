// Waits until the server answers /healthz (cargo leptos starts it just before the tests).
const url = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3000') + '/healthz';
const deadline = Date.now() + 120_000;
while (Date.now() < deadline) {
  try {
    const response = await fetch(url);
    if (response.ok) process.exit(0);
  } catch {
    // not up yet
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.error(`Gatehouse did not answer at ${url} within 120 s`);
process.exit(1);
