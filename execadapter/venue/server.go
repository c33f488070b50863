package venue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// ServerOptions configure a Server.
type ServerOptions struct {
	// StateDir, if set, is a directory where the server keeps the venue's
	// duplicate window (the client order IDs seen within SimOptions
	// DedupWindow, up to DedupCapacity), so that after a restart on the same
	// directory, even after a crash, every order it acknowledged is still a
	// duplicate. Each accepted order's record is written and fsynced before
	// any ack that follows it is sent (acks waiting together share one
	// fsync). The directory is created if needed (mode 0700, its parent
	// fsynced) and locked: a second server on it is refused at once with an
	// error naming the process that holds it. A directory or segment that
	// group or others can write is refused, saying chmod. On opening, only
	// an incomplete final record of the last segment with nothing valid
	// after it (a write never acknowledged) is cut, which Recovery reports;
	// anything else malformed refuses NewServer with an error matching
	// ErrState, and every byte is left in place.
	StateDir string
	// Signer, if set, signs every ack (FrameSignedAck, see SignedAck): the
	// venue's signature over the ack and the SHA-256 of the envelope it
	// answers. Otherwise acks are unsigned (FrameAck).
	Signer provider.Signer
	// MaxConns caps the connections served at once (default
	// DefaultMaxConns): one accepted beyond it is closed at once and
	// counted (Refused).
	MaxConns int
	// IdleTimeout closes a connection on which no whole frame has arrived
	// IdleTimeout after the server began reading it, or waiting for it (at
	// most 3/2 of it; default DefaultIdleTimeout), and counts it
	// (IdleClosed): a client that connects and goes silent, or stops in the
	// middle of a frame, does not hold a connection longer. Acks owed are
	// sent first.
	IdleTimeout time.Duration
}

// The defaults of ServerOptions.
const (
	DefaultMaxConns    = 1024
	DefaultIdleTimeout = 5 * time.Minute
)

// Server serves a Sim over TCP: it reads order frames from each connection,
// processes them in order, and writes an ack frame for each. Batch frames
// (FrameBatch) are verified once each and kept in a BatchCache of the
// connection, against which its batch-signed orders are checked. A
// connection that sends anything but a well-formed order or batch frame,
// or a batch frame whose ID it already used for another batch, is closed
// without an ack.
type Server struct {
	sim      *Sim
	ln       net.Listener
	opts     ServerOptions
	state    *dedupLog
	recovery Recovery

	refused    atomic.Uint64
	idleClosed atomic.Uint64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool           // set by Close; no connection is added after it
	wg     sync.WaitGroup // Add only under mu and before closed
	// OnError, if set, is told about each connection closed for an error:
	// a protocol violation, a read error, or an ack that could not be made
	// durable or signed. A client that disconnects cleanly between frames is
	// not an error.
	OnError func(remote net.Addr, err error)
}

// NewServer returns a server for sim on ln; call Serve to run it. With
// opts.StateDir it loads the duplicate window from there; sim must be used
// by this server only.
func NewServer(ln net.Listener, sim *Sim, opts ServerOptions) (*Server, error) {
	if opts.MaxConns < 0 || opts.IdleTimeout < 0 {
		return nil, fmt.Errorf("%w: venue server: MaxConns %d and IdleTimeout %v must not be negative", provider.ErrInvalidConfig, opts.MaxConns, opts.IdleTimeout)
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	s := &Server{sim: sim, ln: ln, opts: opts, conns: map[net.Conn]struct{}{}}
	if opts.Signer != nil {
		if _, err := NewAckSigner(opts.Signer); err != nil {
			return nil, err
		}
	}
	if opts.StateDir != "" {
		l, err := sim.attachState(opts.StateDir)
		if err != nil {
			return nil, err
		}
		s.state, s.recovery = l, l.recovery
	}
	return s, nil
}

// Recovery says what NewServer found in StateDir: the records intact, and
// the torn tail it cut, if any. Without StateDir it is the zero Recovery.
func (s *Server) Recovery() Recovery { return s.recovery }

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Refused returns the number of connections closed at once for being
// beyond ServerOptions.MaxConns.
func (s *Server) Refused() uint64 { return s.refused.Load() }

// IdleClosed returns the number of connections closed for
// ServerOptions.IdleTimeout.
func (s *Server) IdleClosed() uint64 { return s.idleClosed.Load() }

// Conns returns the number of connections being served.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Serve accepts connections until Close; it returns nil after Close.
func (s *Server) Serve() error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return nil
		}
		if len(s.conns) >= s.opts.MaxConns {
			s.mu.Unlock()
			c.Close()
			s.refused.Add(1)
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// maxPendingAcks bounds the acks a connection holds before making them
// durable and sending them.
const maxPendingAcks = 1 << 16

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	fail := func(err error) {
		if s.OnError != nil && !errors.Is(err, net.ErrClosed) {
			s.OnError(c.RemoteAddr(), err)
		}
	}
	var signer *AckSigner
	if s.opts.Signer != nil {
		signer, _ = NewAckSigner(s.opts.Signer) // checked by NewServer
	}
	fr := NewFrameReader(c)
	batches := NewBatchCache(s.sim.opts.Keys) // this connection's
	var out []byte
	ctx := context.Background()
	var idle lazyDeadline
	var rdl time.Time
	for {
		if dl := idle.next(time.Now(), s.opts.IdleTimeout); !dl.Equal(rdl) {
			c.SetReadDeadline(dl)
			rdl = dl
		}
		typ, body, err := fr.Next()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.idleClosed.Add(1)
			if ferr := s.flush(c, out); ferr != nil {
				fail(ferr)
			}
			return
		}
		switch {
		case err == nil && typ == FrameBatch:
			if err = batches.Add(ctx, body); err != nil {
				err = fmt.Errorf("%w: %w", ErrProtocol, err)
			}
		case err == nil && typ != FrameOrder:
			err = fmt.Errorf("%w: frame type %d from the client; want an order (%d) or a batch (%d)", ErrProtocol, typ, FrameOrder, FrameBatch)
		}
		if err != nil {
			// Acks already owed are sent, then the connection closes.
			if ferr := s.flush(c, out); ferr != nil {
				fail(ferr)
			} else if !errors.Is(err, io.EOF) {
				fail(err)
			}
			return
		}
		if typ == FrameOrder {
			ack, id := s.sim.ProcessIn(ctx, batches, body)
			if signer != nil {
				out, err = signer.AppendFrame(ctx, out, ack, id, body)
				if err != nil {
					fail(fmt.Errorf("signing the ack: %w", err))
					return
				}
			} else {
				out = AppendAckFrame(out, ack, id)
			}
		}
		if fr.Buffered() == 0 || len(out) >= maxPendingAcks { // nothing more queued: send the acks now
			if err := s.flush(c, out); err != nil {
				fail(err)
				return
			}
			out = out[:0]
		}
	}
}

// flush makes the window durable up to now, then writes the acks.
func (s *Server) flush(c net.Conn, acks []byte) error {
	if len(acks) == 0 {
		return nil
	}
	if s.state != nil {
		if err := s.state.sync(); err != nil {
			return fmt.Errorf("acks withheld: %w", err)
		}
	}
	_, err := c.Write(acks)
	return err
}

// Close stops accepting, closes every connection and waits for their
// goroutines.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if s.state != nil {
		s.sim.detachState(s.state)
		if serr := s.state.close(); err == nil {
			err = serr
		}
		s.state = nil
	}
	return err
}
