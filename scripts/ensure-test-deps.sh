#!/usr/bin/env bash
# Installs what the test suite needs and a fresh machine lacks: Debian's Chromium (Playwright
# cannot download its own browser here), PostgreSQL 15, and iproute2 + nftables for the scale-out
# test (tests/netns.test.ts: a worker in its own network namespace; skipped on purpose with
# DISTILLERY_TEST_NO_NETNS=1). Idempotent; skips what is present.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  echo "[deps] installing Debian's chromium"
  apt_install chromium
fi

if [ "${DISTILLERY_TEST_NO_NETNS:-}" != "1" ]; then
  missing=()
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[deps] installing ${missing[*]} (the scale-out test's network namespace and firewall)"
    apt_install "${missing[@]}"
  fi
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_ready; then
  echo "[deps] installing PostgreSQL"
  apt_install postgresql
fi
if ! pg_ready; then
  echo "[deps] starting PostgreSQL"
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
if ! pg_ready; then echo "[deps] PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; fi
# The tests connect as postgres over TCP without a password (trust), as on the dev machines.
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "[deps] allowing local trust auth for the test database"
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | tail -1)
  $SUDO sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
fi
echo "[deps] chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1); postgres: $(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'show server_version')"
