//go:build !(race || asan || msan)

package testenv

// sanitised is true in a build with the race detector or a sanitiser.
const sanitised = false
