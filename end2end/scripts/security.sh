#!/usr/bin/env bash
# The project's own security check (`make security`, part of `make test`): starts the local stack
# on ports of its own, runs `security-check` against it (PASS/FAIL table, exit 1 on a FAIL), and
# stops the stack.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/linear-console/target}/${PROFILE:-debug}"
export CONSOLE_ADDR="127.0.0.1:${SECURITY_CONSOLE_PORT:-3400}"
export MOTO_PORT="${SECURITY_MOTO_PORT:-4588}"
export LINEAR_STANDIN_PORT="${SECURITY_LINEAR_PORT:-3410}"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export CONSOLE_LOG_FILE="$ROOT/.local/security-console.log"
export CONSOLE_SWEEP_INTERVAL_SECONDS=0 SEED_DEMO=0
export RUST_LOG="info,server=debug,app=debug,aws_config=warn,aws_smithy_runtime=warn"
mkdir -p "$ROOT/.local"

bash "$ROOT/end2end/scripts/stack.sh" >"$ROOT/.local/security-stack.log" 2>&1 &
stack=$!
trap 'kill $stack 2>/dev/null || true; wait $stack 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  curl -fsS -o /dev/null "http://$CONSOLE_ADDR/readyz" 2>/dev/null && break
  if ! kill -0 $stack 2>/dev/null; then echo "security: the stack did not start:"; tail -20 "$ROOT/.local/security-stack.log"; exit 1; fi
  sleep 0.2
done
# shellcheck disable=SC1091
set -a; source "$ROOT/.local/console.env"; set +a
CONSOLE_BASE="http://$CONSOLE_ADDR" LINEAR_BASE_URL="http://127.0.0.1:$LINEAR_STANDIN_PORT" "$BIN/security-check"
