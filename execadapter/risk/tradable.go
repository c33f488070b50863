package risk

// AccountCanTrade reports whether the checks let orders of account pass
// the credit limit rule at all: always without credit limits; with them,
// when the account has a limit of its own or there is a default one. It is
// safe to call while another goroutine reconfigures the checker.
func (k *Checker) AccountCanTrade(account string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.c.creditOn || k.c.creditLimit([]byte(account)) > 0
}

// SymbolCanTrade reports whether the checks let orders of symbol pass the
// symbol rules: it is not on the deny list and, if there is an allow list,
// it is on it. It is safe to call while another goroutine reconfigures the
// checker.
func (k *Checker) SymbolCanTrade(symbol string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.c.symbolRule([]byte(symbol)) == ""
}

// creditLimit returns the credit limit of account: its own, else the
// default; 0 means it has no credit.
func (c *compiled) creditLimit(account []byte) uint64 {
	if limit, ok := c.credit[string(account)]; ok {
		return limit
	}
	return c.creditDef
}

// symbolRule returns the symbol rule that refuses symbol, or "".
func (c *compiled) symbolRule(symbol []byte) Rule {
	if c.deny != nil {
		if _, ok := c.deny[string(symbol)]; ok {
			return RuleSymbolDeny
		}
	}
	if c.allow != nil {
		if _, ok := c.allow[string(symbol)]; !ok {
			return RuleSymbolAllow
		}
	}
	return ""
}
