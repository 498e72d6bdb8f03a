#!/usr/bin/env bash
# The deployment rehearsal (`make rehearsal`, part of `make test`): a moto of its own with request
# recording, the local platform bootstrapped into it, the CDK app synthesized against that platform
# stack (deploy/rehearsal/synth.ts, the same DescribeStacks as `cdk deploy`), then `rehearsal`
# (end2end/src/bin/rehearsal.rs): the stack created, IAM enforced, the console run as its role and
# driven through every path that calls AWS. Logs and the recording stay in .local/rehearsal/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export BIN="${CARGO_TARGET_DIR:-$HOME/.cache/linear-console/target}/${PROFILE:-debug}"
export REHEARSAL_DIR="$ROOT/.local/rehearsal"
MOTO_PORT="${REHEARSAL_MOTO_PORT:-4630}"
export CONSOLE_ADDR="127.0.0.1:${REHEARSAL_CONSOLE_PORT:-3630}"
export LINEAR_STANDIN_PORT="${REHEARSAL_LINEAR_PORT:-3640}"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export DEMO_PASSWORD="${DEMO_PASSWORD:-Console-demo-1}"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export MOTO_LOG="$REHEARSAL_DIR/moto.log"
rm -rf "$REHEARSAL_DIR" && mkdir -p "$REHEARSAL_DIR"

MOTO_ENABLE_RECORDING=True MOTO_RECORDER_FILEPATH="$REHEARSAL_DIR/recording" \
  MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY=HASH MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY=HASH \
  "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true; wait $moto 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" 2>/dev/null && break
  sleep 0.2
done

LOCAL_PREFIX=rehearsal "$BIN/bootstrap" "$REHEARSAL_DIR/platform.env" >/dev/null
# shellcheck disable=SC1091
source "$REHEARSAL_DIR/platform.env"
# A table and a secret of the bootstrap's that the console's stack does not own: the policy must refuse them.
export OTHER_TABLE="$CONSOLE_AUDIT_TABLE" OTHER_SECRET="$CONSOLE_SESSION_KEY_SECRET_ARN"

export REHEARSAL_TEMPLATE="$REHEARSAL_DIR/template.json"
(cd "$ROOT/deploy" && npx tsc && NODE_NO_WARNINGS=1 node dist/rehearsal/synth.js "$PLATFORM_STACK_NAME" "http://$CONSOLE_ADDR" "$REHEARSAL_TEMPLATE")
"$BIN/rehearsal"
