#!/usr/bin/env bash
# run.sh - run every benchmark binary under BUILD/bench and print the
# key=value lines each prints. Figures go into the README, never into
# assertions: a benchmark fails only when its own checks of the planner's
# output fail.
#   usage: tests/bench/run.sh [BUILD]     (BUILD defaults to build)
set -euo pipefail

build=${1:-build}
dir=$build/bench
shopt -s nullglob
bins=()
for f in "$dir"/*; do
	[[ -f $f && -x $f ]] && bins+=("$f")
done
if ((${#bins[@]} == 0)); then
	echo "run.sh: no benchmark binaries in $dir" >&2
	exit 1
fi

echo "# host=$(uname -n) cpu=\"$(awk -F': ' '/^model name/ {print $2; exit}' \
	/proc/cpuinfo 2>/dev/null)\" date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
status=0
for b in "${bins[@]}"; do
	echo "== $b"
	if ! "$b"; then
		echo "run.sh: $b failed" >&2
		status=1
	fi
done
exit "$status"
