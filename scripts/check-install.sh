#!/usr/bin/env bash
# `meson install` into a prefix, then build and run a consumer of the
# installed library through pkg-config alone (shared, then static), then the
# examples out of tree (examples/sim-machine, examples/backend-example) with
# nothing but their sources and `pkg-config candyvend-sim candyvend-posix`, then the C and
# Python programs of docs/getting-started.md, taken from the markdown itself
# so that the guide cannot drift. Every program starts without
# LD_LIBRARY_PATH: the .pc files carry the run path.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-install
prefix=$PWD/$build/prefix
rm -rf "$prefix"
if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" --prefix "$prefix" -Dtests=false -Dexamples=false >/dev/null
else
	meson setup "$build" --prefix "$prefix" -Dtests=false -Dexamples=false >/dev/null
fi
meson install -C "$build" >/dev/null

export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name candyvend.pc | head -n 1)")
flags=$(pkg-config --cflags --libs candyvend)
echo "pkg-config --cflags --libs candyvend: $flags"
cc -std=c11 -Wall -Wextra -Werror tests/install/consumer.c $flags -o "$build/consumer-shared"
env -u LD_LIBRARY_PATH "$build/consumer-shared" | sed "s/^/shared: /"
cc -std=c11 -Wall -Wextra -Werror tests/install/consumer.c $(pkg-config --cflags candyvend) \
	"$(pkg-config --variable=libdir candyvend)/libcandyvend.a" -o "$build/consumer-static"
"$build/consumer-static" | sed "s/^/static: /"

# The examples, out of tree: copied away from the source tree so no header
# or library of the build can leak in, built with the installed flags only.
libdir=$(pkg-config --variable=libdir candyvend)
outside=$build/out-of-tree
rm -rf "$outside"
mkdir -p "$outside"
for example in sim-machine backend-example; do
	cp -r "examples/$example" "$outside/$example"
	rm -f "$outside/$example/meson.build"
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Wconversion -Wno-sign-conversion \
		"$outside/$example"/*.c $(pkg-config --cflags --libs candyvend-sim candyvend-posix) \
		-o "$outside/$example/$example"
	echo "out of tree: $example built with pkg-config candyvend-sim candyvend-posix"
done
env -u LD_LIBRARY_PATH "$outside/sim-machine/sim-machine" demo --customers 30 --seed 3 --quiet |
	tail -n 1 | sed "s/^/sim-machine: /"
# The persistent mode against the installed journal library: a second life.
for life in 1 2; do
	env -u LD_LIBRARY_PATH "$outside/sim-machine/sim-machine" demo --customers 10 --seed 3 --quiet \
		--journal "$outside/journal" | grep '^life ' | sed "s/^/sim-machine --journal: /"
done
env -u LD_LIBRARY_PATH "$outside/backend-example/backend-example" | tail -n 1 | sed "s/^/backend-example: /"

# docs/getting-started.md: its ```c and ```python blocks, as a reader would
# copy them, built and run the way the guide says.
guide=docs/getting-started.md
block() { awk -v lang="$1" '$0 == "```" lang {on = 1; next} on && $0 == "```" {exit} on' "$guide"; }
block c >"$outside/first.c"
block python >"$outside/first.py"
[ -s "$outside/first.c" ] && [ -s "$outside/first.py" ] || { echo "error: no C or Python block in $guide" >&2; exit 1; }
cc -std=c11 -Wall -Wextra -Werror "$outside/first.c" $(pkg-config --cflags --libs candyvend-sim) -o "$outside/first"
out=$(env -u LD_LIBRARY_PATH "$outside/first")
grep -q "CAPTURED" <<<"$out" || { echo "error: the guide's C program sold nothing: $out" >&2; exit 1; }
echo "getting-started (C): $(tail -n 1 <<<"$out")"
out=$(cd "$outside" && PYTHONPATH="$OLDPWD/bindings/python" CANDYVEND_LIB_DIR=$libdir python3 first.py)
grep -q "^CAPTURED 9$" <<<"$out" || { echo "error: the guide's Python program printed: $out" >&2; exit 1; }
echo "getting-started (Python): $(head -n 1 <<<"$out")"
# The POSIX storage's own pkg-config file resolves too.
pkg-config --exists --print-errors candyvend-posix

# The Linux GPIO controller, where the GPIO backends were built (libgpiod
# found): out of tree with the gpio, sim and posix pkg-config files.
if pkg-config --exists candyvend-gpio; then
	cp -r examples/linux-gpio "$outside/linux-gpio"
	rm -f "$outside/linux-gpio/meson.build"
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Wconversion -Wno-sign-conversion \
		"$outside/linux-gpio"/*.c $(pkg-config --cflags --libs candyvend-gpio candyvend-sim candyvend-posix) \
		-o "$outside/linux-gpio/candyvend-gpio"
	env -u LD_LIBRARY_PATH "$outside/linux-gpio/candyvend-gpio" --check-config "$outside/linux-gpio/candyvend-gpio.conf" |
		tail -n 1 | sed "s/^/linux-gpio: /"
else
	echo "out of tree: linux-gpio SKIPPED: candyvend-gpio not installed (libgpiod-dev missing)"
fi
pkg-config --exists candyvend-gateway && echo "candyvend-gateway.pc resolves" ||
	echo "candyvend-gateway SKIPPED: not installed (libcurl or jansson missing)"

# Only the public API may be exported.
private=$(nm -D --defined-only "$libdir"/libcandyvend*.so |
	awk '$2 ~ /^[TDRB]$/ && $3 !~ /^cv_/ {print $3}')
if [ -n "$private" ]; then
	echo "error: the installed libraries export non-API symbols: $private" >&2
	exit 1
fi
echo "install check: passed"
