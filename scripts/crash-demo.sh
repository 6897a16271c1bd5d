#!/usr/bin/env bash
# The crash demo: runs `sim-machine demo --journal DIR` and kills it with
# SIGKILL at random moments, restarting it on the same folder each time, then
# lets the last life finish and reconcile the books across every life.
#   scripts/crash-demo.sh SIM_MACHINE [KILLS] [CUSTOMERS]
# KILLS defaults to 25, CUSTOMERS to 1500 (enough that no life finishes the
# run before its kill). CV_CRASH_SEED seeds the kill schedule (the delays);
# the moments themselves depend on the machine's speed. The folder is kept
# (its path is printed) so the journal can be looked at afterwards.
# Exit status: 0 when every kill landed mid-run and the books reconcile.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 SIM_MACHINE [KILLS] [CUSTOMERS]" >&2
	exit 2
fi
sim_machine="$1"
kills_wanted="${2:-25}"
customers="${3:-1500}"
for number in "$kills_wanted" "$customers"; do
	if ! [[ "$number" =~ ^[1-9][0-9]{0,5}$ ]]; then
		echo "crash demo: '$number' is not a whole number from 1 to 999999" >&2
		exit 2
	fi
done
seed="${CV_CRASH_SEED:-$(( $(date +%s) % 100000 ))}"
RANDOM="$seed"
dir="$(mktemp -d "${TMPDIR:-/tmp}/candyvend-crash.XXXXXX")/machine"
run=("$sim_machine" demo --journal "$dir" --customers "$customers" --seed 7 --faults --quiet)

echo "crash demo: ${run[*]}"
echo "killing it $kills_wanted times at random moments (CV_CRASH_SEED=$seed), then letting it finish"
kills=0
life=0
early=0   # kills that landed before the program had started its life
while [ "$kills" -lt "$kills_wanted" ]; do
	life=$((life + 1))
	log="$dir.life-$life.log"
	"${run[@]}" >"$log" 2>&1 &
	pid=$!
	# 50 to 549 ms: long enough to serve some customers, short enough to
	# land anywhere in a vend (each takes a few simulated seconds, a few
	# real milliseconds).
	delay_ms=$((50 + RANDOM % 500))
	sleep "$(printf '0.%03d' "$delay_ms")"
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		if ! grep -q '^life ' "$log"; then
			# Killed while still opening the folder: that life never began.
			early=$((early + 1))
			life=$((life - 1))
			continue
		fi
		kills=$((kills + 1))
		grep -E '^(life|recovery:)' "$log" | sed 's/^/  /' || true
		echo "life $life: killed after ${delay_ms} ms (kill $kills of $kills_wanted)"
	else
		status=0
		wait "$pid" || status=$?
		cat "$log"
		echo "crash demo: life $life ended (status $status) before its kill, after $kills kills:" \
			"the run is too short for $kills_wanted kills (use more customers)" >&2
		exit 1
	fi
done

life=$((life + 1))
log="$dir.life-$life.log"
status=0
"${run[@]}" >"$log" 2>&1 || status=$?
grep -E '^(life|recovery:)' "$log" | sed 's/^/  /' || true
sed -n '/==== reconciliation ====/,$p' "$log"
echo "crash demo: $kills kills, $life lives ($early more kills landed before a life began);" \
	"journal and logs in $(dirname "$dir")"
if [ "$status" -ne 0 ]; then
	echo "crash demo: the last life failed (status $status)" >&2
	exit 1
fi
# The books say how many lives were cut off: every kill of a life that had
# begun is one, and a kill that landed before the "life" line may be one too
# (the life is counted just before it is announced).
counted=$(sed -n 's/^lives: \([0-9]*\) (\([0-9]*\) cut off.*/\1 \2/p' "$log")
read -r lives cuts <<<"${counted:-0 0}"
if [ "$cuts" -lt "$kills" ] || [ "$cuts" -gt $((kills + early)) ] || [ "$lives" -ne $((cuts + 1)) ]; then
	echo "crash demo: the machine counted $lives lives with $cuts cut off; expected $kills to" \
		"$((kills + early)) cut off and one more life" >&2
	exit 1
fi
