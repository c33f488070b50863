// Package conformance is TinyWindow's shared conformance suite: one list of
// named checks that every backend must pass. Backends run it from their tests
// with Test; auditors run it against production keys with `tinywindow
// conformance`, which calls Run and writes the report as JSON and Markdown.
//
// A check that cannot apply to a key (a public-key check on an HMAC key, say)
// is reported as skipped with its reason; a skip is never silent.
package conformance
