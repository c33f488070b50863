package service

import (
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// preparePurpose readies e, a key of configuration k, for its purpose: the
// envelope sealers and pre-trade checks of an orders key, the ack signers of an acks key, the
// state file of a checkpoints key.
func (s *Server) preparePurpose(e *entry, k Key) error {
	switch e.purpose {
	case PurposeOrders:
		e.maxSkew = k.maxSkew()
		if err := s.prepareLimits(e, k); err != nil {
			return err
		}
		// NewSealer checks the key's ID and algorithm fit an envelope.
		first, err := venue.NewSealer(e.key)
		if err != nil {
			return err
		}
		e.sealers.Put(first)
		e.sealers.New = func() any {
			sl, _ := venue.NewSealer(e.key)
			return sl
		}
	case PurposeAcks:
		first, err := venue.NewAckSigner(e.key)
		if err != nil {
			return err
		}
		e.ackSigners.Put(first)
		e.ackSigners.New = func() any {
			as, _ := venue.NewAckSigner(e.key)
			return as
		}
	case PurposeCheckpoints:
		e.ck = s.checkpointState(k.State)
		if e.ck.err != nil {
			s.log.Error("checkpoint key signs nothing", "key", e.name, "err", e.ck.err)
		}
	}
	return nil
}

// checkpointState returns the state of the checkpoint state file at path,
// opening it the first time a configuration names it, and again on a reload
// after it was found missing or damaged (an operator may have restored it).
func (s *Server) checkpointState(path string) *checkpointState {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	if cs := s.ckStates[path]; cs != nil {
		cs.mu.Lock()
		ok := cs.err == nil
		if !ok {
			cs.close()
		}
		cs.mu.Unlock()
		if ok {
			return cs
		}
	}
	cs := openCheckpointState(path)
	if s.ckStates == nil {
		s.ckStates = map[string]*checkpointState{}
	}
	s.ckStates[path] = cs
	return cs
}

// closeCheckpointStates closes every checkpoint state file, at Shutdown.
func (s *Server) closeCheckpointStates() {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	for _, cs := range s.ckStates {
		cs.mu.Lock()
		cs.close()
		cs.err = ErrCheckpointState
		cs.mu.Unlock()
	}
}
