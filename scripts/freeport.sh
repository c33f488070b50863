# freeport.sh defines tw_free_port, sourced by the set-up scripts that start
# a server of their own on loopback.

# tw_free_port prints a TCP port on 127.0.0.1 that nothing listens on now,
# chosen at random in 20000-59999. A server started on it may still lose it
# to another process: the caller checks that its server came up.
tw_free_port() {
	local port i
	for i in $(seq 1 100); do
		port=$((20000 + RANDOM % 40000))
		# A refused connection means nothing listens there.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "tw_free_port: no free port found in 100 tries" >&2
	return 1
}
