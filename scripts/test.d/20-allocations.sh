# 20-allocations.sh runs, without the race detector, the tests that skip
# themselves under it: every test that calls testenv.SkipAllocations (the
# allocation and page-fault tests, whose counts the race detector's own
# allocations would break), in every package that has one. The race run of
# scripts/test.sh skips them.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git grep -l 'testenv\.SkipAllocations(' -- '*_test.go')
if [ "${#files[@]}" -eq 0 ]; then
	echo "no test calls testenv.SkipAllocations" >&2
	exit 1
fi
# The top-level test around each call: a call in a subtest runs its parent.
mapfile -t tests < <(awk '/^func Test[A-Za-z0-9_]*\(/ { name = $2; sub(/\(.*/, "", name) }
	/testenv\.SkipAllocations\(/ && name != "" { print name }' "${files[@]}" | sort -u)
pattern="^($(IFS='|'; echo "${tests[*]}"))\$"
pkgs=()
while IFS= read -r d; do
	pkgs+=("./$d")
done < <(printf '%s\n' "${files[@]}" | xargs -n1 dirname | sort -u)
echo "packages: ${pkgs[*]}"
echo "tests: $pattern"
go test -count=1 -run "$pattern" "${pkgs[@]}"
