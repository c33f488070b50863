# 80-load.sh runs the concurrency tests of the venue, the execution adapter,
# the audit log, the remote client and the signing service LOAD_COUNT times
# in a row (default 20; the race detector on) while busy loops, three per
# core, oversubscribe the CPU: a test that passes only on an idle machine
# fails here. The test binaries are built first, on a quiet CPU; each
# package's run is bounded by LOAD_TIMEOUT (default 4m). The busy loops end
# when the script does, whatever the outcome (an error, a failed test, a
# signal).
set -euo pipefail
cd "$(dirname "$0")/../.."

count="${LOAD_COUNT:-20}"
timeout="${LOAD_TIMEOUT:-4m}"
mod=github.com/tinywindow/tinywindow
# Package, then the tests (a -run pattern) that exercise concurrency, chosen
# to fit a few minutes under load.
suites=(
	"$mod/execadapter/venue" '^(TestTCP(MixedLoad|OwnAckCancelled|TimeoutThenReconnect|ExpiredDeadlineNotSent|DeadlineDuringBlockedWrite|WriteTimeoutDropsDeadVenue)|TestServer(ConnectionCap|IdleTimeout))$'
	"$mod/execadapter" '^TestSendOrder(VenueAnswers|SignedAck)$/^TCP'
	"$mod/execadapter/audit" '^(TestBackPressureDoesNotWaitForFsync|TestSlowSignerDoesNotBlockAppend)$'
	"$mod/providers/remote" '^TestWithTimeout$'
	"$mod/providers/remote/integration" '^TestKilledMidLoad$'
	"$mod/service" '^(TestShutdownDrains|TestDeadlines|TestDefaultTimeout|TestReloadKeepsCalls)$'
)

bin="$(mktemp -d)"
busy=()
running=""
stop() {
	if [ -n "$running" ]; then
		kill "$running" 2>/dev/null || true
	fi
	if [ "${#busy[@]}" -gt 0 ]; then
		kill "${busy[@]}" 2>/dev/null || true
		wait "${busy[@]}" 2>/dev/null || true
	fi
	rm -rf "$bin"
}
trap stop EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < ${#suites[@]}; i += 2)); do
	go test -race -c -o "$bin/$i.test" "${suites[i]}"
	# A pattern that matches no test would pass without running anything.
	top="${suites[i + 1]%%/*}"
	if [ -z "$("$bin/$i.test" -test.list "$top")" ]; then
		echo "FAIL ${suites[i]}: no test matches $top" >&2
		exit 1
	fi
done

loops=$((3 * $(nproc)))
for ((i = 0; i < loops; i++)); do
	(while :; do :; done) &
	busy+=("$!")
done
echo "$loops busy loops on $(nproc) cores; each suite -count=$count"

start=$SECONDS
for ((i = 0; i < ${#suites[@]}; i += 2)); do
	t0=$SECONDS
	dir="$(go list -f '{{.Dir}}' "${suites[i]}")"
	# In the background, so that a signal is handled at once.
	(cd "$dir" && exec "$bin/$i.test" -test.count="$count" -test.timeout="$timeout" -test.run="${suites[i + 1]}") &
	running=$!
	if ! wait "$running"; then
		echo "FAIL ${suites[i]} under load" >&2
		exit 1
	fi
	running=""
	echo "ok   ${suites[i]}: $((SECONDS - t0))s"
done
echo "all suites passed $count times under load in $((SECONDS - start))s"
