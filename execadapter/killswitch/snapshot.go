package killswitch

import (
	"cmp"
	"slices"
)

// snapshot is the set of kills in force. It is never changed once
// published: a change publishes a new one.
type snapshot struct {
	all      *Kill
	accounts map[string]*Kill
	symbols  map[string]*Kill
}

// match returns the kill that stops an order of account and symbol, or
// nil; it does not allocate.
func (sn *snapshot) match(account, symbol []byte) *Kill {
	if sn.all != nil {
		return sn.all
	}
	if k := sn.accounts[string(account)]; k != nil {
		return k
	}
	return sn.symbols[string(symbol)]
}

// with returns a copy of sn (which may be nil) in which k is the kill of
// its scope.
func (sn *snapshot) with(k *Kill) *snapshot {
	n := sn.clone()
	switch k.Scope.Kind {
	case All:
		n.all = k
	case Account:
		n.accounts[k.Scope.Value] = k
	case Symbol:
		n.symbols[k.Scope.Value] = k
	}
	return n
}

// without returns a copy of sn without kill k, if it is still the kill of
// its scope (a later kill of the scope stays); nil if no kill is left.
func (sn *snapshot) without(k *Kill) *snapshot {
	n := sn.clone()
	switch k.Scope.Kind {
	case All:
		if n.all == k {
			n.all = nil
		}
	case Account:
		if n.accounts[k.Scope.Value] == k {
			delete(n.accounts, k.Scope.Value)
		}
	case Symbol:
		if n.symbols[k.Scope.Value] == k {
			delete(n.symbols, k.Scope.Value)
		}
	}
	if n.all == nil && len(n.accounts) == 0 && len(n.symbols) == 0 {
		return nil
	}
	return n
}

func (sn *snapshot) clone() *snapshot {
	n := &snapshot{accounts: map[string]*Kill{}, symbols: map[string]*Kill{}}
	if sn != nil {
		n.all = sn.all
		for v, k := range sn.accounts {
			n.accounts[v] = k
		}
		for v, k := range sn.symbols {
			n.symbols[v] = k
		}
	}
	return n
}

// list returns the kills of sn, by ID.
func (sn *snapshot) list() []Kill {
	if sn == nil {
		return nil
	}
	var out []Kill
	if sn.all != nil {
		out = append(out, *sn.all)
	}
	for _, m := range []map[string]*Kill{sn.accounts, sn.symbols} {
		for _, k := range m {
			out = append(out, *k)
		}
	}
	slices.SortFunc(out, func(a, b Kill) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
