#!/bin/bash
# Install portier as a systemd service on Raspberry Pi OS / Debian (run as root, from a checkout).
# Idempotent: running it again updates the code and the unit and keeps the config.
#
#   sudo scripts/install.sh [--dry-run] [--no-apt] [--no-start]
#
#   --dry-run   print every step, change nothing
#   --no-apt    do not install distribution packages (alsa-utils, gpiod, build tools)
#   --no-start  install and enable, but do not start the service now
#
# Steps: check Node.js (>= 20, from the distribution or NodeSource), install alsa-utils + gpiod +
# build tools, create the system user "portier" (groups gpio and audio), copy the project to
# /opt/portier, npm ci + build + prune dev dependencies, /etc/portier/portier.toml from the example
# (mode 0640 root:portier, never overwritten), the systemd unit, daemon-reload, enable --now.
# Paths can be moved for tests: PORTIER_PREFIX, PORTIER_ETC_DIR, PORTIER_UNIT_DIR, PORTIER_NODE.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=${PORTIER_PREFIX:-/opt/portier}
ETC_DIR=${PORTIER_ETC_DIR:-/etc/portier}
UNIT_DIR=${PORTIER_UNIT_DIR:-/etc/systemd/system}
NODE=${PORTIER_NODE:-node}
SERVICE_USER=portier
APT_PACKAGES="alsa-utils gpiod build-essential python3"
MIN_NODE_MAJOR=20

DRY=0
APT=1
START=1
for a in "$@"; do
  case "$a" in
    --dry-run) DRY=1 ;;
    --no-apt) APT=0 ;;
    --no-start) START=0 ;;
    -h | --help)
      sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "install: unknown option $a (try --help)" >&2
      exit 2
      ;;
  esac
done

say() { printf 'install: %s\n' "$*"; }
die() {
  printf 'install: error: %s\n' "$*" >&2
  exit 1
}
# run CMD...: print it; execute it unless --dry-run
run() {
  if [ "$DRY" = 1 ]; then
    printf 'would run: %s\n' "$*"
  else
    printf '+ %s\n' "$*"
    "$@"
  fi
}

if [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then
  die "run as root (sudo $0), or try --dry-run"
fi
[ "$DRY" = 1 ] && say "dry run: nothing will be changed"

# --- 1. Node.js ---------------------------------------------------------------------------
node_version=$("$NODE" --version 2>/dev/null || true)
node_major=$(printf '%s' "$node_version" | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p')
if [ -z "$node_major" ] || [ "$node_major" -lt "$MIN_NODE_MAJOR" ]; then
  die "portier needs Node.js $MIN_NODE_MAJOR or newer (found: ${node_version:-none}).
  Debian 13 (trixie) and newer: apt install nodejs npm
  Debian 12 / Raspberry Pi OS Bookworm ship Node 18: install Node 20 from NodeSource
  (https://github.com/nodesource/distributions, the node_20.x repository) or the official
  binaries from https://nodejs.org/en/download, make sure 'node' and 'npm' are on PATH, then run this again."
fi
NODE_BIN=$(command -v "$NODE")
say "Node.js $node_version at $NODE_BIN"
command -v npm >/dev/null 2>&1 || die "npm is missing (apt install npm, or use the NodeSource package which includes it)"

# --- 2. distribution packages -------------------------------------------------------------
if [ "$APT" = 1 ]; then
  missing=""
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    run apt-get update
    # shellcheck disable=SC2086
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  else
    say "packages already installed: $APT_PACKAGES"
  fi
else
  say "skipping apt (--no-apt); portier needs: $APT_PACKAGES"
fi

# --- 3. user and groups -------------------------------------------------------------------
if ! getent group gpio >/dev/null; then
  # Debian (not Raspberry Pi OS) has no gpio group and leaves /dev/gpiochip* to root
  run groupadd --system gpio
  if [ "$DRY" = 1 ]; then
    printf 'would write: /etc/udev/rules.d/60-portier-gpio.rules (gpiochip devices group gpio, mode 0660)\n'
  else
    printf 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"\n' >/etc/udev/rules.d/60-portier-gpio.rules
    say "wrote /etc/udev/rules.d/60-portier-gpio.rules"
    run udevadm trigger --subsystem-match=gpio || true
  fi
fi
if getent passwd "$SERVICE_USER" >/dev/null; then
  say "user $SERVICE_USER exists"
else
  run useradd --system --user-group --home-dir /var/lib/portier --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
run usermod -a -G gpio,audio "$SERVICE_USER"

# --- 4. code, dependencies, build ---------------------------------------------------------
run mkdir -p "$PREFIX"
if [ "$DRY" = 1 ]; then
  printf 'would copy: %s -> %s (without .git, node_modules, test, dist)\n' "$SRC" "$PREFIX"
else
  say "copying $SRC -> $PREFIX"
  tar -C "$SRC" --exclude=./.git --exclude=./node_modules --exclude=./test --exclude=./dist -cf - . | tar -C "$PREFIX" -xf -
fi
# the build needs the dev dependencies (typescript, esbuild); they are pruned afterwards
run npm --prefix "$PREFIX" ci --no-audit --no-fund
run npm --prefix "$PREFIX" run build
run npm --prefix "$PREFIX" prune --omit=dev --no-audit --no-fund
run chown -R root:root "$PREFIX"

# --- 5. config ----------------------------------------------------------------------------
run install -d -m 0750 -o root -g "$SERVICE_USER" "$ETC_DIR"
if [ -e "$ETC_DIR/portier.toml" ]; then
  say "keeping existing $ETC_DIR/portier.toml"
else
  run install -m 0640 -o root -g "$SERVICE_USER" "$SRC/config/portier.example.toml" "$ETC_DIR/portier.toml"
  say "edit $ETC_DIR/portier.toml (SIP account, buttons, relays, audio), then: systemctl restart portier"
fi

# --- 6. systemd ---------------------------------------------------------------------------
if [ "$DRY" = 1 ]; then
  printf 'would install: %s/portier.service (ExecStart with %s)\n' "$UNIT_DIR" "$NODE_BIN"
else
  run install -d "$UNIT_DIR"
  sed "s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #" "$SRC/scripts/portier.service" >"$UNIT_DIR/portier.service.tmp"
  chmod 0644 "$UNIT_DIR/portier.service.tmp"
  mv "$UNIT_DIR/portier.service.tmp" "$UNIT_DIR/portier.service"
  say "installed $UNIT_DIR/portier.service"
fi
if [ -d /run/systemd/system ] || [ "$DRY" = 1 ]; then
  run systemctl daemon-reload
  if [ "$START" = 1 ]; then
    run systemctl enable --now portier.service
  else
    run systemctl enable portier.service
  fi
  say "done: systemctl status portier; journalctl -u portier -f"
else
  say "systemd is not running here: start it later with systemctl enable --now portier"
fi
