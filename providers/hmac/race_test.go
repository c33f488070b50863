//go:build race

package hmac_test

// raceEnabled is true under the race detector, which makes sync.Pool drop
// items at random and so allocate.
const raceEnabled = true
