#!/usr/bin/env bash
# The C style, kept by the tool rather than by hand (.clang-format).
#   scripts/format.sh           reformat every tracked .c and .h file in place
#   scripts/format.sh --check   change nothing; list the files that differ and
#                               exit 1 if any does (the test command runs this)
# Files come from `git ls-files` (all .c and .h files when there is no git).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

format=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$format" ]; then
	echo "format: clang-format is not installed (scripts/deps.sh clang-format)" >&2
	exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find . -path './build*' -prune -o -name '*.[ch]' -print | sort)
fi

if [ "${1:-}" != "--check" ]; then
	"$format" -i --style=file "${files[@]}"
	echo "format: ${#files[@]} files formatted"
	exit 0
fi
bad=0
for file in "${files[@]}"; do
	if ! "$format" --style=file "$file" | cmp -s - "$file"; then
		echo "format: $file differs from .clang-format (run scripts/format.sh); first change:"
		"$format" --style=file "$file" | diff "$file" - | head -n 8 | sed 's/^/  /'
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "format: $bad of ${#files[@]} files are not formatted"
	exit 1
fi
echo "format: ${#files[@]} files formatted as .clang-format says"
