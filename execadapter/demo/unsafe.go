package demo

import "unsafe"

// unsafeString views b as a string without copying; the string is used only
// while b is unchanged (to encode one order).
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
