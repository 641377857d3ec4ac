package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"pluginserver/internal/share"
	"pluginserver/plugin"
)

// Request bodies are read before any worker is taken, within a deadline
// and a limit applied while reading, and the bytes they hold come out of
// the caller's share of BodyMemory: a slow body holds only its own
// connection, and no workspace's bodies can fill the server's memory.

// DefaultBodyTimeout is how long a JSON body may take to arrive.
const DefaultBodyTimeout = 20 * time.Second

// jsonTypes are what clients send JSON as: curl -d sends form-urlencoded,
// a browser's fetch with a string body text/plain.
var jsonTypes = []string{"application/json", "application/x-www-form-urlencoded", "text/plain"}

// fileTypes are the media types that say a body is a file.
func isFileType(mediaType string) bool {
	switch {
	case strings.HasPrefix(mediaType, "image/"), strings.HasPrefix(mediaType, "video/"),
		strings.HasPrefix(mediaType, "application/vnd.openxmlformats-officedocument."):
		return true
	}
	switch mediaType {
	case "application/pdf", "application/octet-stream", "multipart/form-data",
		"application/msword", "application/vnd.ms-powerpoint":
		return true
	}
	return false
}

// bodyKind says how an execute's body is read: "" for JSON
// ({command, params}), or the media type of a file streamed as the body.
// A file is recognised by its media type or by command in the query.
func bodyKind(r *http.Request) (string, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" && r.URL.RawQuery == "" {
		return "", nil // what nearly every execute sends, without parsing
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	fileInQuery := r.URL.Query().Has("command")
	switch {
	case ct == "" && fileInQuery:
		return "application/octet-stream", nil
	case ct == "":
		return "", nil
	case err != nil:
		return "", unsupportedType(ct)
	case isFileType(mediaType):
		return mediaType, nil
	case fileInQuery:
		// curl --data-binary @file sends form-urlencoded: the query says
		// it is a file, and its bytes are none of that type.
		return "application/octet-stream", nil
	}
	for _, t := range jsonTypes {
		if mediaType == t {
			return "", nil
		}
	}
	return "", unsupportedType(ct)
}

func unsupportedType(ct string) error {
	return &plugin.Error{Code: plugin.UnsupportedMediaType, Message: fmt.Sprintf(
		"Content-Type %q is not taken: send {\"command\",\"params\"} as application/json (or form-urlencoded or text/plain, as curl -d and fetch do), "+
			"or a file as the body under its own media type (image/*, video/*, application/pdf, application/octet-stream, multipart/form-data) with command in the query", ct),
		Fields: []plugin.FieldProblem{{Field: "Content-Type", Message: "is not a type this route takes"}}}
}

// bodyOwners are who a request's bodies and calls are counted against.
func bodyOwners(workspace, datasource string) []string {
	owners := []string{"workspace:" + workspace}
	if datasource != "" {
		owners = append(owners, "datasource:"+datasource)
	}
	return owners
}

// take waits for n units of a pool, as long as the call may wait: a caller
// over its share, or finding the pool full, is told to come back.
func (s *Server) take(ctx context.Context, pool *share.Pool, n int64, what string, owners []string) error {
	err := pool.AcquireWithin(ctx, s.CallTimeout, n, owners...)
	if err == nil {
		return nil
	}
	if tooLarge := (*share.ErrTooLarge)(nil); errors.As(err, &tooLarge) {
		return tooLargeError(tooLarge.Each)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &plugin.Error{Code: plugin.RateLimited, RetryAfter: 1,
		Message: fmt.Sprintf("this workspace is using its whole share of the server's %s; try again shortly", what)}
}

// heldBody is a request body read into memory, with the share of
// BodyMemory it holds until released.
type heldBody struct {
	raw     []byte
	release func()
}

// peekLarge is how much of a body announced too large is read to learn
// its command.
const peekLarge = 4 << 10

// readHeld reads a body of at most small bytes within BodyTimeout, or
// more when allowLarge, seeing the first small+1 bytes, says how far the
// body may go. The bytes held are reserved up front (the Content-Length,
// or the limit when unknown) and what was not needed is given back once
// read. The caller releases what the body holds, on error too.
func (s *Server) readHeld(w http.ResponseWriter, r *http.Request, owners []string, small int64, allowLarge func(prefix []byte) (int64, error)) (*heldBody, error) {
	held := &heldBody{}
	defer readWithin(w, r, s.bodyTimeout(), func() bool { return held.raw != nil })()
	reserved := int64(0)
	reserve := func(n int64) error {
		if n <= reserved {
			return nil
		}
		if err := s.take(r.Context(), s.BodyMemory, n-reserved, "request memory", owners); err != nil {
			return err
		}
		reserved = n
		return nil
	}
	held.release = func() {
		if reserved > 0 {
			s.BodyMemory.Release(reserved, owners...)
			reserved = 0
		}
	}
	if r.ContentLength > small && allowLarge == nil {
		return held, tooLargeError(small)
	}
	// A body announced larger than small is refused on its first bytes
	// when they name a command that may not send more: reading small bytes
	// first, to refuse them, was a fifth of the server's CPU beside a
	// flood of 20 MiB bodies.
	var peeked []byte
	if r.ContentLength > small {
		peeked = make([]byte, min(peekLarge, small))
		n, err := io.ReadFull(r.Body, peeked)
		if err != nil {
			return held, readError(err, small)
		}
		peeked = peeked[:n]
		if _, err := allowLarge(peeked); err != nil && leadingCommand(peeked) != "" {
			return held, err
		}
	}
	first := small
	if r.ContentLength >= 0 {
		first = min(r.ContentLength, small)
	}
	if err := reserve(first); err != nil {
		return held, err
	}
	// A body of unknown length grows its buffer as it comes, rather than
	// taking the limit from the start.
	known := max(r.ContentLength, 0)
	raw, err := readAllSized(peeked, io.LimitReader(r.Body, small+1-int64(len(peeked))), min(known, small), small+1)
	if err != nil {
		return held, readError(err, small)
	}
	if int64(len(raw)) > small {
		if allowLarge == nil {
			return held, tooLargeError(small)
		}
		limit, err := allowLarge(raw)
		if err != nil {
			return held, err
		}
		if r.ContentLength > limit {
			return held, tooLargeError(limit)
		}
		want := limit
		if r.ContentLength >= 0 {
			want = r.ContentLength
		}
		if err := reserve(want); err != nil {
			return held, err
		}
		if raw, err = readAllSized(raw, http.MaxBytesReader(w, r.Body, limit-int64(len(raw))), known, limit); err != nil {
			return held, readError(err, limit)
		}
	}
	// Keep what the body holds, not what was feared.
	if used := int64(len(raw)); used < reserved {
		s.BodyMemory.Release(reserved-used, owners...)
		reserved = used
	}
	held.raw = raw
	return held, nil
}

// leftoverGrace is how long net/http may read away the rest of a body
// left unread (readWithin).
const leftoverGrace = time.Second

// readWithin gives a request's body until timeout to arrive, and returns
// what to do once reading is over: lift the deadline when the body came
// whole, since net/http's watch for the caller hanging up reads
// the connection during the call and must not meet it; otherwise end it
// within leftoverGrace, so net/http does not wait long for the rest of a
// body that trickles or falls short of its length before answering, and
// closes the connection. The grace lets net/http read away what is left
// of a body refused unread (up to its 256 KiB): closing on unread bytes
// resets the connection, and a caller still sending would meet the reset
// instead of our answer.
// The request's info keeps the deadline, so that the context it ends is
// not taken for the caller hanging up (hungUp).
func readWithin(w http.ResponseWriter, r *http.Request, timeout time.Duration, whole func() bool) func() {
	rc := http.NewResponseController(w)
	due := time.Now().Add(timeout)
	info := infoOf(r.Context())
	if info != nil {
		info.bodyDue = due
	}
	rc.SetReadDeadline(due)
	return func() {
		switch {
		case whole():
			rc.SetReadDeadline(time.Time{})
			if info != nil {
				info.bodyDue = time.Time{}
			}
		case r.Context().Err() != nil:
			// The body ended with the request: the caller hung up,
			// or our deadline passed, as bodyDue says.
		default:
			due := time.Now().Add(leftoverGrace)
			rc.SetReadDeadline(due)
			if info != nil {
				info.bodyDue = due
			}
		}
	}
}

// readAllSized reads r to its end after prefix, into one buffer sized
// for the expected length: a known body is read without growing copies,
// into a buffer one byte longer, where a read finds the body's end.
func readAllSized(prefix []byte, r io.Reader, expect, ceiling int64) ([]byte, error) {
	size := int(min(max(expect, int64(len(prefix))), ceiling)) + 1
	if expect <= 0 {
		size += bytes.MinRead
	}
	buf := append(make([]byte, 0, size), prefix...)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func readError(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooLarge):
		return tooLargeError(limit)
	case errors.As(err, &ne) && ne.Timeout():
		return plugin.InvalidField("body", "did not arrive in time; send the whole body at once")
	}
	return plugin.InvalidField("body", "could not be read (the connection broke)")
}

func (s *Server) bodyTimeout() time.Duration {
	if s.BodyTimeout > 0 {
		return s.BodyTimeout
	}
	return DefaultBodyTimeout
}

// leadingCommand finds the command of an execute body from its first
// bytes: a body too large to hold before knowing whether its command may
// be that large must name its command before its params.
func leadingCommand(prefix []byte) string {
	dec := json.NewDecoder(bytes.NewReader(prefix))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if key == "command" {
			command, _ := dec.Token()
			s, _ := command.(string)
			return s
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// endSeen remembers that a body was read to its end.
type endSeen struct {
	io.ReadCloser
	end bool
}

func (e *endSeen) Read(p []byte) (int, error) {
	n, err := e.ReadCloser.Read(p)
	if err == io.EOF {
		e.end = true
	}
	return n, err
}
