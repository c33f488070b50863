package audit

import (
	"bytes"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/provider"
)

// KillEvent decodes a kill record (TypeKill): the kill switch event of its
// payload, at the record's time. A payload that is not an event gives an
// error matching killswitch.ErrInvalid.
func KillEvent(rec Record) (killswitch.Event, error) {
	e, err := killswitch.ParseEvent(rec.Payload)
	if err != nil {
		return killswitch.Event{}, err
	}
	e.Time = time.Unix(0, rec.Time).UTC()
	return e, nil
}

// checkKillPayload refuses, in Append, a kill record whose payload is not a
// kill switch event, which Verify would take for corruption.
func checkKillPayload(parts [][]byte) error {
	if _, err := killswitch.ParseEvent(bytes.Join(parts, nil)); err != nil {
		return fmt.Errorf("%w: audit log: a kill record's payload must be a kill switch event: %w", provider.ErrInvalidConfig, err)
	}
	return nil
}
