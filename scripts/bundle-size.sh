#!/usr/bin/env bash
# The first load: every file of the release site's `pkg/` with its size as
# built, as the gzip and the brotli copy the server sends, and the
# WebAssembly the sign-in page needs before it hydrates, against the budget
# (250 KB gzipped). Builds the site first (release, precompressed) unless
# given --no-build.
#
#   bash scripts/bundle-size.sh [--no-build] [--check]
#
# --check: exit 1 when the sign-in page's wasm is over the budget.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

build=true
check=false
for arg in "$@"; do
  case "$arg" in
    --no-build) build=false ;;
    --check) check=true ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
budget=$((250 * 1024))

if $build; then
  echo "== LEPTOS_HASH_FILES=true cargo leptos build --release --precompress"
  LEPTOS_HASH_FILES=true cargo leptos build --release --precompress 2>&1 | tail -1
fi
pkg=target/site/pkg
compgen -G "$pkg/*.wasm.gz" >/dev/null || { echo "no precompressed release build in $pkg" >&2; exit 1; }

size_of() { if [ -f "$1" ]; then wc -c <"$1"; else echo -; fi; }
printf '%-48s %10s %10s %10s\n' file bytes gzip brotli
for file in "$pkg"/*; do
  case "$file" in *.gz | *.br) continue ;; esac
  printf '%-48s %10s %10s %10s\n' "${file#"$pkg"/}" "$(size_of "$file")" \
    "$(size_of "$file.gz")" "$(size_of "$file.br")"
done

# Not split into chunks, the sign-in page needs the whole wasm.
initial=0
for wasm in "$pkg"/gatehouse*.wasm; do
  [ -f "$wasm.gz" ] || { echo "no $wasm.gz (build with --precompress)" >&2; exit 1; }
  initial=$((initial + $(wc -c <"$wasm.gz")))
done
echo "WebAssembly the sign-in page loads: $initial bytes gzipped (budget $budget)"
if $check && [ "$initial" -gt "$budget" ]; then
  echo "over the budget by $((initial - budget)) bytes" >&2
  exit 1
fi
