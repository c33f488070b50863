package venue

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
)

// Server serves a Sim over TCP: it reads order frames from each connection,
// processes them in order, and writes an ack frame for each. A connection
// that sends anything but a well-formed order frame is closed.
type Server struct {
	sim *Sim
	ln  net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool           // set by Close; no connection is added after it
	wg     sync.WaitGroup // Add only under mu and before closed
	// OnError, if set, is told about each connection closed for a protocol
	// error.
	OnError func(remote net.Addr, err error)
}

// NewServer returns a server for sim on ln; call Serve to run it.
func NewServer(ln net.Listener, sim *Sim) *Server {
	return &Server{sim: sim, ln: ln, conns: map[net.Conn]struct{}{}}
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

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
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	fr := NewFrameReader(c)
	w := bufio.NewWriterSize(c, 1<<16)
	var out []byte
	ctx := context.Background()
	for {
		typ, body, err := fr.Next()
		if err != nil {
			if s.OnError != nil && !errors.Is(err, net.ErrClosed) {
				s.OnError(c.RemoteAddr(), err)
			}
			w.Flush()
			return
		}
		var ack Ack
		var id []byte
		if typ != FrameOrder {
			ack = Ack{Status: Rejected, Reason: ReasonUnsupportedFrame}
		} else {
			ack, id = s.sim.Process(ctx, body)
		}
		out = AppendAckFrame(out[:0], ack, id)
		if _, err := w.Write(out); err != nil {
			return
		}
		if fr.Buffered() == 0 { // nothing more queued: send the acks now
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
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
	return err
}
