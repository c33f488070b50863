package risk

import "testing"

func TestCanTrade(t *testing.T) {
	for _, tc := range []struct {
		name, yaml          string
		account, symbol     string
		accountOK, symbolOK bool
	}{
		{"no rules", `max_quantity: 10`, "ANY", "ANY", true, true},
		{"listed account, no default", `credit_limits: {accounts: {A: "10"}}`, "A", "S", true, true},
		{"unlisted account, no default", `credit_limits: {accounts: {A: "10"}}`, "B", "S", false, true},
		{"unlisted account, a default", `credit_limits: {default: "5", accounts: {A: "10"}}`, "B", "S", true, true},
		{"denied symbol", `symbols: {deny: [GME]}`, "A", "GME", true, false},
		{"symbol not denied", `symbols: {deny: [GME]}`, "A", "AAPL", true, true},
		{"allowed symbol", `symbols: {allow: [AAPL]}`, "A", "AAPL", true, true},
		{"symbol off the allow list", `symbols: {allow: [AAPL]}`, "A", "MSFT", true, false},
		{"allowed and denied", `symbols: {allow: [GME], deny: [GME]}`, "A", "GME", true, false},
	} {
		cfg, err := ParseConfig([]byte(tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		k, _ := New(cfg)
		if got := k.AccountCanTrade(tc.account); got != tc.accountOK {
			t.Errorf("%s: AccountCanTrade(%q) = %v", tc.name, tc.account, got)
		}
		if got := k.SymbolCanTrade(tc.symbol); got != tc.symbolOK {
			t.Errorf("%s: SymbolCanTrade(%q) = %v", tc.name, tc.symbol, got)
		}
	}
}
