#!/bin/sh
# Install what portier's tests need, idempotently (Debian 12, as root):
#   - apt packages for the peer lab (kamailio, baresip, sipp), audio checks and the
#     PulseAudio virtual sound card; only the missing ones, `apt-get update` only if needed;
#   - stop and mask the stock kamailio.service if systemd runs (it grabs port 5060);
#   - `npm ci` when node_modules is missing or older than package-lock.json.
# Prints what it did. Environment:
#   PORTIER_TEST_DEPS_EXTRA="pkg ..."  extra apt packages (e.g. chromium)
#   PORTIER_SKIP_APT=1 / PORTIER_SKIP_NPM=1  skip a step
set -eu

cd "$(dirname "$0")/.."

PACKAGES="kamailio kamailio-tls-modules baresip baresip-core sip-tester sox alsa-utils ffmpeg iproute2 procps openssl util-linux coreutils bsdutils
pulseaudio pulseaudio-utils libasound2-plugins chromium fonts-liberation ${PORTIER_TEST_DEPS_EXTRA:-}"

say() { printf 'test-deps: %s\n' "$*"; }

# --- apt ---------------------------------------------------------------------------
if [ "${PORTIER_SKIP_APT:-0}" = 1 ]; then
  say "apt: skipped (PORTIER_SKIP_APT=1)"
else
  # one dpkg-query for all packages: "<name> install ok installed" per installed package
  # shellcheck disable=SC2086
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null | awk '/ install ok installed$/ { print $1 }' || true)
  missing=""
  for p in $PACKAGES; do
    if ! printf '%s\n' "$installed" | grep -qx "$p"; then
      missing="$missing $p"
    fi
  done
  if [ -z "$missing" ]; then
    say "apt: all $(echo $PACKAGES | wc -w) packages already installed"
  else
    if [ "$(id -u)" != 0 ]; then
      say "apt: missing:$missing -- run this script as root to install them" >&2
      exit 1
    fi
    say "apt: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
    say "apt: installed:$missing"
  fi
fi

# --- kamailio.service would take 5060 on a systemd host ------------------------------
if [ -d /run/systemd/system ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
  state=$(systemctl is-enabled kamailio 2>/dev/null || true)
  if [ "$state" != masked ] && [ -n "$state" ]; then
    if [ "$(id -u)" = 0 ]; then
      systemctl disable --now kamailio >/dev/null 2>&1 || true
      systemctl mask kamailio >/dev/null 2>&1 || true
      say "systemd: stopped, disabled and masked kamailio.service (was: $state)"
    else
      say "systemd: kamailio.service is $state; run as root to mask it" >&2
    fi
  else
    say "systemd: kamailio.service ${state:-not installed}${state:+ (nothing to do)}"
  fi
else
  say "systemd: not PID 1, no service to stop"
fi

# --- npm ---------------------------------------------------------------------------
if [ "${PORTIER_SKIP_NPM:-0}" = 1 ]; then
  say "npm: skipped (PORTIER_SKIP_NPM=1)"
elif [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ]; then
  say "npm: node_modules missing, running npm ci"
  npm ci --no-audit --no-fund
elif [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm: package-lock.json is newer than node_modules, running npm ci"
  npm ci --no-audit --no-fund
else
  say "npm: node_modules up to date"
fi
