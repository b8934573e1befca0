#!/usr/bin/env bash
# Postgres mode end to end on one machine: a throwaway PostgreSQL server
# (initdb in a temporary folder, run as an unprivileged user when started
# as root), flysim on 127.0.0.1:4280, `rhone-controller migrate`, the
# rows of examples/postgres/seed.sql, then the controller on that
# database until Ctrl-C. Usage: examples/postgres/demo.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
sim_addr=${FLYSIM_LISTEN:-127.0.0.1:4280}
listen=${RHONE_LISTEN:-127.0.0.1:9090}
pg_port=${RHONE_DEMO_PG_PORT:-54329}
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "demo: PostgreSQL not installed" >&2; exit 1; }

root=$(mktemp -d /tmp/rhone-demo-pg.XXXXXX)
as_user=()
if [ "$(id -u)" = 0 ]; then
	user=${RHONE_PG_USER:-nobody}
	chown "$user" "$root"
	# from / : the unprivileged user may not enter the current folder
	as_user=(env -C / runuser -u "$user" --)
fi

pg_pid= sim_pid= ctl_pid=
cleanup() {
	# A second Ctrl-C must not cut the cleanup short.
	trap '' INT TERM
	trap - EXIT
	[ -n "$ctl_pid" ] && kill -TERM "$ctl_pid" 2>/dev/null || true
	[ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null || true
	if [ -n "$pg_pid" ]; then
		"${as_user[@]}" "$bindir/pg_ctl" -D "$root/data" -m fast -w \
			stop >/dev/null 2>&1 || kill -TERM "$pg_pid" || true
	fi
	wait 2>/dev/null || true
	rm -rf "$root"
	echo "demo: stopped"
}
# Stopped by Ctrl-C or SIGTERM is how a demo ends: exit 0, so make
# reports no error; a failure keeps its own status through EXIT.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

"${as_user[@]}" "$bindir/initdb" -D "$root/data" -U postgres -A trust \
	-E UTF8 --locale=C --no-sync >"$root/initdb.log"
"${as_user[@]}" "$bindir/postgres" -D "$root/data" -p "$pg_port" \
	-k "$root" -c listen_addresses=127.0.0.1 >"$root/server.log" 2>&1 &
pg_pid=$!
url="postgresql://postgres@127.0.0.1:$pg_port/postgres"
for _ in $(seq 100); do
	psql -qAt "$url" -c 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.1
done
"$build/rhone-controller" migrate --source "$url"
psql -q "$url" -v ON_ERROR_STOP=1 -f "$here/seed.sql"

"$build/flysim" --listen "$sim_addr" --auto-apps &
sim_pid=$!
for _ in $(seq 50); do
	curl -fsS "http://$sim_addr/_sim/config" >/dev/null 2>&1 && break
	sleep 0.1
done

FLY_API_TOKEN=${FLY_API_TOKEN:-demo-token} "$build/rhone-controller" run \
	--source "$url" --fly-api-url "http://$sim_addr" --listen "$listen" &
ctl_pid=$!

cat <<MSG

demo: PostgreSQL on $url
demo: flysim (Fly Machines API emulator) on http://$sim_addr
demo: status:    curl http://$listen/status
demo: in SQL:    psql $url -c 'TABLE region_status'
demo: a change:  psql $url -c "UPDATE apps SET regions = 'iad,fra,syd'
                   WHERE fly_app_id = 'acme-web'"
demo: Ctrl-C stops everything.

MSG
wait "$ctl_pid"
