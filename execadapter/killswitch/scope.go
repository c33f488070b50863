package killswitch

import (
	"fmt"
	"strings"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

// Kind says what a [Scope] stops.
type Kind uint8

// The kinds of scope.
const (
	All     Kind = 1 // every order
	Account Kind = 2 // the orders of one account
	Symbol  Kind = 3 // the orders of one symbol
)

func (k Kind) String() string {
	switch k {
	case All:
		return "all"
	case Account:
		return "account"
	case Symbol:
		return "symbol"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Scope is the set of orders a kill stops: every order, the orders of one
// account, or the orders of one symbol. Its text form is "all",
// "account=A" or "symbol=S".
type Scope struct {
	Kind Kind
	// Value is the account or the symbol; empty for All.
	Value string
}

// ParseScope parses the text form of a scope: "all", "account=A" or
// "symbol=S", where A and S are what an order's account and symbol may be
// (order.CheckAccount, order.CheckSymbol). Anything else, the empty string
// and "account=" included, is an error matching ErrInvalid.
func ParseScope(s string) (Scope, error) {
	if s == "all" {
		return Scope{Kind: All}, nil
	}
	name, value, ok := strings.Cut(s, "=")
	var sc Scope
	switch {
	case ok && name == "account":
		sc = Scope{Kind: Account, Value: value}
	case ok && name == "symbol":
		sc = Scope{Kind: Symbol, Value: value}
	default:
		return Scope{}, fmt.Errorf("%w: scope %q: give all, account=ACCOUNT or symbol=SYMBOL", ErrInvalid, s)
	}
	if err := sc.Check(); err != nil {
		return Scope{}, err
	}
	return sc, nil
}

// Check returns nil if s is a valid scope: All with no value, or Account or
// Symbol with a value an order's account or symbol may hold. Otherwise it
// returns an error matching ErrInvalid that says what is wrong.
func (s Scope) Check() error {
	var err error
	switch s.Kind {
	case All:
		if s.Value != "" {
			return fmt.Errorf("%w: scope all takes no value, got %q", ErrInvalid, s.Value)
		}
		return nil
	case Account:
		err = order.CheckAccount(s.Value)
	case Symbol:
		err = order.CheckSymbol(s.Value)
	default:
		return fmt.Errorf("%w: scope of %v: give all, account=ACCOUNT or symbol=SYMBOL", ErrInvalid, s.Kind)
	}
	if err != nil {
		return fmt.Errorf("%w: scope %s: %w", ErrInvalid, s, err)
	}
	return nil
}

// String returns the text form of s ("all", "account=A", "symbol=S").
func (s Scope) String() string {
	if s.Kind == All {
		return "all"
	}
	return s.Kind.String() + "=" + s.Value
}

// Matches reports whether s covers an order of account and symbol.
func (s Scope) Matches(account, symbol []byte) bool {
	switch s.Kind {
	case All:
		return true
	case Account:
		return string(account) == s.Value
	case Symbol:
		return string(symbol) == s.Value
	}
	return false
}
