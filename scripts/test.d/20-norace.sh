# 20-norace.sh runs, without the race detector, every package that has test
# files built only without it (//go:build !race): the allocation and memory
# tests, which the race detector's own allocations would break, and which
# the race run of scripts/test.sh therefore leaves out.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t dirs < <(git ls-files '*_test.go' | xargs grep -l '^//go:build !race' | xargs -n1 dirname | sort -u)
if [ "${#dirs[@]}" -eq 0 ]; then
	echo "no test files are built only without the race detector" >&2
	exit 1
fi
pkgs=()
for d in "${dirs[@]}"; do
	pkgs+=("./$d")
done
echo "packages: ${pkgs[*]}"
go test -count=1 "${pkgs[@]}"
