#!/usr/bin/env bash
# Starts the local stack: moto (unless one already answers), its bootstrap, the Linear
# stand-in, then the console in the foreground. Ctrl-C (or the end of this script) stops what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PROFILE="${PROFILE:-debug}"
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/linear-console/target}/$PROFILE"
MOTO_PORT="${MOTO_PORT:-4566}"
LINEAR_STANDIN_PORT="${LINEAR_STANDIN_PORT:-3100}"
export CONSOLE_ADDR="${CONSOLE_ADDR:-127.0.0.1:3000}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$MOTO_PORT}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export SEED_REGISTRY="${SEED_REGISTRY:-1}"
export PLATFORM_RECORDS="${PLATFORM_RECORDS:-$ROOT/../shared/contract/platform-records.json}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-Console-demo-1}"
# The health sweep finds incidents when nobody is looking: every 30 s locally (on AWS a schedule).
export CONSOLE_SWEEP_INTERVAL_SECONDS="${CONSOLE_SWEEP_INTERVAL_SECONDS:-30}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$ROOT/target/site}"
STATE="$ROOT/.local"
mkdir -p "$STATE"

pids=()
started_moto=""
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if curl -fsS -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null; then
  echo "stack: reusing the moto server at $AWS_ENDPOINT_URL"
else
  echo "stack: starting moto on $AWS_ENDPOINT_URL"
  MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY=HASH MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY=HASH \
    MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true \
      "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$STATE/moto.log" 2>&1 &
  pids+=($!)
  started_moto=" and moto"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null && break
    sleep 0.2
  done
fi

"$BIN/bootstrap" "$STATE/console.env"
# shellcheck disable=SC1091
source "$STATE/console.env"

# The Linear stand-in, with the OAuth client the console is configured with.
export LINEAR_CLIENT_ID="${LINEAR_CLIENT_ID:-local-linear-client}"
export LINEAR_CLIENT_SECRET="${LINEAR_CLIENT_SECRET:-local-linear-secret}"
export LINEAR_BASE_URL="http://127.0.0.1:$LINEAR_STANDIN_PORT" LINEAR_API_URL="http://127.0.0.1:$LINEAR_STANDIN_PORT"
LINEAR_STANDIN_ADDR="127.0.0.1:$LINEAR_STANDIN_PORT" \
  LINEAR_STANDIN_REDIRECT_URIS="${CONSOLE_PUBLIC_URL:-http://$CONSOLE_ADDR}/linear/callback" \
  "$BIN/linear-standin" >"$STATE/linear-standin.log" 2>&1 &
pids+=($!)

cat <<MSG

  Linear console: http://$CONSOLE_ADDR
  Linear stand-in: $LINEAR_BASE_URL (client id $LINEAR_CLIENT_ID)
  Sign in as admin@example.com (admin), operator@example.com (operator: checks, refreshes, links),
  viewer@example.com (viewer: reads only) or user@example.com (in no console group: refused)
  Password: $DEMO_PASSWORD   (set DEMO_PASSWORD to choose another)
  Alerts: SNS topic $CONSOLE_ALERT_SNS_TOPIC_ARNS (the sweep runs every ${CONSOLE_SWEEP_INTERVAL_SECONDS} s)
  new-admin@example.com has it as a temporary password: its first sign-in asks for a new one
  Ctrl-C stops the console, the stand-in${started_moto:-}.

MSG
# The demo's workspaces, once the console answers (`SEED_DEMO=0`: none; the tests' own stacks).
if [ "${SEED_DEMO:-1}" = 1 ]; then
  (
    for _ in $(seq 1 150); do curl -fsS -o /dev/null "http://$CONSOLE_ADDR/readyz" 2>/dev/null && break; sleep 0.2; done
    CONSOLE_BASE="http://$CONSOLE_ADDR" "$BIN/demo-seed" || echo "stack: the demo's workspaces could not be made (see above)"
  ) &
  pids+=($!)
fi
if [ -n "${CONSOLE_LOG_FILE:-}" ]; then
  # Also keep the console's log in a file (the browser tests search it for leaked tokens).
  : >"$CONSOLE_LOG_FILE"
  "$BIN/linear-console" > >(tee -a "$CONSOLE_LOG_FILE") 2>&1 &
else
  "$BIN/linear-console" &
fi
pids+=($!)
wait "${pids[-1]}"
