#!/usr/bin/env bash
# Builds the static single-page bundle with Trunk (release, wasm-opt) into
# target/csr-dist, then prints its wasm size beside the hydrate bundle's
# (target/site, built by cargo leptos) when that one exists.
#
#   CSR_API_URL=https://login.example.edu bash scripts/build-csr.sh
#
# CSR_API_URL is the Gatehouse server the bundle calls; unset, it calls the
# origin it is served from.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# Trunk finds the pinned wasm-bindgen and binaryen's wasm-opt on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
export CARGO_INCREMENTAL=0

echo "== trunk build --release (CSR_API_URL=${CSR_API_URL:-<the serving origin>})"
trunk build --release

size() { printf '%s: %s bytes, %s gzipped\n' "$1" "$(wc -c <"$2")" "$(gzip -9 -c "$2" | wc -c)"; }
for wasm in target/csr-dist/*.wasm; do size "CSR bundle wasm ($wasm)" "$wasm"; done
# Named by its hash (cargo-leptos `hash-files`).
for wasm in target/site/pkg/gatehouse*.wasm; do
  if [ -f "$wasm" ]; then size "hydrate bundle wasm ($wasm)" "$wasm"; fi
done
