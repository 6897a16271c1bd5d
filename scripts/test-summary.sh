#!/usr/bin/env bash
# Sums the Criterion "Synthesis" lines of a Meson test log into one line, so
# the total is visible at the end of the run. Fails if a test's teardown
# crashed or LeakSanitizer found a leak: Criterion reports a failure in a
# .fini only as a warning and still counts the test as passed, so the leak
# checks of the test rig's teardown would otherwise fail nothing.
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

problems=$(grep -c -e 'crashed during its setup or teardown' -e 'LeakSanitizer: detected memory leaks' "$log" || true)
if [ "$problems" -gt 0 ]; then
	echo "FAIL: $problems teardown crashes or leaks (Criterion counted those tests as passed):"
	grep -e 'crashed during its setup or teardown' -e 'LeakSanitizer: detected memory leaks' "$log" | head -20
	exit 1
fi
