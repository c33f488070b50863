package demo

import (
	"context"
	"sync"
	"time"
)

// orderDeadline is one context reused for order after order, each with a
// deadline of its own, so that the run's hot loop does not allocate a
// context and a timer per order. It serves one SendOrder at a time: arm it
// before the call and disarm it after. It ends at once when its parent ends.
type orderDeadline struct {
	parent  context.Context
	timeout time.Duration
	timer   *time.Timer
	stop    func() bool // unregisters the parent's AfterFunc

	mu       sync.Mutex
	deadline time.Time
	armed    bool
	done     chan struct{}
	err      error
}

var _ context.Context = (*orderDeadline)(nil)

func newOrderDeadline(parent context.Context, timeout time.Duration) *orderDeadline {
	o := &orderDeadline{parent: parent, timeout: timeout, done: make(chan struct{})}
	o.timer = time.AfterFunc(time.Hour, o.expire)
	o.timer.Stop()
	o.stop = context.AfterFunc(parent, func() { o.end(parent.Err()) })
	return o
}

// arm starts the deadline of the next order.
func (o *orderDeadline) arm() {
	o.mu.Lock()
	if o.err != nil && o.parent.Err() == nil { // the last order's deadline passed
		o.err, o.done = nil, make(chan struct{})
	}
	o.deadline, o.armed = time.Now().Add(o.timeout), true
	o.mu.Unlock()
	o.timer.Reset(o.timeout)
}

// disarm ends the current order's deadline.
func (o *orderDeadline) disarm() {
	o.timer.Stop()
	o.mu.Lock()
	o.armed = false
	o.mu.Unlock()
}

// close releases the timer and the parent's AfterFunc.
func (o *orderDeadline) close() {
	o.timer.Stop()
	o.stop()
}

// expire is the timer's function. A stale run of it (the timer fired as the
// order ended) does nothing to the next order, whose deadline is later.
func (o *orderDeadline) expire() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.armed && !time.Now().Before(o.deadline) && o.err == nil {
		o.err = context.DeadlineExceeded
		close(o.done)
	}
}

func (o *orderDeadline) end(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = err
		close(o.done)
	} else {
		o.err = err // the parent's end outlasts a deadline
	}
}

func (o *orderDeadline) Deadline() (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.deadline, o.armed
}

func (o *orderDeadline) Done() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.done
}

func (o *orderDeadline) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

func (o *orderDeadline) Value(key any) any { return o.parent.Value(key) }
