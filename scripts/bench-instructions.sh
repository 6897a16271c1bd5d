#!/usr/bin/env bash
# Instructions per vend, counted by callgrind (repeatable, unlike time on a
# shared machine): N happy-path vends on RAM storage with the simulated
# backends, collection limited to the vend loop. Prints `bench:` lines.
set -euo pipefail
bench=$1
vends=${2:-1000}
target=25000

if ! command -v valgrind >/dev/null; then
	echo "SKIPPED: valgrind is not installed (apt-get install valgrind)"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Instructions per vend of one run; "sealed" seals every journal record.
count() {
	valgrind --tool=callgrind --toggle-collect=bench_vends --callgrind-out-file="$out" \
		"$bench" "$vends" "$@" >/dev/null 2>&1 || return 1
	echo $(($(awk '/^summary:/ {print $2}' "$out") / vends))
}

per_vend=$(count) || {
	echo "bench-instructions: the benchmark failed under callgrind; on its own it says:" >&2
	"$bench" "$vends" >/dev/null || true
	exit 1
}
echo "bench: instructions_per_vend $per_vend instructions"
awk -v p="$per_vend" -v t="$target" 'BEGIN { printf "bench: instructions_per_vend_vs_target %.3f ratio (target <= 1.000 for %d)\n", p / t, t }'
if ! "$bench" 1 sealed >/dev/null 2>&1; then
	echo "bench: instructions_per_vend_sealed SKIPPED ($("$bench" 1 sealed 2>&1 >/dev/null | head -1))"
elif sealed=$(count sealed); then
	echo "bench: instructions_per_vend_sealed $sealed instructions"
	awk -v s="$sealed" -v p="$per_vend" 'BEGIN { printf "bench: sealing_cost_ratio %.3f ratio (sealed / plain)\n", s / p }'
else
	echo "bench-instructions: the sealed run failed under callgrind" >&2
	exit 1
fi
