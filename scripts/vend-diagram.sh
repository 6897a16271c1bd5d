#!/usr/bin/env bash
# Rewrites the state machine's diagrams (docs/vend-state-machine.md and the
# sketch in include/candyvend/vend.h) from its table, lib/vend_table.c.
# The test 'vend-diagram' fails until the committed copies match.
#   scripts/vend-diagram.sh [BUILD_DIR]     (default: build-test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-test}"
meson compile -C "$build" tests/model/vend-diagram >/dev/null
"$build/tests/model/vend-diagram" --write "$root/docs/vend-state-machine.md" "$root/include/candyvend/vend.h"
