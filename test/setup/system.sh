#!/usr/bin/env bash
# Installs the system packages the test suite needs on a fresh Debian 12 machine, when run as root:
# PostgreSQL 15 (real server for test/db), psql, Chromium (drives code-server in test/integration),
# libkrb5-dev (code-server's kerberos module builds from source) and ripgrep (code-server's search).
# Does nothing for what is already there; prints what it would need when not root.
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ] || need+=(libkrb5-dev)
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "dupguard tests need these Debian packages: ${need[*]} (run this script as root, or install them)" >&2
  exit 1
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's postgresql package starts a cluster service on 5432; the tests start their own servers.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done
fi
