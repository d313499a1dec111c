#!/usr/bin/env bash
# Runs every test: the policy crate's unit and property tests, the app's unit
# tests, the server's integration tests, and the Playwright end-to-end tests
# in Debian's Chromium. Installs what is missing first (idempotent).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

bash scripts/setup.sh
# One-off builds gain nothing from incremental data, which is large here.
export CARGO_INCREMENTAL=0

# A real SMTP server for the tests that send mail (maildev: SMTP plus a REST
# API the tests read messages from). Ports are picked free.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
smtp_port=$(free_port)
maildev_port=$(free_port)
e2e_dir="$(mktemp -d)"
node end2end/node_modules/maildev/bin/maildev --ip 127.0.0.1 --smtp "$smtp_port" --web "$maildev_port" \
  --silent >"$e2e_dir/maildev.log" 2>&1 &
maildev_pid=$!
trap 'kill "$maildev_pid" 2>/dev/null || true; rm -rf "$e2e_dir"' EXIT
export E2E_SMTP_PORT="$smtp_port"
export E2E_MAILDEV_API="http://127.0.0.1:$maildev_port"
for _ in $(seq 1 100); do
  curl -sf "$E2E_MAILDEV_API/email" >/dev/null && break
  sleep 0.1
done

echo "== formatting (cargo fmt --check)"
cargo fmt --all --check

echo "== lints (cargo clippy -D warnings: the server build, then the two browser builds)"
# Every feature set that builds: the server's (`app/ssr`, with the tests),
# the hydrated bundle's and the static bundle's. It enforces the
# `deny(clippy::unwrap_used, clippy::expect_used)` the crates declare.
cargo clippy --workspace --exclude frontend --all-targets --features app/ssr -- -D warnings
for bundle in hydrate csr; do
  cargo clippy -p frontend --target wasm32-unknown-unknown --features "$bundle" -- -D warnings
done

echo "== unit, property and integration tests (SQLite)"
# `frontend` is left out: it is only the wasm entry points (its `hydrate`
# and `csr` features cannot share one build with the server's `ssr`). The SMTP test is
# marked ignored for a plain `cargo test` (it needs maildev): included here.
cargo test --workspace --exclude frontend -- --include-ignored --skip pg_instances \
  --skip both_migration_folders_make_the_same_schema

echo "== integration tests again on PostgreSQL, two instances sharing it, and the two schemas compared"
pg_url="${TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"
if psql "$pg_url" -Atc 'select 1' >/dev/null 2>&1; then
  TEST_POSTGRES_URL="$pg_url" cargo test -p server --test api --test instances \
    -p gatehouse-store --test parity -- --include-ignored
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is not reachable at $pg_url: under CI the PostgreSQL half must run" >&2
  exit 1
else
  echo "PostgreSQL is not reachable at $pg_url: the PostgreSQL half is skipped"
fi

echo "== the static single-page bundle (Trunk), for its end-to-end test"
# Served by a plain static file server on its own port (started by the
# Playwright test), calling the Gatehouse below.
export E2E_CSR_PORT="${E2E_CSR_PORT:-3200}"
CSR_API_URL="http://127.0.0.1:3000" bash scripts/build-csr.sh

# The end-to-end tests' set-up. The e-services the CAS stories sign in to (test fixtures the Playwright
# tests start on these ports: a Node one, and a PHP one using phpCAS) are
# registered like any other, and the static bundle's origin is trusted like
# any other. `**` matches any path below the origin.
export E2E_ESERVICE_PORT="${E2E_ESERVICE_PORT:-3100}"
export E2E_PHPCAS_PORT="${E2E_PHPCAS_PORT:-3110}"
# The OpenID Connect e-service (authlib, started by its Playwright test);
# Gatehouse reads its client secret from the environment.
export E2E_OIDC_PORT="${E2E_OIDC_PORT:-3120}"
export E2E_OIDC_SECRET="oidc-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
cat >"$e2e_dir/gatehouse.toml" <<TOML
[[cas.services]]
name = "Demo e-Service"
url_pattern = "http://127.0.0.1:$E2E_ESERVICE_PORT/**"
attributes = ["display_name", "email", "role"]

[[cas.services]]
name = "PHP e-Service"
url_pattern = "http://127.0.0.1:$E2E_PHPCAS_PORT/**"
attributes = ["display_name", "email", "role"]
single_logout = true

[[oidc.clients]]
client_id = "oidc-demo"
name = "OIDC e-Service"
secret_env = "E2E_OIDC_SECRET"
redirect_uris = ["http://127.0.0.1:$E2E_OIDC_PORT/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:$E2E_OIDC_PORT/bye"]
backchannel_logout_uri = "http://127.0.0.1:$E2E_OIDC_PORT/backchannel"
scopes = ["openid", "profile", "email", "roles"]
refresh_tokens = true

[cors]
allowed_origins = ["http://127.0.0.1:$E2E_CSR_PORT"]
TOML
export GATEHOUSE_CONFIG="$e2e_dir/gatehouse.toml"
export GATEHOUSE_MODE=test
export GATEHOUSE_SECRET_KEY="e2e-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
export GATEHOUSE_DATABASE_URL="sqlite://$e2e_dir/gatehouse.db"
export GATEHOUSE_MAIL__TRANSPORT=smtp
export GATEHOUSE_MAIL__SMTP__HOST=127.0.0.1
export GATEHOUSE_MAIL__SMTP__PORT="$smtp_port"
export GATEHOUSE_MAIL__SMTP__TLS=none
export GATEHOUSE_SMS__OUTBOX_DIR="$e2e_dir/sms"
export GATEHOUSE_LISTEN="127.0.0.1:3000"
# Test-mode settings: a CAPTCHA the tests can answer, codes that expire in
# seconds so the expiry story runs quickly, a short cooldown.
export GATEHOUSE_CAPTCHA__FIXED_ANSWER=KX7PR
export GATEHOUSE_RECOVERY__CODE_LIFETIME_SECONDS=15
export GATEHOUSE_RECOVERY__RESEND_COOLDOWN_SECONDS=2
export GATEHOUSE_RECOVERY__SEND_FLOOR_MS=200
export E2E_GATEHOUSE_BIN="$PWD/target/debug/gatehouse"
export RUST_LOG="${RUST_LOG:-warn}"
# The browser half as it ships: release, split into chunks, its files named
# by their hashes and precompressed. The pages' wasm must stay within its
# budget; the end-to-end tests then run on this very bundle, served by the
# debug server (which the Rust tests built already), reading the hash list
# of the release build.
echo "== the hydrated bundle as it ships (release, split) and its size"
LEPTOS_HASH_FILES=true cargo leptos build --release --split --precompress --frontend-only
bash scripts/bundle-size.sh --no-build --check
cp target/release/hash.txt target/debug/hash.txt
echo "== end-to-end tests (cargo leptos end-to-end, Playwright)"
LEPTOS_HASH_FILES=true cargo leptos end-to-end --server-only
