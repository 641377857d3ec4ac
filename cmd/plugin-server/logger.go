package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"pluginserver/internal/config"
)

const (
	// logBuffer bounds the JSON lines waiting to be written: about 4,000
	// request lines, a second or more of the heaviest load measured, before
	// a stalled reader of stderr costs lines rather than memory.
	logBuffer = 1 << 20
	// logEvery is how long a line may wait for others to share its write.
	logEvery = 50 * time.Millisecond
)

// newLogger logs to stderr. JSON lines go through a lineBuffer so a request
// does not pay for a write syscall; the console format is for a person at a
// terminal, who reads its lines as they come, so it writes at once. The
// function returned writes what is still waiting; call it last.
func newLogger(cfg *config.Config, stderr io.Writer) (zerolog.Logger, func()) {
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if f, ok := stderr.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "console"
			}
		}
	}
	if format == "console" {
		w := zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly}
		return zerolog.New(w).Level(cfg.LogLevel).With().Timestamp().Logger(), func() {}
	}
	b := newLineBuffer(stderr, logBuffer, logEvery)
	return zerolog.New(b).Level(cfg.LogLevel).With().Timestamp().Logger(), b.Close
}

// lineBuffer gathers log lines in memory and writes them in batches from a
// goroutine of its own: a line costs its caller a copy under a mutex, and a
// busy server one write every logEvery instead of one per request. Each
// Write must be whole lines, as zerolog's are, so a batch never splits one.
//
// Loss is bounded, never silent: when limit bytes already wait (the reader
// of out has fallen behind), a line is dropped and counted, and the count
// is logged after the next batch as "log: N lines dropped". Lines reach out
// in the order they were written.
type lineBuffer struct {
	out    io.Writer
	notice zerolog.Logger // the drop count, written straight to out
	limit  int
	every  time.Duration

	mu      sync.Mutex
	pending []byte
	dropped int
	closed  bool

	spare []byte // the last batch's array, reused; the flusher's alone
	// kick wakes the flusher when a line arrives in an empty buffer, full
	// when a quarter of the limit waits: an idle server never wakes it.
	kick, full chan struct{}
	stop, done chan struct{}
	closeOnce  sync.Once
}

func newLineBuffer(out io.Writer, limit int, every time.Duration) *lineBuffer {
	b := &lineBuffer{
		out: out, notice: zerolog.New(out).With().Timestamp().Logger(), limit: limit, every: every,
		kick: make(chan struct{}, 1), full: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go b.flusher()
	return b
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		// Late lines, from whatever outlives the server, go straight out.
		return b.out.Write(p)
	}
	if len(b.pending)+len(p) > b.limit {
		b.dropped++
		return len(p), nil
	}
	if len(b.pending) == 0 {
		wake(b.kick)
	}
	b.pending = append(b.pending, p...)
	if len(b.pending) >= b.limit/4 {
		wake(b.full)
	}
	return len(p), nil
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Close writes every line still waiting, then lets later lines through
// unbuffered. It waits for out, however slow.
func (b *lineBuffer) Close() {
	b.closeOnce.Do(func() { close(b.stop) })
	<-b.done
}

func (b *lineBuffer) flusher() {
	defer close(b.done)
	for {
		select {
		case <-b.kick:
		case <-b.stop:
			b.flush(true)
			return
		}
		t := time.NewTimer(b.every)
		select {
		case <-t.C:
		case <-b.full:
		case <-b.stop:
			t.Stop()
			b.flush(true)
			return
		}
		t.Stop()
		b.flush(false)
	}
}

// flush writes the lines waiting, then the drop count if any. The last
// flush holds the lock while it writes, so that no line slips in between
// it and closing.
func (b *lineBuffer) flush(last bool) {
	b.mu.Lock()
	batch, dropped := b.pending, b.dropped
	b.pending, b.dropped = b.spare[:0], 0
	if last {
		b.closed = true
		defer b.mu.Unlock()
	} else {
		b.mu.Unlock()
	}
	if len(batch) > 0 {
		b.out.Write(batch)
	}
	if dropped > 0 {
		b.notice.Warn().Int("dropped", dropped).Msgf("log: %d lines dropped", dropped)
	}
	b.spare = batch
}
