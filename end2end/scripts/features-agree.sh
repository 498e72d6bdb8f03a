#!/usr/bin/env bash
# The bins `make` builds and the tests `cargo test` builds must resolve every crate they share with
# the same features: a crate whose features differ is compiled twice, and with it everything above
# it (the AWS SDK and Leptos, about 20 minutes on 2 cores). Dev-dependencies that turn on a feature
# of a shared crate are pinned in end2end/Cargo.toml; this fails when a new one slips in.
set -euo pipefail
cd "$(dirname "$0")/../.."
resolve() { cargo tree --workspace --locked -e "$1" -f '{p} [{f}]' --prefix none | grep -v '(\*)' | awk '{ print $1 "@" $2, $NF }' | sort -u; }
bins=$(resolve normal,build)
tests=$(resolve normal,build,dev)
# A crate can resolve twice legitimately (once for build scripts and proc-macros, once for the
# code): compare the sets of feature lists per crate, not single lines.
keys=$(echo "$bins" | cut -d' ' -f1 | sort -u)
drift=$(comm -3 <(echo "$bins") <(echo "$tests") | sed 's/^\t//' | awk 'NR == FNR { shared[$1] = 1; next } ($1 in shared) { print "  " $0 }' <(echo "$keys") - | sort -u)
if [ -n "$drift" ]; then
  echo "features differ between the bins and the tests (each of these would be compiled twice):"
  echo "$drift"
  echo "pin the tests' features in end2end/Cargo.toml"
  exit 1
fi
echo "features agree: $(echo "$bins" | wc -l) crates resolve the same for the bins and the tests"
