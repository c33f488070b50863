package service

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// Reload swaps in a new configuration: keys, clients, limits, pre-trade
// limits files (applyLimits), TLS and tracing settings. Calls in flight finish with the keys they started with,
// which are closed once they are done. A changed tracing section gets a new
// tracer provider; the old one flushes its spans and stops once the calls
// that used it are done. An unchanged one is kept. If the new configuration cannot be loaded
// (a key fails to open, a certificate is missing, a limits file does not
// load) the old one stays and Reload says why. The listen address, the metrics address and the largest
// message size the transport accepts are fixed at start; so is the audit
// section (a reload that changes it is refused).
func (s *Server) Reload(ctx context.Context, cfg *Config) error {
	if cfg == nil {
		return fmt.Errorf("%w: Reload: nil config", provider.ErrInvalidConfig)
	}
	if err := cfg.Check(); err != nil {
		return err
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.stopped {
		return fmt.Errorf("%w: Reload after Shutdown", provider.ErrClosed)
	}
	old := s.state.Load()
	if cfg.Limits.MaxMessageBytes+MaxSignatureBytes+4096 > s.maxRecv {
		return fmt.Errorf("%w: limits.max-message-bytes %d is over the %d bytes the server started with; restart to raise it",
			provider.ErrInvalidConfig, cfg.Limits.MaxMessageBytes, s.maxRecv-MaxSignatureBytes-4096)
	}
	if (cfg.TLS != TLSConfig{}) == s.opts.InsecureLoopback {
		return fmt.Errorf("%w: a reload cannot switch between TLS and plaintext; restart", provider.ErrInvalidConfig)
	}
	if s.opts.TracerProvider != nil && cfg.Tracing != nil {
		return errTwoTracers
	}
	if !cfg.Audit.equal(old.cfg.Audit) {
		return fmt.Errorf("%w: the audit section is fixed at start; restart to change it", provider.ErrInvalidConfig)
	}
	if cfg.Listen != old.cfg.Listen || cfg.Metrics.Listen != old.cfg.Metrics.Listen {
		s.log.Warn("reload: listen addresses are fixed at start; restart to change them")
	}
	st, err := s.build(ctx, cfg, old)
	if err != nil {
		return err
	}
	s.state.Store(st)
	s.applyLimits(st, "limits reloaded")
	// A handshake that took the old TLS settings just before the swap may
	// still sign with the old TLS key (tls.key-uri): it stays open for as
	// long as a handshake may last.
	old.tlsKeyGrace = handshakeTimeout
	old.retire()
	if old.owned != nil && old.owned != st.owned {
		s.retiring.Go(func() {
			<-old.closed
			shutdownTracer(context.Background(), old.owned, s.log)
		})
	}
	s.log.Info("configuration reloaded", "keys", len(st.keys), "clients", len(st.clients), "tracing", st.owned != nil)
	return nil
}
