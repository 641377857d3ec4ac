package httpapi

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAllSized: a body of announced length is read into one buffer a
// byte longer than it, one of unknown length or longer than announced
// grows as it comes, and a read that fails says so.
func TestReadAllSized(t *testing.T) {
	body := strings.Repeat("x", 300)
	broken := errors.New("connection reset")
	for _, c := range []struct {
		name    string
		prefix  string
		r       io.Reader
		expect  int64
		want    string
		wantCap int // 0: any
		wantErr error
	}{
		{"announced", "", strings.NewReader(body), 300, body, 301, nil},
		{"announced, in small reads", "", iotest.OneByteReader(strings.NewReader(body)), 300, body, 301, nil},
		{"after a prefix", body[:10], strings.NewReader(body[10:]), 300, body, 301, nil},
		{"unknown length", "", strings.NewReader(body), 0, body, 0, nil},
		{"longer than announced", "", strings.NewReader(body), 100, body, 0, nil},
		{"broken", "", io.MultiReader(strings.NewReader(body[:50]), iotest.ErrReader(broken)), 300, body[:50], 0, broken},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAllSized([]byte(c.prefix), c.r, c.expect, 1<<20)
			if string(got) != c.want || !errors.Is(err, c.wantErr) {
				t.Fatalf("read %d bytes, %v; want %d, %v", len(got), err, len(c.want), c.wantErr)
			}
			if c.wantCap != 0 && cap(got) != c.wantCap {
				t.Errorf("a %d-byte body announced read into %d bytes, want %d", len(got), cap(got), c.wantCap)
			}
		})
	}
}
