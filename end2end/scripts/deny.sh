#!/usr/bin/env bash
# `make deny`: cargo-deny over the locked dependencies, with deny.toml's policy (every accepted
# advisory listed with why). Licenses, bans (banned crates, duplicate versions reported) and
# sources always run. Advisories need the RustSec database, a git repository on GitHub: fetched
# when reachable, else read from ADVISORY_DB (a local clone) when that is set, else from the
# snapshot in ../shared/advisory-db (its date printed); with none of them it fails, saying why.
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
# Unreachable: the snapshot beside the repository (plain files, its date in SNAPSHOT), made a git
# repository in a temporary folder with its own date, since cargo-deny reads a clone.
SNAPSHOT_DIR="${ADVISORY_SNAPSHOT:-../shared/advisory-db}"
if [ -f "$SNAPSHOT_DIR/SNAPSHOT" ] && [ -d "$SNAPSHOT_DIR/crates" ]; then
  taken="$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' "$SNAPSHOT_DIR/SNAPSHOT" | head -1)"
  repo="$(mktemp -d)"
  trap 'rm -rf "$repo"' EXIT
  cp -R "$SNAPSHOT_DIR/." "$repo/"
  (
    cd "$repo"
    git init -q
    git add -A
    GIT_AUTHOR_DATE="${taken}T00:00:00Z" GIT_COMMITTER_DATE="${taken}T00:00:00Z" \
      git -c user.name=snapshot -c user.email=snapshot@localhost commit -q -m "RustSec advisory database snapshot of $taken"
  )
  rm -rf "$DB_DIR" && mkdir -p "$(dirname "$DB_DIR")"
  git clone -q "file://$repo" "$DB_DIR"
  echo "advisories: the RustSec database is unreachable; checked against the snapshot of $taken ($SNAPSHOT_DIR)"
  cargo deny --offline check advisories
  exit $?
fi
echo "advisories: NOT CHECKED: the RustSec database (github.com/rustsec/advisory-db) is unreachable from"
echo "            this machine, ADVISORY_DB names no local clone and no snapshot is beside the repository."
echo "            Run 'make deny' where it is reachable, or with ADVISORY_DB=<clone of it>."
exit 1
