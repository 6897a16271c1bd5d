#!/usr/bin/env bash
# Sums the Criterion "Synthesis" lines of a Meson test log into one line, so
# the total is visible at the end of the run.
set -euo pipefail
log=$1
awk '
/Synthesis: Tested:/ {
	for (i = 1; i <= NF; i++) {
		if ($i == "Tested:") t += $(i + 1)
		if ($i == "Passing:") p += $(i + 1)
		if ($i == "Failing:") f += $(i + 1)
		if ($i == "Crashing:") c += $(i + 1)
	}
}
END { printf "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d\n", t, p, f, c }
' "$log"
