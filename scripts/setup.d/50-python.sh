# Python bindings (scripts/test.d/50-python.sh): Debian's python3 with pip, venv and
# pytest from apt (python3-pytest), since pip cannot reach its package index,
# and gcc for cgo (go build -buildmode=c-shared). Sourced by scripts/test.sh.
# Exports TW_PYTHON, the interpreter the Python tests use.
tw_py_missing=()
for tw_py_pkg in python3 python3-pip python3-venv python3-pytest gcc libc6-dev; do
	if ! dpkg-query -W -f='${Status}' "$tw_py_pkg" 2>/dev/null | grep -q 'install ok installed'; then
		tw_py_missing+=("$tw_py_pkg")
	fi
done
if [ "${#tw_py_missing[@]}" -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "python: installing ${tw_py_missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tw_py_missing[@]}"
	else
		echo "python: missing ${tw_py_missing[*]}; install them with: sudo apt-get install ${tw_py_missing[*]}"
	fi
fi
export TW_PYTHON=/usr/bin/python3
unset tw_py_missing tw_py_pkg
