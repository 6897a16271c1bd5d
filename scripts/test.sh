#!/usr/bin/env bash
# Runs every test: installs what is missing, builds with ASan + UBSan (leaks
# included) and -Werror, runs all Meson suites (unit, sim, docs, ...), then
# checks `meson install` + pkg-config + a consumer program.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh gcc libc6-dev meson ninja-build pkg-config libcriterion-dev doxygen \
	libsodium-dev libsqlite3-dev valgrind python3-pytest clang-format \
	libcurl4-openssl-dev libjansson-dev openssl clang libclang-rt-14-dev \
	libgpiod-dev gpiod \
	gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
# (clang-format checks the C style, suite 'style'. openssl makes the test CA
# of the gateway's TLS test. The ARM toolchain and QEMU serve suite 'mcu':
# scripts/mcu.sh builds the Cortex-M3 firmware and runs it under
# qemu-system-arm.)

build=build-test
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" -Db_sanitize=address,undefined -Dwerror=true -Dcrypto=enabled -Dgateway=enabled -Dgpio=enabled >/dev/null
else
	meson setup "$build" -Db_sanitize=address,undefined -Dwerror=true -Dcrypto=enabled -Dgateway=enabled -Dgpio=enabled >/dev/null
fi
meson compile -C "$build"

# Meson sets no sanitizer options: make every report fatal, leaks included.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
meson test -C "$build" --print-errorlogs --num-processes 2 || status=$?

# The model check's mutants: every planted bug must be caught by its ledger.
scripts/mutants.sh "$build" || status=$?

scripts/check-install.sh || status=$?

# The gateway's response decoder under libFuzzer (clang), a bounded run.
scripts/fuzz.sh 200000 || status=$?

scripts/test-summary.sh "$build/meson-logs/testlog.txt"
exit $status
