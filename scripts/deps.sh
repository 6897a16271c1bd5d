#!/usr/bin/env bash
# Installs the Debian packages named as arguments, only those missing.
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
for pkg in "$@"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "error: need root to install ${missing[*]}" >&2; exit 1; }
	as_root=(sudo)
fi
"${as_root[@]}" apt-get update -qq
# Through env, so that sudo (which resets the environment) keeps it too.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
