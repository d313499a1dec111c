#!/usr/bin/env bash
# Installs everything Gatehouse needs to build and test on a fresh machine.
# Idempotent: each step checks first and does nothing when already satisfied.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

CARGO_LEPTOS_VERSION=0.3.11
# The last Trunk that builds with this machine's rustc (0.22 needs 1.96).
TRUNK_VERSION=0.21.14
# Must equal the exact `wasm-bindgen` pin in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[setup] %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  log "installing Debian's chromium (browser for the end-to-end tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads)"
  # Its lock file pins cargo-util-schemas 0.14.2, which needs a newer rustc
  # than this machine's; 0.14.1 is API-compatible and builds here.
  work=$(mktemp -d)
  cargo info "cargo-leptos@$CARGO_LEPTOS_VERSION" >/dev/null 2>&1 || true
  src=$(ls -d "$HOME"/.cargo/registry/src/*/cargo-leptos-"$CARGO_LEPTOS_VERSION" | head -n1)
  cp -r "$src" "$work/cargo-leptos"
  (cd "$work/cargo-leptos" \
    && cargo update -p cargo-util-schemas --precise 0.14.1 \
    && cargo install --path . --locked --features no_downloads --force)
  rm -rf "$work"
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (the static single-page bundle)"
  # Without the default update check, which asks crates.io at every start.
  cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls --force
fi

if [ ! -x end2end/node_modules/.bin/playwright ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  log "installing end-to-end test packages (Playwright, binaryen's wasm-opt, maildev, sirv)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# A CAS client library nobody here wrote (python-cas, from PyPI), for the
# test that checks Gatehouse's CAS server against it.
if ! end2end/.venv/bin/python -c 'import cas' 2>/dev/null; then
  log "installing python-cas for the CAS client test"
  python3 -m venv end2end/.venv
  end2end/.venv/bin/pip install --quiet --disable-pip-version-check python-cas==1.7.2
fi

log "ready"
