#!/usr/bin/env bash
# `make deny`: cargo-deny over the locked dependencies, with deny.toml's policy (every accepted
# advisory listed with why). Licenses, bans (banned crates, duplicate versions reported) and
# sources always run. Advisories need the RustSec database, a git repository on GitHub: fetched
# when reachable, else read from ADVISORY_DB (a local clone) when that is set; on a closed network
# with neither, that one check cannot run and says so plainly instead of passing.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s .make/cargo-deny
cargo deny check licenses bans sources
# Where cargo-deny 0.20 keeps the database it clones from github.com/RustSec/advisory-db.
DB_DIR="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-3157b0e258782691"
if [ -n "${ADVISORY_DB:-}" ]; then
  rm -rf "$DB_DIR" && mkdir -p "$(dirname "$DB_DIR")"
  git clone -q --depth 1 "file://$(cd "$ADVISORY_DB" && pwd)" "$DB_DIR"
  echo "advisories: RustSec database from $ADVISORY_DB ($(git -C "$DB_DIR" log -1 --format=%cs))"
  exec cargo deny --offline check advisories
fi
if timeout 15 git ls-remote --exit-code https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  exec cargo deny check advisories
fi
echo "advisories: NOT CHECKED: the RustSec database (github.com/rustsec/advisory-db) is unreachable from"
echo "            this machine and ADVISORY_DB names no local clone. Run 'make deny' where it is"
echo "            reachable, or with ADVISORY_DB=<clone of it>."
