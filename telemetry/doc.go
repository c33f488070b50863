// Package telemetry wraps any provider.Key so that every Sign and Verify is
// recorded for OpenTelemetry: a count of operations, a latency histogram, a
// count of errors by kind, and (when a TracerProvider is given) a span per
// call. The metrics are aggregated by a Metrics, which OpenTelemetry readers
// and exporters collect as a metric producer.
//
// Every measurement carries the attributes tinywindow.backend,
// tinywindow.key.id, tinywindow.algorithm and tinywindow.operation (sign or
// verify); errors also carry error.type, one of the kinds of the provider
// error taxonomy. No attribute ever holds a secret, a message or a
// signature. The attribute sets are computed once, when the key is wrapped,
// and a call is recorded with a few atomic additions: no lock, no
// allocation.
//
// The metrics, in the scope "github.com/tinywindow/tinywindow/telemetry":
//
//	tinywindow.signer.operations   counter     calls, whatever their outcome
//	tinywindow.signer.duration     histogram   seconds per call
//	tinywindow.signer.errors       counter     failed calls, by error.type
//
// A Verify that finds the signature invalid counts as an error of type
// invalid_signature: an operator wants forgeries counted.
package telemetry
