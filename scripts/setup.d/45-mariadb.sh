# 45-mariadb.sh starts a MariaDB server of its own, the MySQL-compatible
# database of the trail's AWS storage driver (trail, aws: storage), and
# exports TW_TRAIL_DSN, the go-sql-driver/mysql DSN of a user that may create
# databases (each test creates its own). It installs Debian's mariadb-server
# when mariadbd is missing. The server listens on a free port of 127.0.0.1,
# with its data in $TW_TOOLS/run/mariadb, and is left running for the tests;
# a later run reuses it while it answers. Sourced by scripts/test.sh with
# set -euo pipefail; idempotent.
#
# The package is named here, and only here; its version is the Debian
# release's (10.11 on bookworm).
TW_MARIADB_PACKAGE="mariadb-server"

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
	echo "installing $TW_MARIADB_PACKAGE"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	# policy-rc.d keeps the package's own service from starting: the tests
	# use the server started below.
	DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $tw_sudo apt-get install -y -qq --no-install-recommends "$TW_MARIADB_PACKAGE"
	unset tw_sudo
fi
tw_mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)

: "${TW_TOOLS:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools}"
# shellcheck source=../freeport.sh
source "$(dirname "${BASH_SOURCE[0]}")/../freeport.sh"
tw_my_run="$TW_TOOLS/run/mariadb"
tw_my_sock="$tw_my_run/mysqld.sock"

# tw_my_alive reports whether the server of $tw_my_run answers.
tw_my_alive() {
	[ -S "$tw_my_sock" ] && [ -f "$tw_my_run/port" ] && [ -f "$tw_my_run/password" ] &&
		mariadb-admin --no-defaults --socket="$tw_my_sock" --user="$(id -un)" ping >/dev/null 2>&1
}

if ! tw_my_alive; then
	if [ -f "$tw_my_run/mysqld.pid" ]; then
		kill "$(cat "$tw_my_run/mysqld.pid")" 2>/dev/null || true
		sleep 1
	fi
	rm -rf "$tw_my_run"
	mkdir -p "$tw_my_run/data"
	echo "initialising a MariaDB data directory in $tw_my_run"
	# --user: mariadbd refuses to run as root unless told to; the data
	# directory belongs to whoever runs the tests.
	mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$tw_my_run/data" \
		--auth-root-authentication-method=socket --skip-test-db >"$tw_my_run/install.log" 2>&1 ||
		{ cat "$tw_my_run/install.log"; return 1; }
	tw_my_up=""
	for tw_try in 1 2 3; do
		tw_my_port=$(tw_free_port)
		"$tw_mariadbd" --no-defaults --user="$(id -un)" --datadir="$tw_my_run/data" \
			--socket="$tw_my_sock" --pid-file="$tw_my_run/mysqld.pid" \
			--port="$tw_my_port" --bind-address=127.0.0.1 --skip-name-resolve \
			--log-error="$tw_my_run/error.log" --innodb-buffer-pool-size=64M \
			--max-connections=500 </dev/null >/dev/null 2>&1 &
		tw_my_pid=$!
		for _ in $(seq 1 120); do
			if mariadb-admin --no-defaults --socket="$tw_my_sock" --user="$(id -un)" ping >/dev/null 2>&1; then
				tw_my_up=1
				break
			fi
			kill -0 "$tw_my_pid" 2>/dev/null || break
			sleep 0.5
		done
		[ -n "$tw_my_up" ] && break
		kill "$tw_my_pid" 2>/dev/null || true
		wait "$tw_my_pid" 2>/dev/null || true
	done
	if [ -z "$tw_my_up" ]; then
		echo "MariaDB did not start; its log:"
		tail -n 30 "$tw_my_run/error.log"
		return 1
	fi
	echo "$tw_my_port" >"$tw_my_run/port"
	# The tests' user: a random password, kept mode 600 beside the data. The
	# socket authentication of mariadb-install-db lets the system user who
	# ran it in as the database user of the same name.
	(umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$tw_my_run/password")
	mariadb --no-defaults --socket="$tw_my_sock" --user="$(id -un)" <<SQL
CREATE USER 'tinywindow'@'127.0.0.1' IDENTIFIED BY '$(cat "$tw_my_run/password")';
GRANT ALL PRIVILEGES ON *.* TO 'tinywindow'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS tinywindow_trail;
SQL
	unset tw_my_up tw_try tw_my_pid
fi
tw_my_port=$(cat "$tw_my_run/port")
export TW_TRAIL_DSN="tinywindow:$(cat "$tw_my_run/password")@tcp(127.0.0.1:$tw_my_port)/tinywindow_trail"
echo "mariadb: $("$tw_mariadbd" --version | sed 's/^.*Ver //') on 127.0.0.1:$tw_my_port (TW_TRAIL_DSN)"
unset -f tw_my_alive
unset tw_mariadbd tw_my_run tw_my_sock tw_my_port
