#!/usr/bin/env bash
# Builds the libFuzzer target of the gateway's response decoder with clang
# (ASan + UBSan) in build-fuzz/, and runs it a bounded number of times from
# the seed corpus (real emulator answers). Prints the execution count.
#   scripts/fuzz.sh [runs]        default 200000 runs, seed 1
# Needs clang and libclang-rt-14-dev (the fuzzer runtime; only a Recommends
# of clang, so scripts/test.sh names it), and libjansson-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200000}
build=build-fuzz
mkdir -p "$build"
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Iinclude -Ibackends/payment-gateway \
	tests/fuzz/fuzz_gateway_response.c backends/payment-gateway/gateway_response.c \
	$(pkg-config --cflags --libs jansson) -o "$build/fuzz_gateway_response"

# libFuzzer writes what it finds into the corpus directory: use a scratch copy.
corpus=$build/corpus_gateway_response
rm -rf "$corpus"
cp -r tests/fuzz/corpus_gateway_response "$corpus"
log=$build/fuzz_gateway_response.log
status=0
"$build/fuzz_gateway_response" -runs="$runs" -seed=1 -max_len=4096 -print_final_stats=1 \
	-artifact_prefix="$build/" "$corpus" >"$log" 2>&1 || status=$?
executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ $status -ne 0 ]; then
	tail -n 40 "$log" >&2
	echo "fuzz: fuzz_gateway_response FAILED after ${executed:-?} executions (log: $log)" >&2
	exit $status
fi
echo "fuzz: fuzz_gateway_response: ${executed:-?} executions, no crash ($(grep -o 'cov: [0-9]*' "$log" | tail -n 1))"
