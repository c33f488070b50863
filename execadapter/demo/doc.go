// Package demo runs the execution adapter end to end on a realistic order
// mix, as `tinywindow demo` does: it sends the orders through SendOrder
// with pre-trade checks, signing, a venue and an audit log, measures
// latency with an HDR histogram, and verifies the audit log afterwards.
package demo
