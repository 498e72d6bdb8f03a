#!/usr/bin/env bash
# `make bench`: a moto of its own, the bootstrap, then the bench binary against the
# release console. Prints figures; asserts nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PROFILE="${PROFILE:-release}"
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/linear-console/target}/$PROFILE"
MOTO_PORT="${BENCH_MOTO_PORT:-4588}"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_REGION=us-east-1
export LEPTOS_SITE_ROOT="$ROOT/target/site" LOCAL_PREFIX=bench
STATE="$ROOT/.local"; mkdir -p "$STATE"

# The request recorder (AWS calls per page) writes under .local, not into the working tree.
MOTO_RECORDER_FILEPATH="$STATE/bench-moto-recording" MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY=HASH MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY=HASH \
  "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$STATE/bench-moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null && break; sleep 0.2; done

"$BIN/bootstrap" "$STATE/bench.env" >/dev/null
# shellcheck disable=SC1091
source "$STATE/bench.env"
CONSOLE_BIN="$BIN/linear-console" CONSOLE_ADDR="${BENCH_CONSOLE_ADDR:-127.0.0.1:3500}" "$BIN/bench"
