package order

// CheckAccount returns nil if s can be an order's account (1 to MaxAccount
// bytes of UTF-8 without control characters), else a *FieldError matching
// ErrInvalid that says why.
func CheckAccount(s string) error { return checkString("account", 0, s, MaxAccount) }

// CheckSymbol returns nil if s can be an order's symbol (1 to MaxSymbol
// bytes of UTF-8 without control characters), else a *FieldError matching
// ErrInvalid that says why.
func CheckSymbol(s string) error { return checkString("symbol", 0, s, MaxSymbol) }
