package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// syncBuffer is stderr as a test reads it: writes counted, reads safe while
// the server writes.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	// gate, when set, holds every write until it is closed: a reader of
	// stderr that has fallen behind.
	gate chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.SplitAfter(s.b.String(), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if !strings.HasSuffix(line, "\n") || json.Unmarshal([]byte(line), &m) != nil {
			t.Fatalf("not a whole JSON line: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// TestLogLinesInOrder: lines from many goroutines all arrive, whole, each
// goroutine's in its order, in far fewer writes than lines.
func TestLogLinesInOrder(t *testing.T) {
	var out syncBuffer
	b := newLineBuffer(&out, 1<<20, 20*time.Millisecond)
	log := zerolog.New(b)
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				log.Info().Int("writer", w).Int("seq", i).Str("pad", strings.Repeat("x", i%200)).Msg("request")
			}
		}()
	}
	wg.Wait()
	b.Close()
	next := make([]int, writers)
	for _, m := range out.lines(t) {
		w, seq := int(m["writer"].(float64)), int(m["seq"].(float64))
		if seq != next[w] {
			t.Fatalf("writer %d: line %d after %d", w, seq, next[w]-1)
		}
		next[w]++
	}
	for w, n := range next {
		if n != each {
			t.Errorf("writer %d: %d lines of %d", w, n, each)
		}
	}
	// 4,000 lines written as fast as they come: a write per line would be
	// 4,000 writes.
	if out.writes > writers*each/10 {
		t.Errorf("%d writes for %d lines", out.writes, writers*each)
	}
}

// TestLogDropsAreCounted: when the reader falls behind, lines past the
// limit are dropped, and how many is logged once it catches up.
func TestLogDropsAreCounted(t *testing.T) {
	out := syncBuffer{gate: make(chan struct{})}
	b := newLineBuffer(&out, 4<<10, time.Millisecond)
	log := zerolog.New(b)
	const written = 1000
	for i := range written {
		log.Info().Int("seq", i).Msg("request")
		if i == 0 {
			// The flusher takes the first line and waits on the gate.
			time.Sleep(50 * time.Millisecond)
		}
	}
	close(out.gate)
	b.Close()
	kept, reported, last := 0, 0, -1
	for _, m := range out.lines(t) {
		if n, ok := m["dropped"].(float64); ok {
			reported += int(n)
			if m["level"] != "warn" || m["message"] != fmt.Sprintf("log: %d lines dropped", int(n)) {
				t.Errorf("drop notice %v", m)
			}
			continue
		}
		if seq := int(m["seq"].(float64)); seq <= last {
			t.Fatalf("line %d after %d", seq, last)
		} else {
			last = seq
		}
		kept++
	}
	if kept+reported != written || reported == 0 {
		t.Fatalf("%d lines kept and %d reported dropped, of %d written", kept, reported, written)
	}
	// At most the limit waits; the rest is dropped.
	if kept > 1+(4<<10)/20 {
		t.Errorf("%d lines kept past a 4 KiB limit", kept)
	}
}

// TestLogCloseFlushes: Close writes what waits without waiting for the
// next batch, and lines written after it still arrive.
func TestLogCloseFlushes(t *testing.T) {
	var out syncBuffer
	b := newLineBuffer(&out, 1<<20, time.Hour)
	log := zerolog.New(b)
	log.Info().Msg("first")
	log.Info().Msg("second")
	start := time.Now()
	b.Close()
	if time.Since(start) > 5*time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	log.Info().Msg("after close")
	b.Close() // a second Close is harmless
	var got []string
	for _, m := range out.lines(t) {
		got = append(got, m["message"].(string))
	}
	if strings.Join(got, ",") != "first,second,after close" {
		t.Fatalf("lines %q", got)
	}
}

// TestRunFlushesLog: a server run in-process logs its requests as JSON to
// a stderr that is not a terminal, and its last lines are out by the time
// run returns.
func TestRunFlushesLog(t *testing.T) {
	var stderr syncBuffer
	s := startRun(t, nil, &stderr)
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.stop()
	var requests, shuttingDown int
	for _, m := range stderr.lines(t) {
		switch {
		case m["message"] == "request" && m["route"] == "/healthz":
			requests++
		case m["message"] == "shutting down":
			shuttingDown++
		}
	}
	if requests != 1 || shuttingDown != 1 {
		t.Fatalf("%d request lines and %d \"shutting down\", want 1 of each:\n%s", requests, shuttingDown, stderr.b.String())
	}
}
