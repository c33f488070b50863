# 46-versitygw.sh builds versitygw, an S3 gateway, into $TW_TOOLS/bin (if it
# is not there yet) and starts it on a free port of 127.0.0.1 with its posix
# backend on $TW_TOOLS/run/versitygw/root, the S3-compatible storage of the
# trail's AWS driver and of `audit export` to s3://. It creates the bucket
# TW_S3_BUCKET and exports TW_VERSITYGW (the binary, for tests that start and
# stop one of their own), TW_S3_ENDPOINT, TW_S3_BUCKET and the standard AWS
# variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) holding the
# gateway's root credentials. The gateway is left running for the tests; a
# later run reuses it while it answers. Sourced by scripts/test.sh with
# set -euo pipefail; idempotent.
#
# The version is pinned here, and only here.
TW_VERSITYGW_MODULE="github.com/versity/versitygw/cmd/versitygw@v1.8.0"

: "${TW_TOOLS:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools}"
mkdir -p "$TW_TOOLS/bin"
# shellcheck source=../freeport.sh
source "$(dirname "${BASH_SOURCE[0]}")/../freeport.sh"
tw_vgw_bin="$TW_TOOLS/bin/versitygw"
tw_vgw_stamp="$TW_TOOLS/bin/versitygw.version"
if [ ! -x "$tw_vgw_bin" ] || [ "$(cat "$tw_vgw_stamp" 2>/dev/null)" != "$TW_VERSITYGW_MODULE" ]; then
	echo "building $TW_VERSITYGW_MODULE into $TW_TOOLS/bin (several minutes)"
	# Built outside the repository's modules (GOWORK=off), so its
	# dependencies touch neither go.mod nor go.work.
	(cd "$TW_TOOLS" && GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$TW_TOOLS/bin" go install "$TW_VERSITYGW_MODULE")
	echo "$TW_VERSITYGW_MODULE" >"$tw_vgw_stamp"
fi
export TW_VERSITYGW="$tw_vgw_bin"

tw_vgw_run="$TW_TOOLS/run/versitygw"
export TW_S3_BUCKET="tinywindow"
export AWS_REGION="us-east-1"

# tw_vgw_alive reports whether the gateway of $tw_vgw_run answers with its
# credentials: an authenticated HEAD of the bucket. (versitygw refuses a
# request without x-amz-content-sha256, which curl's --aws-sigv4 does not
# send by itself.)
tw_vgw_alive() {
	[ -f "$tw_vgw_run/port" ] && [ -f "$tw_vgw_run/secret" ] &&
		curl -fsS -o /dev/null -I --aws-sigv4 "aws:amz:$AWS_REGION:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
			--user "tinywindow:$(cat "$tw_vgw_run/secret")" \
			"http://127.0.0.1:$(cat "$tw_vgw_run/port")/$TW_S3_BUCKET" 2>/dev/null
}

if ! tw_vgw_alive; then
	if [ -f "$tw_vgw_run/pid" ]; then
		kill "$(cat "$tw_vgw_run/pid")" 2>/dev/null || true
		sleep 1
	fi
	rm -rf "$tw_vgw_run"
	mkdir -p "$tw_vgw_run/root"
	(umask 077 && head -c 30 /dev/urandom | base64 | tr '+/' '-_' >"$tw_vgw_run/secret")
	tw_vgw_up=""
	for tw_try in 1 2 3; do
		tw_vgw_port=$(tw_free_port)
		# The root credentials come through the environment, not the
		# command line, where any user could read them.
		ROOT_ACCESS_KEY_ID=tinywindow ROOT_SECRET_ACCESS_KEY="$(cat "$tw_vgw_run/secret")" \
			"$tw_vgw_bin" --port "127.0.0.1:$tw_vgw_port" --region "$AWS_REGION" --quiet \
			posix "$tw_vgw_run/root" </dev/null >"$tw_vgw_run/gateway.log" 2>&1 &
		tw_vgw_pid=$!
		echo "$tw_vgw_port" >"$tw_vgw_run/port"
		for _ in $(seq 1 100); do
			# Creating the bucket is the first request that may succeed.
			if curl -fsS -o /dev/null -X PUT --aws-sigv4 "aws:amz:$AWS_REGION:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
				--user "tinywindow:$(cat "$tw_vgw_run/secret")" \
				"http://127.0.0.1:$tw_vgw_port/$TW_S3_BUCKET" 2>/dev/null; then
				tw_vgw_up=1
				break
			fi
			kill -0 "$tw_vgw_pid" 2>/dev/null || break
			sleep 0.2
		done
		[ -n "$tw_vgw_up" ] && break
		kill "$tw_vgw_pid" 2>/dev/null || true
		wait "$tw_vgw_pid" 2>/dev/null || true
	done
	if [ -z "$tw_vgw_up" ]; then
		echo "versitygw did not start; its log:"
		tail -n 30 "$tw_vgw_run/gateway.log"
		return 1
	fi
	echo "$tw_vgw_pid" >"$tw_vgw_run/pid"
	unset tw_vgw_up tw_try tw_vgw_pid
fi
export TW_S3_ENDPOINT="http://127.0.0.1:$(cat "$tw_vgw_run/port")"
export AWS_ACCESS_KEY_ID="tinywindow"
AWS_SECRET_ACCESS_KEY="$(cat "$tw_vgw_run/secret")"
export AWS_SECRET_ACCESS_KEY
echo "versitygw: $TW_VERSITYGW ($TW_VERSITYGW_MODULE) at $TW_S3_ENDPOINT, bucket $TW_S3_BUCKET"
unset -f tw_vgw_alive
unset tw_vgw_bin tw_vgw_stamp tw_vgw_run tw_vgw_port
