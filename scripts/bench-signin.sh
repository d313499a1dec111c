#!/usr/bin/env bash
# Sign-in under load, on loopback, with a release build: the machine's hash
# bound (password checks a second on every core, measured in this run), then
# a flood of right-password sign-ins from 32 connections (then 64, twice as
# many, and 400): sign-ins a second and their ratio to the bound, the 503s,
# p50/p99 during the flood of the sign-in page, a static asset and a CAS
# ticket validation (an unknown ticket: the lookup and its audit row), and
# the server's idle and peak memory (VmRSS at rest, VmHWM after each flood).
#
#   bash scripts/bench-signin.sh              # SQLite (the embedded default)
#   bash scripts/bench-signin.sh --postgres   # PostgreSQL (TEST_POSTGRES_URL)
#
# Each flood runs FLOOD_SECONDS (default 20, at least 8). From its second 2
# to two seconds before its end, three paced probes (one connection each,
# a request every 20 ms: a person's browser, not a second flood) time the
# pages side by side, so they take next to nothing from the hashing the
# flood is measured on. Needs wrk (Debian's package; installed if missing).
# The throttle's limits are raised for the run, as every request comes from
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"

database=sqlite
[ "${1:-}" = "--postgres" ] && database=postgres
seconds="${FLOOD_SECONDS:-20}"
[ "$seconds" -ge 8 ] || { echo "FLOOD_SECONDS must be at least 8" >&2; exit 2; }
accounts=64

if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian)"
  apt-get install -y wrk >/dev/null
fi
echo "== building the server and the site (release, precompressed)"
LEPTOS_HASH_FILES=true cargo leptos build --release --split --precompress 2>&1 | tail -1

bin=target/release/gatehouse
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
address="http://127.0.0.1:$port"
export GATEHOUSE_MODE=demo
export GATEHOUSE_SECRET_KEY="bench-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export GATEHOUSE_LISTEN="127.0.0.1:$port"
export GATEHOUSE_PUBLIC_URL="$address"
export GATEHOUSE_SITE_ROOT="target/site"
export GATEHOUSE_MAIL__OUTBOX_DIR="$work/outbox"
export GATEHOUSE_SMS__OUTBOX_DIR="$work/sms"
export GATEHOUSE_THROTTLE__FREE_FAILURES=100000
export GATEHOUSE_THROTTLE__LOCK_AFTER=100000
export GATEHOUSE_THROTTLE__ADDRESS_LOCK_AFTER=100000
export RUST_LOG=error
if [ "$database" = postgres ]; then
  admin="${TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"
  name="gatehouse_bench_$$"
  psql "$admin" -qc "CREATE DATABASE $name"
  export GATEHOUSE_DATABASE_URL="${admin%/*}/$name"
else
  export GATEHOUSE_DATABASE_URL="sqlite://$work/gatehouse.db"
fi
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ "$database" = postgres ] && psql "$admin" -qc "DROP DATABASE IF EXISTS $name" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "== the hash bound"
bound_line=$("$bin" hash-rate --seconds 5)
echo "$bound_line"
bound=${bound_line%% *}

echo "== $accounts accounts"
for i in $(seq 1 "$accounts"); do
  login=$(printf 'b%07d' "$i")
  password=$("$bin" account create --login "$login" --name "Bench User" --role student \
    --email "$login@example.edu" | sed -n 's/^Initial password: //p')
  printf '%s %s\n' "$login" "$password" >>"$work/accounts.txt"
done

"$bin" serve &
server_pid=$!
for _ in $(seq 1 200); do
  curl -sf "$address/healthz" >/dev/null && break
  sleep 0.05
done
curl -sf "$address/login" >/dev/null
idle_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")

# Right-password sign-ins, a random account each, as a browser's fetch
# posts them (same origin).
cat >"$work/signin.lua" <<LUA
local accounts = {}
for line in io.lines("$work/accounts.txt") do
  local login, password = line:match("^(%S+) (%S+)$")
  accounts[#accounts + 1] = { login, password }
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() ok = 0; busy = 0; other = 0 end
local function escape(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
function request()
  local a = accounts[math.random(#accounts)]
  return wrk.format("POST", "/api/sign_in", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "$address",
  }, "login=" .. a[1] .. "&password=" .. escape(a[2]))
end
function response(status)
  if status == 200 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done(summary)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  io.write(string.format("signed_in=%d busy_503=%d other=%d seconds=%.2f\n", o, b, x, summary.duration / 1e6))
end
LUA

# A request every 20 ms on one connection.
echo 'function delay() return 20 end' >"$work/paced.lua"
probe_seconds=$((seconds - 4))

# p50 and p99 of paced GETs of `path` during the probe window, into `file`.
latency() {
  wrk -t1 -c1 -d"${probe_seconds}s" --latency -s "$work/paced.lua" -H "Accept-Encoding: gzip, deflate, br" \
    "$address$1" | awk '
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /requests in/ {n=$1}
    END {printf "p50 %s p99 %s (%s requests)\n", p50, p99, n}' >"$2"
}

# The stylesheet's name as the pages link it (hashed by the release build).
stylesheet=$(curl -sf "$address/login" | sed -n 's/.*<link rel="stylesheet" id="gatehouse" href="\([^"]*\)".*/\1/p')
[ -n "$stylesheet" ] || { echo "no stylesheet linked from /login" >&2; exit 1; }

flood() {
  local connections=$1
  echo "== flood: $connections connections, ${seconds}s"
  wrk -t2 -c"$connections" -d"${seconds}s" --timeout 30s -s "$work/signin.lua" "$address/api/sign_in" \
    >"$work/flood.txt" 2>&1 &
  local flood_pid=$!
  sleep 2
  local probes=()
  latency /login "$work/page.txt" &
  probes+=($!)
  latency "$stylesheet" "$work/asset.txt" &
  probes+=($!)
  latency "/cas/serviceValidate?service=http%3A%2F%2F127.0.0.1%2F&ticket=ST-unknown" "$work/cas.txt" &
  probes+=($!)
  wait "$flood_pid"
  wait "${probes[@]}"
  local page asset cas
  page=$(cat "$work/page.txt")
  asset=$(cat "$work/asset.txt")
  cas=$(cat "$work/cas.txt")
  local counts
  counts=$(grep '^signed_in=' "$work/flood.txt")
  echo "$counts"
  python3 - "$counts" "$bound" <<'PY'
import sys
fields = dict(kv.split("=") for kv in sys.argv[1].split())
rate = int(fields["signed_in"]) / float(fields["seconds"])
bound = float(sys.argv[2])
print(f"sign-ins/s {rate:.1f}  bound {bound:.1f}  ratio {rate / bound:.2f}")
PY
  echo "sign-in page during the flood: $page"
  echo "static asset ($stylesheet, brotli) during the flood: $asset"
  echo "CAS validation during the flood: $cas"
  echo "server memory: peak (VmHWM) $(awk '/^VmHWM/ {print $2 / 1024 " MB"}' "/proc/$server_pid/status")"
}

echo "server memory: idle (VmRSS) $((idle_kb / 1024)) MB"
flood 32
flood 64
flood 400
