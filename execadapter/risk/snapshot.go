package risk

import (
	"crypto/sha256"
	"slices"
	"strconv"

	"github.com/tinywindow/tinywindow/execadapter/internal/window"
	"github.com/tinywindow/tinywindow/execadapter/order"
)

// CanonicalVersion is the first line of every canonical limits snapshot
// (Config.Canonical); a change of the format changes it.
const CanonicalVersion = "tinywindow limits v1"

// Canonical returns the canonical limits snapshot of c: the limits the
// checks enforce, re-encoded so that two configurations that enforce the
// same limits give the same bytes and any change of a limit changes them.
// It is an error matching ErrConfig for a configuration New refuses.
//
// The snapshot is text, one line per limit, each line "name value" ending
// in "\n", in this order, after the line CanonicalVersion:
//
//	kill_switch true|false
//	max_quantity N                        0: off
//	max_notional N                        nano-units (10^-9 of a unit); 0: off
//	price_collar_bps N                    0: off
//	reference_price "SYM" N               one line per symbol, sorted by symbol
//	symbol_allow "SYM"                    sorted, each once; then symbol_allow_list on|off
//	symbol_deny "SYM"                     sorted, each once
//	credit_default N                      0: accounts not listed have no credit
//	credit_account "ACC" N                one line per account, sorted by account
//	credit on|off
//	throttle_interval_ns N                0: off
//	throttle_burst N
//	duplicates_window_ns N                0: off
//	duplicates_capacity N
//
// Strings are quoted as Go's strconv.Quote quotes them. Amounts are the
// exact nano-units the checks compare, so "189.5" and "189.50" are the
// same limit; a YAML key order, comment or spacing is not part of it.
func (c *Config) Canonical() ([]byte, error) {
	k, err := compile(c)
	if err != nil {
		return nil, err
	}
	return k.canonical(c.KillSwitch), nil
}

// Hash returns the SHA-256 of c's canonical limits snapshot (Canonical).
func (c *Config) Hash() ([32]byte, error) {
	b, err := c.Canonical()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// canonical encodes k as Config.Canonical documents, with the kill switch
// kill.
func (k *compiled) canonical(kill bool) []byte {
	b := make([]byte, 0, 512)
	line := func(name string, vals ...string) {
		b = append(b, name...)
		for _, v := range vals {
			b = append(append(b, ' '), v...)
		}
		b = append(b, '\n')
	}
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	onOff := func(on bool) string {
		if on {
			return "on"
		}
		return "off"
	}
	line(CanonicalVersion)
	line("kill_switch", strconv.FormatBool(kill))
	line("max_quantity", i(k.maxQty))
	line("max_notional", u(k.maxNotional))
	line("price_collar_bps", u(k.collarBps))
	for _, s := range sortedKeys(k.refs) {
		line("reference_price", strconv.Quote(s), u(k.refs[s]))
	}
	for _, s := range sortedKeys(k.allow) {
		line("symbol_allow", strconv.Quote(s))
	}
	line("symbol_allow_list", onOff(k.allow != nil))
	for _, s := range sortedKeys(k.deny) {
		line("symbol_deny", strconv.Quote(s))
	}
	line("credit_default", u(k.creditDef))
	for _, a := range sortedKeys(k.credit) {
		line("credit_account", strconv.Quote(a), u(k.credit[a]))
	}
	line("credit", onOff(k.creditOn))
	line("throttle_interval_ns", i(k.interval))
	line("throttle_burst", i(k.burst))
	line("duplicates_window_ns", i(k.dupWindow))
	line("duplicates_capacity", i(int64(k.dupCap)))
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// LimitsHash returns the SHA-256 of the canonical limits snapshot
// (Config.Canonical) that the checks enforce now: that of the
// configuration given to New or to the last Reconfigure.
func (k *Checker) LimitsHash() [32]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.c.hash
}

// ReserveHashed is Reserve, also returning the SHA-256 of the canonical
// limits snapshot that judged the order (LimitsHash at that moment): a
// concurrent Reconfigure takes effect wholly before or wholly after it.
func (k *Checker) ReserveHashed(v *order.View, now int64) (notional uint64, limits [32]byte, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	n, err := k.check(v, now, true)
	return n, k.c.hash, err
}

// Reconfigure replaces the limits the checks enforce with those of cfg, at
// once: every check runs wholly under the old limits or wholly under the
// new ones. What the checks have counted carries over: each account's open
// notional, the throttle's state and, when the duplicates section is
// unchanged, the client order IDs seen (a changed one starts an empty
// window). The kill switch and the reference prices are set to cfg's, as
// New sets them. If cfg is invalid (an error matching ErrConfig), nothing
// changes.
func (k *Checker) Reconfigure(cfg *Config) error {
	c, err := compile(cfg)
	if err != nil {
		return err
	}
	var dedup *window.Set
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case c.dupCap == 0:
	case c.dupCap == k.c.dupCap && c.dupWindow == k.c.dupWindow:
		dedup = k.dedup
	default:
		dedup = window.New(c.dupWindow, c.dupCap)
	}
	k.c, k.refs, k.dedup = c, c.refs, dedup
	k.kill.Store(cfg.KillSwitch)
	return nil
}
