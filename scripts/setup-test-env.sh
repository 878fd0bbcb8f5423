#!/usr/bin/env bash
# Installs what the test suites need beyond node_modules, skipping whatever is already there:
#  - Debian packages: chromium (browser and workbench tests), php-cli and python3 (command
#    workers), python3-gunicorn, nginx, uWSGI (python3 plugin), Puma and PHP-FPM (attach tests),
#    libkrb5-dev/pkg-config (code-server build), procps and lsof (the portable process reader,
#    scripts/test-portable-procs.sh).
#  - A real VS Code for the extension suite: code-server + Node 24 (and Node 22), cached outside the
#    repo in $SMOOTH_RELOAD_TOOLS (default ~/.cache/smooth-reload/tools), installed by
#    scripts/install-vscode.sh with an environment cleaned of this npm run's variables.
# Safe to run again; the second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v php >/dev/null || need+=(php-cli)
command -v python3 >/dev/null || need+=(python3)
# The attach tests run /usr/bin/python3 -m gunicorn (a pyenv python3 first on PATH lacks it).
dpkg -s python3-gunicorn >/dev/null 2>&1 || need+=(python3-gunicorn)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -x /usr/bin/uwsgi-core ] || need+=(uwsgi-core)
[ -f /usr/lib/uwsgi/plugins/python3_plugin.so ] || need+=(uwsgi-plugin-python3)
[ -x /usr/bin/puma ] || need+=(puma)
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need+=(php-fpm)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v ps >/dev/null || need+=(procps)
command -v lsof >/dev/null || need+=(lsof)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -f scripts/install-vscode.sh ]; then bash scripts/install-vscode.sh; fi
