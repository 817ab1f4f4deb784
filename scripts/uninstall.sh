#!/bin/bash
# Remove portier's service and code (run as root). Keeps the config (/etc/portier), the state
# (/var/lib/portier) and the portier user unless --purge.
#
#   sudo scripts/uninstall.sh [--dry-run] [--purge]
#
#   --dry-run  print every step, change nothing
#   --purge    also remove /etc/portier, /var/lib/portier, the portier user and the gpio udev rule
# Paths can be moved for tests: PORTIER_PREFIX, PORTIER_ETC_DIR, PORTIER_UNIT_DIR, PORTIER_STATE_DIR.
set -euo pipefail

PREFIX=${PORTIER_PREFIX:-/opt/portier}
ETC_DIR=${PORTIER_ETC_DIR:-/etc/portier}
UNIT_DIR=${PORTIER_UNIT_DIR:-/etc/systemd/system}
STATE_DIR=${PORTIER_STATE_DIR:-/var/lib/portier}
UDEV_RULE=/etc/udev/rules.d/60-portier-gpio.rules
SERVICE_USER=portier

DRY=0
PURGE=0
for a in "$@"; do
  case "$a" in
    --dry-run) DRY=1 ;;
    --purge) PURGE=1 ;;
    -h | --help)
      sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "uninstall: unknown option $a (try --help)" >&2
      exit 2
      ;;
  esac
done

say() { printf 'uninstall: %s\n' "$*"; }
run() {
  if [ "$DRY" = 1 ]; then
    printf 'would run: %s\n' "$*"
  else
    printf '+ %s\n' "$*"
    "$@"
  fi
}

if [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then
  printf 'uninstall: error: run as root (sudo %s), or try --dry-run\n' "$0" >&2
  exit 1
fi
[ "$DRY" = 1 ] && say "dry run: nothing will be changed"

if [ -d /run/systemd/system ] || [ "$DRY" = 1 ]; then
  run systemctl disable --now portier.service || true
fi
run rm -f "$UNIT_DIR/portier.service"
if [ -d /run/systemd/system ] || [ "$DRY" = 1 ]; then
  run systemctl daemon-reload
fi
run rm -rf "$PREFIX"

if [ "$PURGE" = 1 ]; then
  run rm -rf "$ETC_DIR" "$STATE_DIR"
  if getent passwd "$SERVICE_USER" >/dev/null || [ "$DRY" = 1 ]; then
    run userdel "$SERVICE_USER"
  fi
  if [ -e "$UDEV_RULE" ] || [ "$DRY" = 1 ]; then
    run rm -f "$UDEV_RULE"
  fi
  say "removed portier, its config, state and user"
else
  say "kept $ETC_DIR (config), $STATE_DIR (state) and the $SERVICE_USER user; --purge removes them"
fi
