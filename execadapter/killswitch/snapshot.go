package killswitch

import (
	"cmp"
	"slices"
)

// snapshot is the set of kills in force. It is never changed once
// published: a change publishes a new one.
type snapshot struct {
	all      *Kill
	accounts scopeSet
	symbols  scopeSet
}

// scopeSet holds the kills of one kind of scope. A few are searched in a
// slice, which costs less than hashing the order's account or symbol; more
// than maxLinear, in a map.
type scopeSet struct {
	list []*Kill
	m    map[string]*Kill // when len(list) > maxLinear
}

const maxLinear = 8

func (s *scopeSet) get(v []byte) *Kill {
	if s.m != nil {
		return s.m[string(v)]
	}
	for _, k := range s.list {
		if k.Scope.Value == string(v) {
			return k
		}
	}
	return nil
}

// with returns a copy of s in which k replaces the kill of its value, if
// any; without returns a copy without k, if k is in s.
func (s *scopeSet) with(k *Kill) scopeSet {
	list := slices.DeleteFunc(slices.Clone(s.list), func(o *Kill) bool { return o.Scope.Value == k.Scope.Value })
	return newScopeSet(append(list, k))
}

func (s *scopeSet) without(k *Kill) scopeSet {
	return newScopeSet(slices.DeleteFunc(slices.Clone(s.list), func(o *Kill) bool { return o == k }))
}

func newScopeSet(list []*Kill) scopeSet {
	s := scopeSet{list: list}
	if len(list) > maxLinear {
		s.m = make(map[string]*Kill, len(list))
		for _, k := range list {
			s.m[k.Scope.Value] = k
		}
	}
	return s
}

// match returns the kill that stops an order of account and symbol, or
// nil; it does not allocate.
func (sn *snapshot) match(account, symbol []byte) *Kill {
	if sn.all != nil {
		return sn.all
	}
	if k := sn.accounts.get(account); k != nil {
		return k
	}
	return sn.symbols.get(symbol)
}

// with returns a copy of sn (which may be nil) in which k is the kill of
// its scope.
func (sn *snapshot) with(k *Kill) *snapshot {
	n := sn.clone()
	switch k.Scope.Kind {
	case All:
		n.all = k
	case Account:
		n.accounts = n.accounts.with(k)
	case Symbol:
		n.symbols = n.symbols.with(k)
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
		n.accounts = n.accounts.without(k)
	case Symbol:
		n.symbols = n.symbols.without(k)
	}
	if n.all == nil && len(n.accounts.list) == 0 && len(n.symbols.list) == 0 {
		return nil
	}
	return n
}

// clone returns a copy of sn (a new empty snapshot for nil); the sets are
// shared until with or without makes new ones.
func (sn *snapshot) clone() *snapshot {
	if sn == nil {
		return &snapshot{}
	}
	n := *sn
	return &n
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
	for _, k := range slices.Concat(sn.accounts.list, sn.symbols.list) {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b Kill) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
