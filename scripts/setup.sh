#!/usr/bin/env bash
# Installs everything Gatehouse needs to build and test on a fresh machine.
# Idempotent: each step checks first and does nothing when already satisfied.
#
#   bash scripts/setup.sh          what the tests need (the default)
#   bash scripts/setup.sh --demo   only what building and running the portal needs
set -euo pipefail

demo_only=false
if [ "${1:-}" = "--demo" ]; then
  demo_only=true
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

CARGO_LEPTOS_VERSION=0.3.11
# The last Trunk that builds with this machine's rustc (0.22 needs 1.96).
TRUNK_VERSION=0.21.14
# Must equal the exact `wasm-bindgen` pin in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$cargo_home/bin:$HOME/.cargo/bin:$PATH"

log() { printf '[setup] %s\n' "$*"; }

if ! $demo_only; then
  # From Debian's packages: chromium (the browser for the end-to-end tests);
  # PHP with phpCAS, a second CAS client nobody here wrote, for the PHP
  # e-service the end-to-end tests sign in to (php-cgi comes before php-cas
  # so that apt satisfies php's "a web server SAPI" dependency with it rather
  # than pulling in Apache); xmllint, to check CAS responses against the CAS
  # 3.0 XML schema.
  debian_packages=(chromium php-cli php-cgi php-cas php-curl php-xml libxml2-utils)
  missing=()
  for package in "${debian_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The test command checks formatting and lints; both come with the
# toolchain's default profile.
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding the $component component"
    rustup component add "$component"
  fi
done

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
  src=$(ls -d "$cargo_home"/registry/src/*/cargo-leptos-"$CARGO_LEPTOS_VERSION" | head -n1)
  cp -r "$src" "$work/cargo-leptos"
  (cd "$work/cargo-leptos" \
    && cargo update -p cargo-util-schemas --precise 0.14.1 \
    && cargo install --path . --locked --features no_downloads --force)
  rm -rf "$work"
fi

# binaryen's wasm-opt for release WebAssembly (npm; Debian's is too old).
if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
  log "installing build tools (binaryen's wasm-opt)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi

# Every crate any build needs, for every target: the server build alone
# never downloads what only the WebAssembly builds use, and Trunk builds
# offline (so that it never downloads a tool of its own).
log "fetching crates (cargo fetch --locked)"
cargo fetch --locked --quiet

# Client libraries nobody here wrote, from PyPI: python-cas, for the test
# that checks Gatehouse's CAS server against it, and authlib, the OpenID
# Connect client of the demo e-service (the demo runs it too, and the OIDC
# stories sign in to it).
AUTHLIB_VERSION=1.9.6
if ! end2end/.venv/bin/python -c "import cas, authlib; assert authlib.__version__ == '$AUTHLIB_VERSION'" 2>/dev/null; then
  log "installing python-cas and authlib for the CAS and OpenID Connect client tests"
  python3 -m venv end2end/.venv
  end2end/.venv/bin/pip install --quiet --disable-pip-version-check python-cas==1.7.2 "authlib==$AUTHLIB_VERSION"
fi

if $demo_only; then
  log "ready (demo)"
  exit 0
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (the static single-page bundle)"
  # Without the default update check, which asks crates.io at every start.
  cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls --force
fi

if [ ! -x end2end/node_modules/.bin/playwright ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  log "installing end-to-end test packages (Playwright, axe-core, maildev, sirv, otpauth)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi


log "ready"
