#!/usr/bin/env bash
# The console's rules live in `console-core`, a crate with no web framework and no AWS SDK in it:
# its dependency tree (what it builds with, not its tests) must hold none of leptos, axum, tower,
# tower-sessions or any aws-* crate. Cargo then keeps the layers apart: the core cannot name a
# page, a request or an SDK call. This fails, naming the crate and how it came in, if one appears.
set -euo pipefail
cd "$(dirname "$0")/../.."
tree=$(cargo tree -p console-core --locked -e normal,build --prefix none --format '{p}' | awk '{ print $1 }' | sort -u)
forbidden=$(echo "$tree" | grep -E '^(leptos.*|axum.*|tower|tower-.*|tower_.*|aws-.*|aws_.*|reqwest|hyper)$' || true)
if [ -n "$forbidden" ]; then
  echo "console-core depends on crates the rules must not know:"
  for c in $forbidden; do
    echo "  $c, through: $(cargo tree -p console-core --locked -e normal,build -i "$c" --prefix none --format '{p}' | sed -n 2p)"
  done
  exit 1
fi
echo "console-core: $(echo "$tree" | wc -l) crates in its tree, none of leptos, axum, tower, tower-sessions, aws-*"
