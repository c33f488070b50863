package main

import (
	"context"
	"fmt"
	"net"

	"github.com/tinywindow/tinywindow/config"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{
		name:    "venue",
		summary: "serve a simulated venue over TCP that verifies signed orders",
		run:     runVenue,
	})
}

func runVenue(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "venue", "--listen HOST:PORT --verifier URI [--state DIR] [--signer URI]")
	listen := fs.String("listen", "", "HOST:PORT to listen on, such as 127.0.0.1:9400 (port 0 picks one)")
	verifier := fs.String("verifier", "", "key URI of the verifier for the orders' signatures (default $"+config.SignerEnv+")")
	maxSkew := fs.Duration("max-skew", venue.DefaultMaxSkew, "largest difference between an order's timestamp and the venue's clock; positive and under half the duplicate window ("+venue.DefaultDedupWindow.String()+")")
	maxConns := fs.Int("max-conns", venue.DefaultMaxConns, "connections served at once; one beyond is closed at once")
	idleTimeout := fs.Duration("idle-timeout", venue.DefaultIdleTimeout, "close a connection on which no whole frame arrives for this long")
	stateDir := fs.String("state", "", "directory keeping the duplicate window across restarts and crashes (default: memory only)")
	ackSigner := fs.String("signer", "", "key URI of the venue's own key, which signs every ack (default: acks unsigned)")
	cpuProfile := fileString(fs, "cpuprofile", kindProfile, "write a CPU profile of the venue, until it stops, to this file")
	traceFile := fileString(fs, "trace", kindProfile, "write an execution trace of the venue, until it stops, to this file (go tool trace)")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() != 0 {
		return e.errorf("venue: unexpected argument %q", fs.Arg(0))
	}
	if *listen == "" {
		return e.errorf("venue: --listen HOST:PORT is required")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return e.errorf("venue: --listen %q: %v; write HOST:PORT", *listen, err)
	}
	if err := venue.CheckMaxSkew(*maxSkew, venue.DefaultDedupWindow); err != nil {
		return e.errorf("venue: --max-skew: %v; pick one under %v", err, venue.DefaultDedupWindow/2)
	}
	if *maxConns < 1 {
		return e.errorf("venue: --max-conns %d: must be at least 1", *maxConns)
	}
	if *idleTimeout <= 0 {
		return e.errorf("venue: --idle-timeout %v: must be positive", *idleTimeout)
	}
	uri := signerURI(*verifier, "")
	if uri == "" {
		return e.errorf("venue: --verifier URI is required (the key the orders are signed with)")
	}
	key, err := provider.Open(ctx, uri)
	if err != nil {
		return e.errorf("venue: --verifier: %v", err)
	}
	defer key.Close()
	keys, err := provider.NewKeyring(key)
	if err != nil {
		return e.errorf("venue: %v", err)
	}
	opts := venue.ServerOptions{StateDir: *stateDir, MaxConns: *maxConns, IdleTimeout: *idleTimeout}
	signedBy := ""
	if *ackSigner != "" {
		s, err := provider.Open(ctx, *ackSigner)
		if err != nil {
			return e.errorf("venue: --signer: %v", err)
		}
		defer s.Close()
		opts.Signer = s
		signedBy = fmt.Sprintf(", acks signed by %s, %s", s.Info().ID, s.Info().Algorithm)
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys, MaxSkew: *maxSkew})
	if err != nil {
		return e.errorf("venue: %v", err)
	}
	// Map the duplicate window before the first order, so that no order
	// pays a page fault for it.
	sim.Prefault()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return e.errorf("venue: %v", err)
	}
	srv, err := venue.NewServer(ln, sim, opts)
	if err != nil {
		ln.Close()
		return e.errorf("venue: %v", err)
	}
	srv.OnError = func(remote net.Addr, err error) {
		fmt.Fprintf(e.stderr, "tinywindow venue: closed connection from %v: %v\n", remote, err)
	}
	state := "duplicate window in memory"
	if *stateDir != "" {
		state = "duplicate window in " + *stateDir
		if rec := srv.Recovery(); rec.TruncatedBytes > 0 {
			fmt.Fprintf(e.stderr, "tinywindow venue: state %s: %v (the tail of a write that was never acknowledged)\n", *stateDir, rec)
		}
	}
	stopProfiles, err := startProfiles(*cpuProfile, *traceFile)
	if err != nil {
		srv.Close()
		return e.errorf("venue: %v", err)
	}
	defer stopProfiles()
	fmt.Fprintf(e.stdout, "venue listening on %s (verifier %s, %s; %s%s)\n", ln.Addr(), key.Info().ID, key.Info().Algorithm, state, signedBy)
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	select {
	case <-ctx.Done():
		srv.Close()
		<-done
		fmt.Fprintf(e.stdout, "venue stopped: %d connections refused beyond --max-conns %d, %d closed idle\n", srv.Refused(), *maxConns, srv.IdleClosed())
		return exitOK
	case err := <-done:
		srv.Close()
		return e.errorf("venue: %v", err)
	}
}
