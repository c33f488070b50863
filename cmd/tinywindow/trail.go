package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tinywindow/tinywindow/trail"
)

func init() {
	register(command{
		name:    "trail",
		summary: "trail serve|prove|check-proof: run the firm's trail, a C2SP tlog-tiles log of the adapters' signed checkpoints; prove a record is in it; check a proof offline",
		run:     runTrail,
	})
}

const trailUsage = `usage:
  tinywindow trail serve --storage posix:DIR|aws:… --listen ADDR --signer URI --log ORIGIN=VERIFIER-URI... [--witness URL=VKEY]... [--origin NAME] [--config FILE]
  tinywindow trail prove --trail URL --export DIR|URL --origin O --record N
  tinywindow trail check-proof PROOF --verifier URI --trail-verifier URI [--witness VKEY]...`

// trailCommands are the subcommands of trail.
var trailCommands = []command{
	{name: "serve", run: runTrailServe},
	{name: "prove", run: runTrailProve},
	{name: "check-proof", run: runTrailCheckProof},
}

// runTrail runs the trail subcommands.
func runTrail(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintln(e.stderr, trailUsage)
		return exitOK
	}
	if len(args) == 0 {
		return e.errorf("trail: %s", trailUsage)
	}
	for _, c := range trailCommands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return e.errorf("trail: unknown subcommand %q\n%s", args[0], trailUsage)
}

// kindTrailConfig is the config file of trail serve.
var kindTrailConfig = &fileKind{name: "trail config", limit: 1 << 20}

// trailConfig is the config file of trail serve; a flag given on the
// command line overrides its field, and --log flags replace its logs.
type trailConfig struct {
	Storage string `yaml:"storage"`
	Listen  string `yaml:"listen"`
	Signer  string `yaml:"signer"`
	Origin  string `yaml:"origin"`
	// Logs maps each adapter log's origin to the verifier URIs of its
	// checkpoint keys.
	Logs map[string][]string `yaml:"logs"`
	// Witnesses cosign the trail's checkpoints; --witness flags replace
	// them.
	Witnesses []trailWitness `yaml:"witnesses"`
}

// trailWitness is a witness in the config file.
type trailWitness struct {
	URL  string `yaml:"url"`
	Vkey string `yaml:"vkey"`
}

// defaultTrailOrigin names the trail's checkpoints when neither --origin
// nor the config file does.
const defaultTrailOrigin = "tinywindow.trail"

func runTrailServe(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "trail serve", "--storage posix:DIR|aws:… --listen ADDR --signer URI --log ORIGIN=VERIFIER-URI... [--witness URL=VKEY]... [--origin NAME] [--config FILE]")
	storage := fs.String("storage", "", "where the trail keeps its log: posix:DIR, or aws:bucket=B;endpoint=URL;region=R?dsn-source=env:NAME|file:PATH")
	listen := fs.String("listen", "", "HOST:PORT the trail serves on (add-checkpoint, /checkpoint, /tile/…, /origin/…, /evidence/…)")
	signerFlag := fs.String("signer", "", "key URI of the trail's own checkpoint key: Ed25519, of any backend, not the key of a registered log")
	origin := fs.String("origin", "", "origin of the trail's checkpoints (default "+defaultTrailOrigin+")")
	var logs stringList
	fs.Var(&logs, "log", "ORIGIN=VERIFIER-URI: an adapter log whose checkpoints the trail accepts, and a key that verifies them (repeatable; several for one origin accept each key)")
	var witnesses stringList
	fs.Var(&witnesses, "witness", "URL=VKEY: a C2SP tlog-witness that must cosign every trail checkpoint before it is published: its root URL and its cosignature verifier key (repeatable; every one must cosign)")
	configPath := fileString(fs, "config", kindTrailConfig, "YAML file with storage, listen, signer, origin, logs (ORIGIN: [VERIFIER-URI, …]) and witnesses ([{url: URL, vkey: VKEY}]); flags override it")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	var cfg trailConfig
	if *configPath != "" {
		b, err := readFile(ctx, kindTrailConfig, *configPath)
		if err != nil {
			return e.errorf("trail serve: %v", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return e.errorf("trail serve: config file %q: %v; write storage:, listen:, signer:, origin: and logs: {ORIGIN: [VERIFIER-URI]}", *configPath, err)
		}
	}
	for _, f := range []struct{ flag, cfg *string }{{storage, &cfg.Storage}, {listen, &cfg.Listen}, {signerFlag, &cfg.Signer}, {origin, &cfg.Origin}} {
		if *f.flag != "" {
			*f.cfg = *f.flag
		}
	}
	if cfg.Origin == "" {
		cfg.Origin = defaultTrailOrigin
	}
	if len(logs) > 0 {
		cfg.Logs = map[string][]string{}
		for _, l := range logs {
			o, uri, ok := strings.Cut(l, "=")
			if !ok || o == "" || uri == "" {
				return e.errorf("trail serve: --log %q: write ORIGIN=VERIFIER-URI, such as adapter.example/a=pem:pub-source=file:a.checkpoint-key.pub.pem", l)
			}
			cfg.Logs[o] = append(cfg.Logs[o], uri)
		}
	}
	if len(witnesses) > 0 {
		cfg.Witnesses = nil
		for _, w := range witnesses {
			u, vkey, ok := strings.Cut(w, "=")
			if !ok || u == "" || vkey == "" {
				return e.errorf("trail serve: --witness %q: write URL=VKEY, such as http://witness.example:7380=example.com/witness+1234abcd+BASE64", w)
			}
			cfg.Witnesses = append(cfg.Witnesses, trailWitness{URL: u, Vkey: vkey})
		}
	}
	switch {
	case cfg.Storage == "":
		return e.errorf("trail serve: --storage is required: posix:DIR for a directory on this host")
	case cfg.Listen == "":
		return e.errorf("trail serve: --listen HOST:PORT is required")
	case cfg.Signer == "":
		return e.errorf("trail serve: --signer URI is required: the trail's own Ed25519 key (tinywindow keygen --alg Ed25519 --out trail.pem makes one)")
	case len(cfg.Logs) == 0:
		return e.errorf("trail serve: no log registered: give --log ORIGIN=VERIFIER-URI for each adapter log")
	}

	signer, err := openKey(ctx, cfg.Signer)
	if err != nil {
		return e.errorf("trail serve: --signer: %v", err)
	}
	defer signer.Close()
	var keys []trail.LogKey
	for _, o := range slices.Sorted(maps.Keys(cfg.Logs)) {
		lk := trail.LogKey{Origin: o}
		for _, uri := range cfg.Logs[o] {
			k, err := openKey(ctx, uri)
			if err != nil {
				return e.errorf("trail serve: log %q: %v", o, err)
			}
			defer k.Close()
			lk.Keys = append(lk.Keys, k)
		}
		keys = append(keys, lk)
	}
	st, err := waitFor(ctx, "opening the trail's storage", func() (*trail.Storage, error) {
		return trail.OpenStorage(ctx, cfg.Storage)
	}, func(st *trail.Storage) { st.Close() })
	if err != nil {
		return e.errorf("trail serve: --storage: %v", err)
	}
	defer st.Close()
	tc := trail.Config{Storage: st, Signer: signer, Origin: cfg.Origin, Logs: keys}
	for _, w := range cfg.Witnesses {
		tc.Witnesses = append(tc.Witnesses, trail.Witness{URL: w.URL, VerifierKey: w.Vkey})
	}
	srv, err := trail.New(ctx, tc)
	if err != nil {
		return e.errorf("trail serve: %v", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		srv.Close(context.Background())
		return e.errorf("trail serve: --listen: %v", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(e.stdout, "trail listening on http://%s (origin %s, key %s, %d logs, %d witnesses, storage %s)\n", ln.Addr(), cfg.Origin, signer.Info().ID, len(keys), len(tc.Witnesses), cfg.Storage)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-done:
	}
	// Stop taking requests, then let Tessera publish a checkpoint that
	// covers every entry it gave an index to.
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	closeErr := srv.Close(sctx)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return e.errorf("trail serve: %v", serveErr)
	}
	if closeErr != nil {
		return e.errorf("trail serve: %v", closeErr)
	}
	fmt.Fprintln(e.stdout, "trail stopped")
	return exitOK
}
