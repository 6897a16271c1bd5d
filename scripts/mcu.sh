#!/usr/bin/env bash
# Builds the Cortex-M3 firmware (examples/mcu-qemu, cross file
# cross/arm-none-eabi-cortex-m3.ini) and runs it under qemu-system-arm
# (mps2-an385, semihosting). Fails unless the firmware exits 0, which it does
# only when the money and inventory invariants hold.
#   scripts/mcu.sh [--build-only] [BUILD_DIR]     (default BUILD_DIR: build-mcu)
# Exits 77 (skip) only when the ARM toolchain or QEMU is not installed;
# scripts/test.sh installs them, so CI always runs it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

build_only=0
if [ "${1:-}" = "--build-only" ]; then
	build_only=1
	shift
fi
build="${1:-$root/build-mcu}"

need=(arm-none-eabi-gcc arm-none-eabi-nm meson ninja)
[ $build_only -eq 1 ] || need+=(qemu-system-arm timeout)
for tool in "${need[@]}"; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIPPED: $tool not installed (scripts/deps.sh gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
		exit 77
	fi
done

if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" "$root/examples/mcu-qemu" \
		--cross-file "$root/cross/arm-none-eabi-cortex-m3.ini" >/dev/null
else
	meson setup "$build" "$root/examples/mcu-qemu" \
		--cross-file "$root/cross/arm-none-eabi-cortex-m3.ini" >/dev/null
fi
meson compile -C "$build" >/dev/null
elf="$build/candyvend-firmware.elf"

# Static memory only. The link already wraps every allocator entry point
# (a reference would be an undefined __wrap_* symbol); check the image too.
heap=$(arm-none-eabi-nm "$elf" | awk '{print $NF}' |
	grep -E '^(__wrap_)?(malloc|free|calloc|realloc|aligned_alloc|memalign|_malloc_r|_free_r|_calloc_r|_realloc_r|_sbrk|_sbrk_r)$' || true)
if [ -n "$heap" ]; then
	echo "FAIL: the firmware links an allocator: $heap" >&2
	exit 1
fi
echo "mcu: firmware built, no allocator linked ($(arm-none-eabi-size "$elf" | awk 'NR==2 {print $1 " text, " $2 " data, " $3 " bss bytes"}'))"
[ $build_only -eq 1 ] && exit 0

# -d unimp logs every access to QEMU's unimplemented CMSDK GPIO stub: the
# proof that the backends' register writes reach the GPIO addresses.
out="$build/firmware.out"
unimp="$build/gpio-access.log"
rc=0
timeout 120 qemu-system-arm -M mps2-an385 -nographic -monitor none \
	-semihosting-config enable=on,target=native \
	-d unimp -D "$unimp" -kernel "$elf" </dev/null >"$out" 2>&1 || rc=$?
cat "$out"
echo "mcu: qemu-system-arm exit status $rc"
if [ $rc -ne 0 ]; then
	echo "FAIL: the firmware exited $rc (0 = every invariant held)" >&2
	exit 1
fi
grep -q '^RESULT: PASS' "$out" || { echo "FAIL: no RESULT: PASS line" >&2; exit 1; }

# Motor-on writes to GPIO0 DATAOUT (offset 0x004), one per movement and lane.
gpio_fail=0
for lane in 0 1 2 3; do
	value=$(printf '0x%08x' $((1 << lane)))
	n=$(grep -c "write (size 4, offset 0x004, value $value)" "$unimp" || true)
	echo "mcu: GPIO0 DATAOUT motor-on writes, lane bit $lane: $n"
	[ "$n" -gt 0 ] || gpio_fail=1
done
grep -q 'write (size 4, offset 0x010, value 0x0000000f)' "$unimp" || gpio_fail=1
rm -f "$unimp"
if [ $gpio_fail -ne 0 ]; then
	echo "FAIL: expected GPIO register writes (OUTENSET, motor bits) not seen by QEMU" >&2
	exit 1
fi
echo "mcu: PASS"
