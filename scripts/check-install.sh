#!/usr/bin/env bash
# `meson install` into a prefix, then build and run a consumer of the
# installed library through pkg-config alone (shared, then static).
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
LD_LIBRARY_PATH=$(pkg-config --variable=libdir candyvend) "$build/consumer-shared" | sed "s/^/shared: /"
cc -std=c11 -Wall -Wextra -Werror tests/install/consumer.c $(pkg-config --cflags candyvend) \
	"$(pkg-config --variable=libdir candyvend)/libcandyvend.a" -o "$build/consumer-static"
"$build/consumer-static" | sed "s/^/static: /"

# Only the public API may be exported.
private=$(nm -D --defined-only "$(pkg-config --variable=libdir candyvend)/libcandyvend.so" |
	awk '$2 ~ /^[TDRB]$/ && $3 !~ /^cv_/ {print $3}')
if [ -n "$private" ]; then
	echo "error: libcandyvend.so exports non-API symbols: $private" >&2
	exit 1
fi
echo "install check: passed"
