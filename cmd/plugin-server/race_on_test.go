//go:build race

package main

// raceDetector says the test binary, and so every server process it
// starts, runs under the race detector, which multiplies memory.
const raceDetector = true
