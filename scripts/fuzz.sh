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

# The GPIO configuration parser (backends/linux-gpio), a bounded run seeded
# with the example configuration and a few variants. No libgpiod needed.
gpio_build_fuzz() {
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Wall -Wextra -Werror -Iinclude -Ibackends/linux-gpio \
		tests/fuzz/fuzz_gpio_config.c backends/linux-gpio/gpio_config.c \
		backends/linux-gpio/gpio_config_check.c backends/linux-gpio/gpio_error.c \
		-o "$build/fuzz_gpio_config"
}
gpio_corpus=$build/corpus_gpio_config
rm -rf "$gpio_corpus"
mkdir -p "$gpio_corpus"
cp examples/linux-gpio/candyvend-gpio.conf "$gpio_corpus/example"
printf 'chip=gpiochip0\nbeam=3\nlane A1 motor=1 index=2\n' >"$gpio_corpus/minimal"
printf 'chip = /dev/gpiochip1\nbeam = 9 active=low debounce_ms=0 stuck_ms=100\nlane X motor=1 index=1\n' >"$gpio_corpus/conflict"
printf 'chip = c\nconsumer = me\nmotor_timeout_ms = 50\nindex_debounce_ms = 0\nbeam = 0\nlane a-1 motor=65535 motor_active=low index=7 index_active=high pulses_per_turn=16 # x\n' >"$gpio_corpus/edges"
gpio_build_fuzz
gpio_log=$build/fuzz_gpio_config.log
status=0
"$build/fuzz_gpio_config" -runs="$runs" -seed=1 -max_len=4096 -print_final_stats=1 \
	-artifact_prefix="$build/gpio-" "$gpio_corpus" >"$gpio_log" 2>&1 || status=$?
executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$gpio_log" | tail -n 1)
if [ $status -ne 0 ]; then
	tail -n 40 "$gpio_log" >&2
	echo "fuzz: fuzz_gpio_config FAILED after ${executed:-?} executions (log: $gpio_log)" >&2
	exit $status
fi
echo "fuzz: fuzz_gpio_config: ${executed:-?} executions, no crash ($(grep -o 'cov: [0-9]*' "$gpio_log" | tail -n 1))"
