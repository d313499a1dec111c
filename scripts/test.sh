#!/usr/bin/env bash
# Runs every test: the policy crate's unit and property tests, the app's unit
# tests, the server's integration tests, and the Playwright end-to-end tests
# in Debian's Chromium. Installs what is missing first (idempotent).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh
# One-off builds gain nothing from incremental data, which is large here.
export CARGO_INCREMENTAL=0

echo "== unit, property and integration tests"
# `frontend` is left out: it turns on the browser-only `hydrate` feature,
# which cannot share one build with the server's `ssr`.
cargo test --workspace --exclude frontend

echo "== end-to-end tests (cargo leptos end-to-end, Playwright)"
e2e_dir="$(mktemp -d)"
trap 'rm -rf "$e2e_dir"' EXIT
export GATEHOUSE_DATABASE_URL="sqlite://$e2e_dir/gatehouse.db"
export GATEHOUSE_MAIL__OUTBOX_DIR="$e2e_dir/outbox"
export GATEHOUSE_LISTEN="127.0.0.1:3000"
export E2E_GATEHOUSE_BIN="$PWD/target/debug/gatehouse"
export RUST_LOG="${RUST_LOG:-warn}"
cargo leptos end-to-end
