#!/usr/bin/env bash
# The integration files that check processes (worker trees, their ports and memory, the holder
# of a port, attached servers, the doctor's master), run with the /proc reader turned off: the
# master, its workers and the test helpers all read processes through ps and lsof, as on macOS.
# ps and lsof are wrapped to count their runs, so a run that silently used /proc fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=(
  test/integration/proc-readers.test.ts
  test/integration/command-runner.test.ts
  test/integration/faults.test.ts
  test/integration/reload-lifecycle.test.ts
  test/integration/doctor-runtime.test.ts
  test/integration/attach-gunicorn.test.ts
  test/integration/attach-swoole.test.ts
)
for tool in ps lsof; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-portable-procs: $tool is not installed; the portable reader needs it (Debian: apt-get install ${tool/ps/procps})" >&2
    exit 1
  fi
done
wrap=$(mktemp -d)
trap 'rm -rf "$wrap"' EXIT
for tool in ps lsof; do
  printf '#!/bin/sh\necho %s >> "%s/runs"\nexec %s "$@"\n' "$tool" "$wrap" "$(command -v "$tool")" > "$wrap/$tool"
  chmod +x "$wrap/$tool"
done
PATH="$wrap:$PATH" SMOOTH_RELOAD_PROCFS=off node_modules/.bin/mocha --require tsx/cjs --require test/helpers/hooks.ts --extension ts --timeout 60000 --reporter dot "${FILES[@]}"
for tool in ps lsof; do
  runs=$(grep -cx "$tool" "$wrap/runs" || true)
  if [ "$runs" -eq 0 ]; then
    echo "test-portable-procs: $tool never ran: the tests did not use the portable reader" >&2
    exit 1
  fi
  echo "test-portable-procs: $tool ran $runs times"
done
