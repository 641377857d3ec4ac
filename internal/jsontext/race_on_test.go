//go:build race

package jsontext

// raceDetector says the tests run under the race detector, whose
// sync.Pool drops some of what is put in it, on purpose.
const raceDetector = true
