#!/usr/bin/env bash
# Known vulnerabilities in the locked dependencies, from the RustSec advisory database, with the
# accepted ones (and why) in .cargo/audit.toml. The database is a git repository on GitHub:
# fetched when reachable, else read from ADVISORY_DB (a local clone) when that is set. On a
# closed network with neither, the check cannot run, and says so plainly instead of passing.
set -euo pipefail
cd "$(dirname "$0")/../.."
install_audit() { make -s .make/cargo-audit; }
if [ -n "${ADVISORY_DB:-}" ]; then
  install_audit
  echo "advisories: RustSec database from $ADVISORY_DB ($(git -C "$ADVISORY_DB" log -1 --format=%cs 2>/dev/null || echo 'date unknown'))"
  exec cargo audit --db "$ADVISORY_DB" --no-fetch
fi
if timeout 15 git ls-remote --exit-code https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  install_audit
  exec cargo audit
fi
echo "advisories: NOT CHECKED: the RustSec database (github.com/rustsec/advisory-db) is unreachable from"
echo "            this machine and ADVISORY_DB names no local clone. Run 'make advisories' where it is"
echo "            reachable, or with ADVISORY_DB=<clone of it>."
