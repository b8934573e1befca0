#!/usr/bin/env bash
# The main job: start flysim on 127.0.0.1:4280 and the controller on
# examples/regionsets, print where to look, run until Ctrl-C.
set -euo pipefail
build=${1:-build}
sim_addr=${FLYSIM_LISTEN:-127.0.0.1:4280}
listen=${RHONE_LISTEN:-127.0.0.1:9090}
source_dir=${RHONE_SOURCE:-examples/regionsets}

sim_pid= ctl_pid=
cleanup() {
	trap - INT TERM EXIT
	[ -n "$ctl_pid" ] && kill -TERM "$ctl_pid" 2>/dev/null || true
	[ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	echo "demo: stopped"
}
# Stopped by Ctrl-C or SIGTERM is how a demo ends: exit 0, so make
# reports no error; a failure keeps its own status through EXIT.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

"$build/flysim" --listen "$sim_addr" --auto-apps &
sim_pid=$!
for _ in $(seq 50); do
	curl -fsS "http://$sim_addr/v1/platform/regions" >/dev/null 2>&1 && break
	sleep 0.1
done
if ! kill -0 "$sim_pid" 2>/dev/null; then
	echo "demo: flysim could not start on $sim_addr (port in use?)" >&2
	exit 1
fi

FLY_API_TOKEN=${FLY_API_TOKEN:-demo-token} "$build/rhone-controller" run \
	--source "$source_dir" --fly-api-url "http://$sim_addr" \
	--listen "$listen" &
ctl_pid=$!

cat <<MSG

demo: flysim (Fly Machines API emulator) on http://$sim_addr
demo: rhone-controller reconciling $source_dir
demo: status:    curl http://$listen/status
demo: dashboard: open http://$listen/ in a browser
demo: machines:  curl http://$sim_addr/_sim/machines
demo: Ctrl-C stops both.

MSG
wait "$ctl_pid"
