#!/usr/bin/env bash
# The main job: builds libcandyvend and runs the simulated-machine demo on the
# embedded defaults (50 customers, seed 1, random faults). Extra arguments go
# to sim-machine instead, e.g. `scripts/demo.sh kiosk`.
# `scripts/demo.sh crash [KILLS]` runs the crash demo instead: the demo on a
# journal folder, killed with SIGKILL at random moments (25 times by default)
# and restarted each time, then one reconciliation across every life.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh gcc libc6-dev meson ninja-build pkg-config

if [ -f build-demo/build.ninja ]; then
	meson setup --reconfigure build-demo -Dtests=false >/dev/null
else
	meson setup build-demo -Dtests=false >/dev/null
fi
meson compile -C build-demo >/dev/null

if [ $# -eq 0 ]; then
	set -- demo --faults
fi
if [ "$1" = crash ]; then
	exec scripts/crash-demo.sh build-demo/examples/sim-machine/sim-machine "${2:-25}"
fi
exec build-demo/examples/sim-machine/sim-machine "$@"
