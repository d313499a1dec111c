#!/usr/bin/env bash
# Benchmark: `gatehouse import` of a generated 50,000-row records file
# (release build), into a fresh SQLite database and, when reachable, a fresh
# PostgreSQL database; then the same file again (which must change nothing).
# Prints wall time and peak memory of each run. Not part of the test command.
#
#   bash scripts/bench-import.sh [rows]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
rows="${1:-50000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release -p server --bin gatehouse
bin=target/release/gatehouse

python3 - "$rows" >"$work/records.csv" <<'PY'
import sys
rows = int(sys.argv[1])
roles = ["student", "staff", "teacher", "applicant", "graduate"]
print("login,display_name,role,email,mobile,alt_email,valid_until,language")
for i in range(rows):
    login = f"s{1000000 + i}"
    print(f"{login},Person {i},{roles[i % 5]},{login}@example.edu,+852 9{i:07d},,20{27 + i % 3}-08-31,{'en' if i % 2 else 'zh-Hant'}")
PY
echo "records file: $rows rows, $(wc -c <"$work/records.csv") bytes"

export RUST_LOG=error GATEHOUSE_MODE=development GATEHOUSE_MAIL__OUTBOX_DIR="$work/outbox" GATEHOUSE_SMS__OUTBOX_DIR="$work/sms"
run() {
  /usr/bin/time -f "$1: %e s wall, %M KB peak memory" \
    "$bin" import "$work/records.csv" 2>&1 >"$work/out.txt" | tail -n 1
  grep -E "^(dry run|created)" "$work/out.txt"
}

export GATEHOUSE_DATABASE_URL="sqlite://$work/bench.db"
run "SQLite, first import"
run "SQLite, same file again"

pg_admin="${TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"
if psql "$pg_admin" -Atc 'select 1' >/dev/null 2>&1; then
  db="gatehouse_bench_$$"
  psql "$pg_admin" -qc "create database $db"
  export GATEHOUSE_DATABASE_URL="${pg_admin%/*}/$db"
  run "PostgreSQL, first import"
  run "PostgreSQL, same file again"
  psql "$pg_admin" -qc "drop database $db"
else
  echo "PostgreSQL is not reachable at $pg_admin: skipped"
fi
