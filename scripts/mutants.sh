#!/usr/bin/env bash
# The mutation check of the model check: builds the model check once per
# planted bug (enum cv_mutant in lib/internal.h: each puts back one way of
# dropping a duty that an outside review found) and expects its ledger to
# catch every one (exit status 1, a VIOLATION line). A mutant the check
# misses, or one caught only by the state table's guards (exit status 3),
# fails this script. Then the same for the gateway (enum cv_gw_mutant): the
# seeded hostile-processor test, built with each planted bug, must fail;
# and for the marks of sealed journals (enum cv_mark_mutant) and the flash
# journal (enum cv_flash_mutant): their Criterion tests, built with each,
# must fail; and the crash demo (scripts/crash-demo.sh) must catch a restart
# that takes a due capture as done.
#   scripts/mutants.sh [BUILD_DIR]     (default: build-test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-test}"
count=$(grep -c '^	CV_MUTANT_[A-Z_]* = [0-9]*,' "$root/lib/internal.h")
targets=()
for n in $(seq 1 "$count"); do
	targets+=("tests/model/model-mutant-$n")
done
meson compile -C "$build" "${targets[@]}" >/dev/null
caught=0
for n in $(seq 1 "$count"); do
	name=$(grep "= $n," "$root/lib/internal.h" | sed 's/.*CV_MUTANT_\([A-Z_]*\).*/\1/')
	start=$(date +%s%N)
	status=0
	out=$("$build/tests/model/model-mutant-$n" 2>&1) || status=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	if [ "$status" -eq 1 ] && grep -q '^VIOLATION' <<<"$out"; then
		caught=$((caught + 1))
		printf 'mutant %d %-28s caught in %d ms: %s\n' "$n" "$name" "$ms" \
			"$(grep -m1 '^VIOLATION' <<<"$out" | sed 's/^VIOLATION ([^)]*): //')"
	else
		printf 'mutant %d %-28s NOT caught (exit %d)\n' "$n" "$name" "$status"
		tail -3 <<<"$out"
	fi
done
echo "mutants: $caught of $count caught"
total=$count

# The gateway's planted bugs (enum cv_gw_mutant in gateway_response.h): the
# seeded hostile-processor search must fail on each.
gw_header="$root/backends/payment-gateway/gateway_response.h"
if [ -f "$build/tests/gateway/test-gateway-hostile" ]; then
	gw_count=$(grep -c '^	CV_GW_MUTANT_[A-Z0-9_]* = [0-9]*,' "$gw_header")
	gw_targets=()
	for n in $(seq 1 "$gw_count"); do
		gw_targets+=("tests/gateway/test-gateway-hostile-mutant-$n")
	done
	meson compile -C "$build" "${gw_targets[@]}" >/dev/null
	for n in $(seq 1 "$gw_count"); do
		name=$(grep "CV_GW_MUTANT_[A-Z0-9_]* = $n," "$gw_header" | sed 's/.*CV_GW_MUTANT_\([A-Z0-9_]*\).*/\1/')
		start=$(date +%s%N)
		status=0
		out=$(CV_EMULATOR="$root/tests/fixtures/processor_emulator.py" \
			CV_HOSTILE="$root/tests/fixtures/hostile_processor.py" \
			"$build/tests/gateway/test-gateway-hostile-mutant-$n" --filter 'hostile/seeded*' 2>&1) || status=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		total=$((total + 1))
		if [ "$status" -ne 0 ] && grep -q 'Failing: [1-9]' <<<"$out"; then
			caught=$((caught + 1))
			printf 'gateway mutant %d %-20s caught in %d ms: %s\n' "$n" "$name" "$ms" \
				"$(grep -m1 -E '^\[----\] +[A-Za-z]' <<<"$out" | sed 's/^\[----\] *//')"
		else
			printf 'gateway mutant %d %-20s NOT caught (exit %d)\n' "$n" "$name" "$status"
			tail -3 <<<"$out"
		fi
	done
	echo "mutants: $caught of $total caught (gateway included)"
fi

# Criterion tests built once per planted bug: each build must fail.
#   criterion_mutants LABEL HEADER ENUM_PREFIX TEST   (TEST: tests/test-NAME)
# HEADER lists the bugs as "	ENUM_PREFIX_NAME = n,"; the builds are
# TEST-mutant-n.
criterion_mutants() {
	local label="$1" header="$2" prefix="$3" test="$4"
	[ -f "$build/$test" ] || return 0
	local count targets=() n name status out
	count=$(grep -c "^	${prefix}_[A-Z0-9_]* = [0-9]*," "$header")
	for n in $(seq 1 "$count"); do
		targets+=("$test-mutant-$n")
	done
	meson compile -C "$build" "${targets[@]}" >/dev/null
	for n in $(seq 1 "$count"); do
		name=$(grep "${prefix}_[A-Z0-9_]* = $n," "$header" | sed "s/.*${prefix}_\([A-Z0-9_]*\).*/\1/")
		status=0
		out=$("$build/$test-mutant-$n" 2>&1) || status=$?
		total=$((total + 1))
		if [ "$status" -ne 0 ] && grep -q 'Failing: [1-9]' <<<"$out"; then
			caught=$((caught + 1))
			printf '%s mutant %d %-18s caught by %s\n' "$label" "$n" "$name" \
				"$(grep -c '^\[FAIL\]' <<<"$out") tests, first $(grep -m1 '^\[FAIL\]' <<<"$out" | sed 's/^\[FAIL\] *//; s/: ([0-9.]*s)$//')"
		else
			printf '%s mutant %d %-18s NOT caught (exit %d)\n' "$label" "$n" "$name" "$status"
			tail -3 <<<"$out"
		fi
	done
	echo "mutants: $caught of $total caught ($label included)"
}

# The marks' planted bugs (lib/journal_mark.h): the marks tests (forged,
# moved, older and deleted checkpoint files, journals cut short) must fail
# on each. The flash journal's (backends/mcu/storage_flash_layout.h): its
# checkpoint-area and worn-part tests must.
criterion_mutants marks "$root/lib/journal_mark.h" CV_MARK_MUTANT tests/test-marks
criterion_mutants flash "$root/backends/mcu/storage_flash_layout.h" CV_FLASH_MUTANT tests/test-flash-journal
# The crash demo's planted bug (CV_MUTANT_CAPTURE_ASSUMED: a restart takes a
# capture that was due as done): sim-machine built with it and killed at
# random moments must end with books that do not reconcile. A run catches it
# when some kill lands between a capture's intent and the processor applying
# it (5 of 5 seeds with 20 kills here); up to three runs are allowed.
crash_mutant="examples/sim-machine/sim-machine-mutant-capture-assumed"
if meson compile -C "$build" "$crash_mutant" >/dev/null 2>&1; then
	total=$((total + 1))
	verdict="NOT caught in 3 runs of 25 kills"
	for run in 1 2 3; do
		out=$(CV_CRASH_SEED=$run "$root/scripts/crash-demo.sh" "$build/$crash_mutant" 25 600 2>&1) || true
		if grep -q '^BOOKS DO NOT RECONCILE' <<<"$out"; then
			caught=$((caught + 1))
			verdict="caught in run $run: $(grep -m1 '\[FAIL\]' <<<"$out" | sed 's/^ *//')"
			break
		fi
	done
	printf 'crash-demo mutant CAPTURE_ASSUMED %s\n' "$verdict"
	echo "mutants: $caught of $total caught (crash demo included)"
fi
[ "$caught" -eq "$total" ]
