package killswitch

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/internal/printable"
)

// Action says what an [Event] did.
type Action uint8

// The actions.
const (
	// ActionKill: a kill came into force.
	ActionKill Action = 1
	// ActionApprove: a first identity approved lifting a kill; the kill
	// stays in force until a second, different identity resumes it.
	ActionApprove Action = 2
	// ActionResume: a second identity resumed the kill, which is lifted.
	ActionResume Action = 3
)

func (a Action) String() string {
	switch a {
	case ActionKill:
		return "kill"
	case ActionApprove:
		return "resume-approval"
	case ActionResume:
		return "resume"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Bounds of an event's text.
const (
	MaxIdentity = 255  // bytes of an identity
	MaxReason   = 1024 // bytes of a reason
)

// Event is one change of a [Switch]: who did what to which kill, when and
// why. Its binary form (AppendBinary, ParseEvent) is the payload of an
// audit log's kill records; the record's time is Time.
type Event struct {
	Action Action
	// Kill is the ID of the kill the event is about: a kill's own ID, or
	// the ID of the kill an approval or a resume lifts.
	Kill     uint64
	Scope    Scope
	Identity string // who: the caller's identity
	Reason   string
	Time     time.Time // not in the binary form
}

func (e Event) String() string {
	return fmt.Sprintf("%v: kill %d (%v), by %q: %q", e.Action, e.Kill, e.Scope, e.Identity, e.Reason)
}

// checkText returns nil if s, the named field, is 1 to max bytes of
// printable UTF-8, else an error matching ErrInvalid.
func checkText(field, s string, max int) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: the %s is empty; give one", ErrInvalid, field)
	case len(s) > max:
		return fmt.Errorf("%w: the %s is %d bytes; at most %d", ErrInvalid, field, len(s), max)
	case printable.String(s) != s:
		return fmt.Errorf("%w: the %s %q holds control characters, invalid UTF-8 or non-printing runes", ErrInvalid, field, s)
	}
	return nil
}

// Layout of the binary form:
//
//	0  1  action
//	1  8  kill ID, big-endian
//	9  1  scope kind
//	10 1  length n of the scope's value (0 for all), then n bytes
//	…  1  length of the identity (1 to 255), then the identity
//	…  2  length of the reason (1 to MaxReason, big-endian), then the reason

// AppendBinary appends the binary form of e to dst. It returns an error
// matching ErrInvalid if e is not an event ParseEvent would accept.
func (e Event) AppendBinary(dst []byte) ([]byte, error) {
	if err := e.check(); err != nil {
		return dst, err
	}
	dst = append(dst, byte(e.Action))
	dst = binary.BigEndian.AppendUint64(dst, e.Kill)
	dst = append(dst, byte(e.Scope.Kind), byte(len(e.Scope.Value)))
	dst = append(dst, e.Scope.Value...)
	dst = append(dst, byte(len(e.Identity)))
	dst = append(dst, e.Identity...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.Reason)))
	return append(dst, e.Reason...), nil
}

func (e Event) check() error {
	if e.Action < ActionKill || e.Action > ActionResume {
		return fmt.Errorf("%w: %v", ErrInvalid, e.Action)
	}
	if e.Kill == 0 {
		return fmt.Errorf("%w: kill ID 0; IDs start at 1", ErrInvalid)
	}
	if err := e.Scope.Check(); err != nil {
		return err
	}
	if err := checkText("identity", e.Identity, MaxIdentity); err != nil {
		return err
	}
	return checkText("reason", e.Reason, MaxReason)
}

// ParseEvent parses the binary form of an event, strictly: every field
// valid, no byte left over. Its Time is zero. An error matches ErrInvalid.
func ParseEvent(b []byte) (Event, error) {
	p := b
	take := func(n int, what string) ([]byte, error) {
		if len(p) < n {
			return nil, fmt.Errorf("%w: kill switch event: %s needs %d bytes, %d remain", ErrInvalid, what, n, len(p))
		}
		v := p[:n]
		p = p[n:]
		return v, nil
	}
	var e Event
	h, err := take(11, "header")
	if err != nil {
		return Event{}, err
	}
	e.Action = Action(h[0])
	e.Kill = binary.BigEndian.Uint64(h[1:])
	e.Scope.Kind = Kind(h[9])
	v, err := take(int(h[10]), "scope value")
	if err != nil {
		return Event{}, err
	}
	e.Scope.Value = string(v)
	n, err := take(1, "identity length")
	if err != nil {
		return Event{}, err
	}
	v, err = take(int(n[0]), "identity")
	if err != nil {
		return Event{}, err
	}
	e.Identity = string(v)
	if n, err = take(2, "reason length"); err != nil {
		return Event{}, err
	}
	if v, err = take(int(binary.BigEndian.Uint16(n)), "reason"); err != nil {
		return Event{}, err
	}
	e.Reason = string(v)
	if len(p) != 0 {
		return Event{}, fmt.Errorf("%w: kill switch event: %d bytes after the reason", ErrInvalid, len(p))
	}
	if err := e.check(); err != nil {
		return Event{}, fmt.Errorf("kill switch event: %w", err)
	}
	return e, nil
}
