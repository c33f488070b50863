# 80-load.sh runs the concurrency tests of the venue, the execution adapter,
# the audit log, the remote client and the signing service LOAD_COUNT times
# in a row (default 20; the race detector on) while busy loops, three per
# core, oversubscribe the CPU: a test that passes only on an idle machine
# fails here. Each package's run is bounded by LOAD_TIMEOUT (default 4m).
# The busy loops end when the script does, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/../.."

count="${LOAD_COUNT:-20}"
timeout="${LOAD_TIMEOUT:-4m}"
mod=github.com/tinywindow/tinywindow
# Package, then the tests (a -run pattern) that exercise concurrency.
suites=(
	"$mod/execadapter/venue" '^(TestTCP(MixedLoad|OwnAckCancelled|TimeoutThenReconnect|ExpiredDeadlineNotSent|DeadlineDuringBlockedWrite|WriteTimeoutDropsDeadVenue)|TestServer(ConnectionCap|IdleTimeout))$'
	"$mod/execadapter" '^(TestSendOrderVenueAnswers|TestSendOrderSignedAck)$'
	"$mod/execadapter/audit" '^(TestBackPressureKeepsEveryRecord|TestBackPressureDoesNotWaitForFsync|TestCheckpointsCoverOnlySyncedRecords|TestSlowSignerDoesNotBlockAppend)$'
	"$mod/providers/remote" '^(TestKilledMidLoad|TestWithTimeout)$'
	"$mod/service" '^(TestReloadKeepsCalls|TestShutdownDrains|TestDeadlines|TestDefaultTimeout)$'
)

# Build first, on a quiet CPU: the load is for the tests.
pkgs=()
for ((i = 0; i < ${#suites[@]}; i += 2)); do
	pkgs+=("${suites[i]}")
done
go test -race -count=1 -run '^$' "${pkgs[@]}" >/dev/null

busy=()
stop_busy() {
	if [ "${#busy[@]}" -gt 0 ]; then
		kill "${busy[@]}" 2>/dev/null || true
		wait "${busy[@]}" 2>/dev/null || true
	fi
}
trap stop_busy EXIT
loops=$((3 * $(nproc)))
for ((i = 0; i < loops; i++)); do
	(while :; do :; done) &
	busy+=("$!")
done
echo "$loops busy loops on $(nproc) cores; each suite -count=$count"

start=$SECONDS
for ((i = 0; i < ${#suites[@]}; i += 2)); do
	t0=$SECONDS
	go test -race -count="$count" -timeout "$timeout" -run "${suites[i + 1]}" "${suites[i]}"
	echo "  ${suites[i]}: $((SECONDS - t0))s"
done
echo "all suites passed $count times under load in $((SECONDS - start))s"
