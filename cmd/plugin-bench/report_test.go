package main

import (
	"slices"
	"testing"
	"time"
)

// A stall in one round moves that round's ratio and not the median, and
// each round is divided by its own alone, never another round's.
func TestP99RatioIsTakenRoundByRound(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name          string
		beside, alone []time.Duration
		perRound      []float64
		median        float64
	}{
		{"each round by its own", []time.Duration{6 * ms, 20 * ms}, []time.Duration{3 * ms, 10 * ms}, []float64{2, 2}, 2},
		{"a stall in one round's alone", []time.Duration{9 * ms, 9 * ms, 9 * ms, 9 * ms}, []time.Duration{3 * ms, 3 * ms, 30 * ms, 3 * ms}, []float64{3, 3, 0.3, 3}, 3},
		{"an even count: the middle two's mean", []time.Duration{2 * ms, 4 * ms, 6 * ms, 8 * ms}, []time.Duration{ms, ms, ms, ms}, []float64{2, 4, 6, 8}, 5},
		{"rounds missing on one side are left out", []time.Duration{4 * ms, 4 * ms}, []time.Duration{2 * ms}, []float64{2}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			perRound, median := p99Ratio(result{roundP99s: tc.beside}, result{roundP99s: tc.alone})
			if !slices.Equal(perRound, tc.perRound) || median != tc.median {
				t.Errorf("p99Ratio = %v, median %v; want %v, median %v", perRound, median, tc.perRound, tc.median)
			}
		})
	}
}
