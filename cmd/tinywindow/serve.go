package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tinywindow/tinywindow/service"
)

func init() {
	register(command{
		name:    "serve",
		summary: "run the signing service (gRPC, mutual TLS) for the keys of a config file",
		run:     runServe,
	})
}

// runServe runs the signing service until SIGINT or SIGTERM (then drains
// calls in flight for up to limits.shutdown-grace and flushes the spans of
// the tracing section, if any), reloading the config file on SIGHUP.
func runServe(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "serve", "--config FILE [--insecure-loopback]  |  --init-checkpoint-state FILE")
	configPath := fileString(fs, "config", kindServeConfig, "service config file (YAML; see docs/service.md)")
	insecureLoopback := fs.Bool("insecure-loopback", false, "serve plaintext gRPC without TLS; only on a loopback listen address, for development")
	initState := fs.String("init-checkpoint-state", "", "create the state file of a checkpoints key that has never signed a checkpoint (its keys.NAME.state), then exit; an existing file is refused")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *initState != "" {
		if *configPath != "" {
			return e.errorf("serve: --init-checkpoint-state creates a file and exits; give it without --config")
		}
		if err := service.InitCheckpointState(*initState); err != nil {
			return e.errorf("serve: %v (a state file that exists holds what the key signed: restore it from a backup if it is damaged, never start it over)", err)
		}
		fmt.Fprintf(e.stdout, "created checkpoint state file %s\n", *initState)
		return exitOK
	}
	if *configPath == "" {
		return e.errorf("serve: --config FILE is required")
	}
	cfg, err := service.LoadConfig(*configPath)
	if err != nil {
		return e.errorf("serve: %v", err)
	}
	if *insecureLoopback {
		if err := requireLoopback(cfg.Listen); err != nil {
			return e.errorf("serve: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv, err := service.New(ctx, cfg, service.Options{InsecureLoopback: *insecureLoopback, Logger: log})
	if err != nil {
		return e.errorf("serve: %v", err)
	}
	lis, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		srv.Shutdown(context.Background())
		return e.errorf("serve: listen: %v", err)
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(lis) }()

	var metrics *http.Server
	if cfg.Metrics.Listen != "" {
		mlis, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			srv.Shutdown(context.Background())
			return e.errorf("serve: metrics listen: %v", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", srv.MetricsHandler())
		metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		log.Info("metrics", "addr", mlis.Addr().String(), "path", "/metrics")
		go func() {
			if err := metrics.Serve(mlis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("metrics: %w", err)
			}
		}()
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	code := exitOK
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-hup:
			next, err := service.LoadConfig(*configPath)
			if err == nil {
				err = srv.Reload(ctx, next)
			}
			if err != nil {
				log.Error("reload failed; the previous configuration stays", "err", err)
			}
		case err := <-serveErr:
			code = e.errorf("serve: %v", err)
			break loop
		}
	}
	grace := cfg.Limits.ShutdownGrace
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if metrics != nil {
		metrics.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	return code
}

// requireLoopback refuses a listen address that is not a loopback IP.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--insecure-loopback serves plaintext, so listen must be a loopback IP such as 127.0.0.1:7443, not %q", addr)
	}
	return nil
}
