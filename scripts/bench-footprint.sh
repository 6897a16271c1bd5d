#!/usr/bin/env bash
# Footprint of the Cortex-M3 build, from arm-none-eabi-size
# and the firmware's link map. Prints `bench:` lines; no timing involved.
#   scripts/bench-footprint.sh [BUILD_DIR]   (default: build-mcu; built if needed)
#
# Core objects = engine + lanes + journal, compiled at -Os with
# -ffunction-sections -fdata-sections (buildtype minsize):
#   engine:  machine.c machine_config.c machine_query.c machine_service.c vend.c
#            vend_table.c vend_payment.c vend_dispense.c payment_link.c
#            event_queue.c event_check.c recovery.c checkpoint.c card_number.c
#            money.c stats.c
#   lanes:   lanes.c message.c
#   journal: journal.c journal_codec.c journal_read.c journal_room.c crc32c.c
# Not core: names.c and status.c (text for the *_str() helpers), receipt*.c,
# breaker.c and storage_sync.c (helpers for backends), version.c, and
# storage_ram.c, journal_seal.c and journal_mark.c (not built for the MCU).
# mcu_core_* figures count only the input sections of those objects that
# the firmware's --gc-sections link keeps (from the map file);
# mcu_core_object_* figures are the plain object totals (arm-none-eabi-size).
# Static RAM = .data + .bss; the machine itself lives in caller-provided
# memory (cv_machine_size()) and is not counted.
# Exits 77 with a SKIPPED line when the ARM toolchain is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-mcu}"

for tool in arm-none-eabi-gcc arm-none-eabi-size python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "bench: SKIPPED mcu footprint: $tool not installed (scripts/deps.sh gcc-arm-none-eabi libnewlib-arm-none-eabi)"
		exit 77
	fi
done
"$root/scripts/mcu.sh" --build-only "$build" >/dev/null

core="machine machine_config machine_query machine_service vend vend_table vend_payment vend_dispense
payment_link event_queue event_check recovery checkpoint card_number money stats lanes message
journal journal_codec journal_read journal_room crc32c"
objects=()
for name in $core; do
	obj="$build/libcandyvend-core.a.p/.._.._lib_${name}.c.o"
	[ -f "$obj" ] || { echo "bench: missing core object $obj" >&2; exit 1; }
	objects+=("$obj")
done

python3 - "$build/candyvend-firmware.map" "$build/candyvend-firmware.elf" "${objects[@]}" <<'PY'
import re, subprocess, sys

map_path, elf, objects = sys.argv[1], sys.argv[2], sys.argv[3:]
names = {o.rsplit('/', 1)[1] for o in objects}

def ratio(n, target):
    return f"{n / target:.3f}"

# Object totals.
sizes = subprocess.run(['arm-none-eabi-size', *objects], check=True, capture_output=True, text=True).stdout
obj_text = obj_ram = 0
for line in sizes.splitlines()[1:]:
    text, data, bss = (int(x) for x in line.split()[:3])
    obj_text += text
    obj_ram += data + bss

# Kept input sections: the map after "Linker script and memory map" lists
# each kept input section with its address and size (discarded ones are
# listed before it).
kept = {'text': 0, 'ram': 0}
section = None
with open(map_path) as f:
    lines = f.read().split('Linker script and memory map', 1)[1].splitlines()
pattern = re.compile(r'^\s*(\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$')
for line in lines:
    m = pattern.match(line)
    if not m:
        s = line.split()
        if len(s) == 1 and line.startswith(' .'):
            section = s[0]  # a long section name, its numbers on the next line
        continue
    name = m.group(1) or section
    section = None
    size, owner = int(m.group(3), 16), m.group(4)
    if name is None or size == 0 or owner.rsplit('/', 1)[-1] not in names:
        continue
    if name.startswith(('.text', '.rodata')):
        kept['text'] += size
    elif name.startswith(('.data', '.bss')):
        kept['ram'] += size

fw = subprocess.run(['arm-none-eabi-size', elf], check=True, capture_output=True, text=True).stdout
fw_text, fw_data, fw_bss = (int(x) for x in fw.splitlines()[1].split()[:3])

print(f"bench: mcu_core_objects {len(objects)} objects (engine + lanes + journal, -Os, gc-sections)")
print(f"bench: mcu_core_text_bytes {kept['text']} bytes (kept by the firmware link)")
print(f"bench: mcu_core_text_vs_target {ratio(kept['text'], 16384)} ratio (target <= 1.0 for 16384)")
print(f"bench: mcu_core_static_ram_bytes {kept['ram']} bytes (.data + .bss, kept by the link)")
print(f"bench: mcu_core_static_ram_vs_target {ratio(kept['ram'], 2048)} ratio (target <= 1.0 for 2048)")
print(f"bench: mcu_core_object_text_bytes {obj_text} bytes (object totals, before gc-sections)")
print(f"bench: mcu_core_object_static_ram_bytes {obj_ram} bytes (object totals)")
print(f"bench: mcu_firmware_text_bytes {fw_text} bytes (whole image: vectors, code, rodata)")
print(f"bench: mcu_firmware_text_vs_target {ratio(fw_text, 49152)} ratio (target <= 1.0 for 49152)")
print(f"bench: mcu_firmware_data_bytes {fw_data} bytes (initialised data, also stored in flash)")
print(f"bench: mcu_firmware_bss_bytes {fw_bss} bytes (machine memory, flash journal state, backends)")
PY
