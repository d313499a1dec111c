#!/usr/bin/env bash
# Builds Gatehouse (release), creates demo accounts on a fresh embedded
# SQLite database, and serves the portal at http://127.0.0.1:3000.
# Installs what is missing first (idempotent). Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

bash scripts/setup.sh --demo

echo "== building (release)"
# Files named by their content's hash (kept a year by browsers), each with
# a brotli and a gzip copy; the wasm split into a chunk a page (every build
# of the hydrated bundle must split it). Not in the metadata: `cargo leptos
# watch` hashes only its first build.
LEPTOS_HASH_FILES=true cargo leptos build --release --split --precompress

demo=target/demo
rm -rf "$demo"
mkdir -p "$demo"
# Demo mode: messages go to outbox folders and are listed at /dev/mailbox.
export GATEHOUSE_MODE=demo
export GATEHOUSE_SECRET_KEY="${GATEHOUSE_SECRET_KEY:-demo-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')}"
export GATEHOUSE_DATABASE_URL="sqlite://$demo/gatehouse.db"
export GATEHOUSE_MAIL__OUTBOX_DIR="$demo/outbox"
export GATEHOUSE_SMS__OUTBOX_DIR="$demo/sms-outbox"
export GATEHOUSE_LISTEN="${GATEHOUSE_LISTEN:-127.0.0.1:3000}"
export GATEHOUSE_SITE_ROOT="target/site"
# A demo e-service that signs in by OpenID Connect (authlib), registered
# like any other; its secret is made anew for each run.
oidc_port="${DEMO_OIDC_PORT:-3120}"
export DEMO_OIDC_SECRET="demo-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
cat >"$demo/gatehouse.toml" <<TOML
[[oidc.clients]]
client_id = "demo-eservice"
name = "Demo e-Service (OpenID Connect)"
secret_env = "DEMO_OIDC_SECRET"
redirect_uris = ["http://127.0.0.1:$oidc_port/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:$oidc_port/bye"]
backchannel_logout_uri = "http://127.0.0.1:$oidc_port/backchannel"
scopes = ["openid", "profile", "email", "roles"]
refresh_tokens = true
TOML
export GATEHOUSE_CONFIG="$demo/gatehouse.toml"
bin=target/release/gatehouse

echo "== demo accounts (each must change its initial password at first sign-in)"
create() {
  local password
  password=$("$bin" account create --login "$1" --name "$2" --role "$3" --email "$1@example.edu" | sed -n 's/^Initial password: //p')
  printf '  %-10s %-9s %s\n' "$1" "$3" "$password"
}
printf '  %-10s %-9s %s\n' LOGIN ROLE "INITIAL PASSWORD"
create s1234567 "Chan Tai Man" student
create t7654321 "Wong Mei Ling" teacher
create e2020001 "Lee Ka Ho" staff
create a0000001 "Ho Admin" admin
"$bin" account create --login t1112223 --name "Ho Wing Sze" --role teacher \
  --email t1112223@example.edu --mobile "+852 9123 4567" --first-time >/dev/null
printf '  %-10s %-9s %s\n' t1112223 teacher '(first-time user: no password yet)'

echo
echo "Open http://$GATEHOUSE_LISTEN/ and sign in with one of the accounts above,"
echo "or try \"Forgot Password\" / \"First time user?\" (t1112223): every email and"
echo "text message sent, verification codes included, is listed at"
echo "http://$GATEHOUSE_LISTEN/dev/mailbox (demo mode only). a0000001 is an administrator:"
echo "its profile links the administration console (/admin)."
echo "A demo e-service that signs in by OpenID Connect: http://127.0.0.1:$oidc_port/"
end2end/.venv/bin/python end2end/tests/oidc_eservice.py "http://$GATEHOUSE_LISTEN" "$oidc_port" \
  demo-eservice "$DEMO_OIDC_SECRET" &
eservice=$!
trap 'kill "$eservice" 2>/dev/null || true' EXIT
"$bin" serve
