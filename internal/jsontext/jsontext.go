// Package jsontext refuses text that would be altered or passed on
// silently: Go's encoding/json replaces invalid UTF-8 and lone surrogates
// with U+FFFD, keeps the last of a duplicated key (matching keys to struct
// fields without regard to case), and passes NUL and other controls to
// LinkedIn, which cannot take them. Check runs before decoding, so each of
// those is refused as bad input naming its field instead.
//
// Weighed for issue 20 against the JSON v2 work's jsontext decoder
// (encoding/json/jsontext, built by Go 1.26 only with GOEXPERIMENT=jsonv2,
// or github.com/go-json-experiment/json v1.27.2), this checker stays. The
// library refuses invalid UTF-8, lone surrogates and a name given twice
// exactly, but passes a NUL or control escaped (\u0000, \u001b, \b, \f)
// and names alike but for case, which encoding/json, the decoder after
// Check, fills one field from; and it names a bad key by its object only.
// A swap must still run these rules on every string: library_test.go
// writes it out, passes these tests with it, and measures it at three to
// four times the cost (0.9–1.1 µs against 0.29 µs for a createPost body,
// 2.9–3.4 ms against 0.78 ms for 1 MiB; 10,000 allocations for deep
// nesting, where Check has none); the library alone, which is not
// enough, is no faster than Check on any body. Weigh again when the
// decoder after Check is v2.
package jsontext

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"pluginserver/plugin"
)

// The problems, worded for a field name in front of them.
const (
	msgNUL       = "holds a NUL character (U+0000), which LinkedIn cannot take"
	msgControl   = "holds a control character (U+%04X)"
	msgUTF8      = "is not valid UTF-8"
	msgSurrogate = `holds a lone surrogate (\u%04x)`
	msgTwice     = "is given twice"
)

// inlineKeys is how many keys of one object are compared pairwise; past
// it an object's keys go into a map, so a huge object costs O(n), not
// O(n²). Objects this small, which are nearly all, allocate nothing.
const inlineKeys = 16

// maxDepth is encoding/json's own nesting limit: a deeper document is
// refused by the decoder anyway, so scanning stops there.
const maxDepth = 10000

// problem is what is wrong with one string, before it has a field name.
type problem struct {
	kind uint8
	r    rune // the control character or the lone surrogate
}

const (
	fine uint8 = iota
	nul
	control
	badUTF8
	surrogate
	syntax // not JSON: left to the decoder
)

func (p problem) message() string {
	switch p.kind {
	case nul:
		return msgNUL
	case control:
		return fmt.Sprintf(msgControl, p.r)
	case badUTF8:
		return msgUTF8
	case surrogate:
		return fmt.Sprintf(msgSurrogate, p.r)
	}
	return ""
}

// String checks a plain string (a query parameter, a form field) by the
// same rules as Check: the problem's message, or "" when it is fine.
func String(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < 0x20 {
			if p := controlProblem(rune(c)); p.kind != fine {
				return p.message()
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return msgUTF8
		}
		i += n
	}
	return ""
}

// controlProblem says whether r is a C0 control that text may not hold;
// tab, CR and LF are ordinary in a post's text.
func controlProblem(r rune) problem {
	switch {
	case r == 0:
		return problem{kind: nul}
	case r < 0x20 && r != '\t' && r != '\r' && r != '\n':
		return problem{kind: control, r: r}
	}
	return problem{}
}

// span is one object key: its bytes between the quotes.
type span struct {
	start, end int
	escaped    bool // holds a backslash escape, so bytes are not runes
	ascii      bool // no byte ≥ 0x80 and no escape: folding is byte-wise
}

// frame is an object or array being scanned, with the element it is at.
// It holds no pointer, so the frames of a deeply nested document are
// memory the collector neither scans nor tracks writes to.
type frame struct {
	object bool
	index  int  // array: the current element
	key    span // object: the current key
	base   int  // object: its first key in the inline key stack
	large  int  // object: past inlineKeys keys, 1 + the index of its key map
}

// Check reports the first text problem in a JSON document: a NUL or other
// C0 control except tab, CR and LF, invalid UTF-8, a lone surrogate, or a
// key given twice (keys that differ only in case count as the same, since
// encoding/json fills one struct field from either). Both raw bytes and
// what \u escapes decode to are checked, in keys as in values. The field
// is the value's dotted path (params.media.0.title); a document that is a
// bare string is "body". Check does not validate JSON: where a document
// stops being JSON it stops looking and returns nil, leaving the syntax
// error to the decoder that runs after it. A fine document allocates
// nothing unless an object has more than 16 keys; nesting deeper than 32,
// or more than 64 keys in the objects open at once, takes larger stacks
// from a pool, which allocates only when it is empty.
func Check(doc []byte) *plugin.FieldProblem {
	var frameBuf [32]frame
	var keyBuf [64]span
	frames, keys := frameBuf[:0], keyBuf[:0]
	var maps []map[string]span // the key maps of objects past inlineKeys keys
	var deep *stacks           // where frames and keys go past their buffers
	defer func() {
		if deep != nil {
			deepStacks.Put(deep)
		}
	}()
	i := skipSpace(doc, 0)

value:
	if i >= len(doc) {
		return nil
	}
	switch doc[i] {
	case '{':
		if len(frames) == maxDepth {
			return nil
		}
		if len(frames) == cap(frames) {
			frames = growFrames(frames, &deep)
		}
		frames = append(frames, frame{object: true, base: len(keys)})
		if i = skipSpace(doc, i+1); i < len(doc) && doc[i] == '}' {
			i++
			frames = frames[:len(frames)-1]
			goto next
		}
		goto key
	case '[':
		if len(frames) == maxDepth {
			return nil
		}
		if len(frames) == cap(frames) {
			frames = growFrames(frames, &deep)
		}
		frames = append(frames, frame{})
		if i = skipSpace(doc, i+1); i < len(doc) && doc[i] == ']' {
			i++
			frames = frames[:len(frames)-1]
			goto next
		}
		goto value
	case '"':
		end, _, p := scanString(doc, i+1)
		switch p.kind {
		case fine:
			i = end
		case syntax:
			return nil
		default:
			return &plugin.FieldProblem{Field: path(doc, frames, ""), Message: p.message()}
		}
	default:
		// A number or a literal: its bytes are ASCII or it is not JSON.
		start := i
		for i < len(doc) && scalar[doc[i]] {
			i++
		}
		if i == start {
			return nil
		}
	}

next:
	if len(frames) == 0 {
		return nil // trailing bytes are the decoder's to refuse
	}
	if i = skipSpace(doc, i); i >= len(doc) {
		return nil
	}
	{
		top := &frames[len(frames)-1]
		switch c := doc[i]; {
		case c == ',':
			i = skipSpace(doc, i+1)
			if top.object {
				goto key
			}
			top.index++
			goto value
		case c == '}' && top.object, c == ']' && !top.object:
			i++
			if top.object {
				keys = top.drop(keys, &maps)
			}
			frames = frames[:len(frames)-1]
			goto next
		}
		return nil
	}

key:
	if i >= len(doc) || doc[i] != '"' {
		return nil
	}
	{
		end, k, p := scanString(doc, i+1)
		switch p.kind {
		case fine:
		case syntax:
			return nil
		default:
			return &plugin.FieldProblem{Field: path(doc, frames[:len(frames)-1], badKey(doc, k.start)), Message: "is a key that " + p.message()}
		}
		top := &frames[len(frames)-1]
		if len(keys) == cap(keys) {
			keys = growKeys(keys, &deep)
		}
		var msg string
		if keys, msg = top.add(doc, k, keys, &maps); msg != "" {
			return &plugin.FieldProblem{Field: path(doc, frames[:len(frames)-1], decode(doc, k)), Message: msg}
		}
		top.key = k
		if i = skipSpace(doc, end); i >= len(doc) || doc[i] != ':' {
			return nil
		}
		i = skipSpace(doc, i+1)
		goto value
	}
}

// stacks are the frame and key stacks of a document nested deeper than
// Check's buffers hold, kept in deepStacks for the next such document:
// hostile nesting, 10,000 deep, then leaves no garbage behind.
type stacks struct {
	frames []frame
	keys   []span
}

var deepStacks = sync.Pool{New: func() any { return new(stacks) }}

// held is the stacks a Check holds, taken from the pool on first use.
func held(deep **stacks) *stacks {
	if *deep == nil {
		*deep = deepStacks.Get().(*stacks)
	}
	return *deep
}

// growFrames moves full frames to a stack twice their size, one that
// *deep holds. It copies frames by value (they hold no pointers), so
// Check's own buffer stays on its stack.
func growFrames(frames []frame, deep **stacks) []frame {
	s := held(deep)
	if cap(s.frames) <= cap(frames) {
		s.frames = make([]frame, 0, min(2*cap(frames), maxDepth))
	}
	s.frames = append(s.frames[:0], frames...)
	return s.frames
}

// growKeys is growFrames for the key stack.
func growKeys(keys []span, deep **stacks) []span {
	s := held(deep)
	if cap(s.keys) <= cap(keys) {
		s.keys = make([]span, 0, 2*cap(keys))
	}
	s.keys = append(s.keys[:0], keys...)
	return s.keys
}

// add records an object's key in keys, the keys of the objects being
// scanned, or in a map of maps once the object has more than inlineKeys;
// or it says how the key was given before.
func (f *frame) add(doc []byte, k span, keys []span, maps *[]map[string]span) ([]span, string) {
	if f.large != 0 {
		m := (*maps)[f.large-1]
		folded := string(appendFolded(nil, doc, k))
		if prev, ok := m[folded]; ok {
			return keys, twice(doc, prev, k)
		}
		m[folded] = k
		return keys, ""
	}
	mine := keys[f.base:]
	for _, prev := range mine {
		if sameKey(doc, prev, k) {
			return keys, twice(doc, prev, k)
		}
	}
	if len(mine) < inlineKeys {
		return append(keys, k), ""
	}
	m := make(map[string]span, 2*inlineKeys)
	for _, prev := range mine {
		m[string(appendFolded(nil, doc, prev))] = prev
	}
	m[string(appendFolded(nil, doc, k))] = k
	*maps = append(*maps, m)
	f.large = len(*maps)
	return keys, ""
}

// drop forgets the keys of an object whose scan is over.
func (f *frame) drop(keys []span, maps *[]map[string]span) []span {
	if f.large != 0 {
		clear((*maps)[f.large-1:])
		*maps = (*maps)[:f.large-1]
	}
	return keys[:f.base]
}

// twice words a duplicated key, naming both spellings when they differ.
func twice(doc []byte, prev, k span) string {
	a, b := decode(doc, prev), decode(doc, k)
	if a == b {
		return msgTwice
	}
	return msgTwice + ", as " + strconv.Quote(a) + " and as " + strconv.Quote(b)
}

// sameKey says whether two keys name the same field for encoding/json:
// equal under Unicode simple folding once their escapes are decoded.
func sameKey(doc []byte, a, b span) bool {
	if a.ascii && b.ascii {
		if a.end-a.start != b.end-b.start {
			return false
		}
		for i := 0; i < a.end-a.start; i++ {
			x, y := doc[a.start+i], doc[b.start+i]
			if x != y && upper(x) != upper(y) {
				return false
			}
		}
		return true
	}
	i, j := a.start, b.start
	for i < a.end && j < b.end {
		var x, y rune
		x, i = nextRune(doc, i)
		y, j = nextRune(doc, j)
		if x != y && fold(x) != fold(y) {
			return false
		}
	}
	return i == a.end && j == b.end
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// fold is encoding/json's folding: ASCII upper case, otherwise the
// smallest rune of the fold orbit.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(upper(byte(r)))
	}
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

func appendFolded(out, doc []byte, k span) []byte {
	for i := k.start; i < k.end; {
		var r rune
		r, i = nextRune(doc, i)
		out = utf8.AppendRune(out, fold(r))
	}
	return out
}

// nextRune decodes one character of a string that scanString found fine.
func nextRune(doc []byte, i int) (rune, int) {
	c := doc[i]
	if c != '\\' {
		if c < utf8.RuneSelf {
			return rune(c), i + 1
		}
		r, n := utf8.DecodeRune(doc[i:])
		return r, i + n
	}
	switch doc[i+1] {
	case 'u':
		r := hex4(doc[i+2 : i+6])
		if utf16.IsSurrogate(r) {
			return utf16.DecodeRune(r, hex4(doc[i+8:i+12])), i + 12
		}
		return r, i + 6
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	}
	return rune(doc[i+1]), i + 2 // \" \\ \/
}

// hex4 reads four hex digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(d)
	}
	return r
}

// scanString reads a string's contents from i (just past its opening
// quote) and returns the index past its closing quote, its key span, and
// the first problem in it.
func scanString(doc []byte, i int) (int, span, problem) {
	k := span{start: i, ascii: true}
	for {
		for i < len(doc) && plain[doc[i]] {
			i++
		}
		if i >= len(doc) {
			return i, k, problem{kind: syntax}
		}
		switch c := doc[i]; {
		case c == '"':
			k.end = i
			return i + 1, k, problem{}
		case c == '\\':
			k.escaped, k.ascii = true, false
			if i+1 >= len(doc) {
				return i, k, problem{kind: syntax}
			}
			if doc[i+1] != 'u' {
				switch doc[i+1] {
				case 'b':
					return i, k, problem{kind: control, r: '\b'}
				case 'f':
					return i, k, problem{kind: control, r: '\f'}
				case '"', '\\', '/', 'n', 'r', 't':
					i += 2
					continue
				}
				return i, k, problem{kind: syntax}
			}
			if i+6 > len(doc) {
				return i, k, problem{kind: syntax}
			}
			r := hex4(doc[i+2 : i+6])
			switch {
			case r < 0:
				return i, k, problem{kind: syntax}
			case r < 0x20:
				if p := controlProblem(r); p.kind != fine {
					return i, k, p
				}
			case utf16.IsSurrogate(r):
				// A pair is a high surrogate followed at once by an
				// escaped low one; anything else decodes to U+FFFD.
				lo := rune(-1)
				if r < 0xDC00 && i+12 <= len(doc) && doc[i+6] == '\\' && doc[i+7] == 'u' {
					lo = hex4(doc[i+8 : i+12])
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					return i, k, problem{kind: surrogate, r: r}
				}
				i += 6
			}
			i += 6
		case c < 0x20:
			// A raw control is a syntax error too, but the text rule
			// names it better; raw tab, CR and LF are only syntax.
			if p := controlProblem(rune(c)); p.kind != fine {
				return i, k, p
			}
			return i, k, problem{kind: syntax}
		default:
			k.ascii = false
			r, n := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && n == 1 {
				return i, k, problem{kind: badUTF8}
			}
			i += n
		}
	}
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\r' || doc[i] == '\t') {
		i++
	}
	return i
}

// plain are the bytes a string holds as they are: printable ASCII but the
// quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scalar are the bytes of numbers and literals.
var scalar = func() (t [256]bool) {
	for _, c := range "0123456789+-.eEtruefalsn" {
		t[c] = true
	}
	return t
}()

// path names the value the frames lead to, then tail when given.
func path(doc []byte, frames []frame, tail string) string {
	var b strings.Builder
	for n, f := range frames {
		if n > 0 {
			b.WriteByte('.')
		}
		if f.object {
			b.WriteString(decode(doc, f.key))
		} else {
			b.WriteString(strconv.Itoa(f.index))
		}
	}
	if tail != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tail)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// decode is a fine key as text.
func decode(doc []byte, k span) string {
	if !k.escaped {
		return string(doc[k.start:k.end])
	}
	out := make([]byte, 0, k.end-k.start)
	for i := k.start; i < k.end; {
		var r rune
		r, i = nextRune(doc, i)
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}

// badKey shows a key that has a problem so a reader can see it: what is
// fine decoded, the rest as escapes (\u0000, \ud800, \xff), up to its
// closing quote or as far as it can be read.
func badKey(doc []byte, i int) string {
	var b strings.Builder
	for i < len(doc) && doc[i] != '"' {
		c := doc[i]
		switch {
		case c == '\\':
			r, n := escapeAt(doc, i)
			switch {
			case n == 0:
				b.WriteByte(c)
				i++
				continue
			case r < 0x20 || utf16.IsSurrogate(r):
				b.Write(doc[i : i+n])
			default:
				b.WriteRune(r)
			}
			i += n
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
			i++
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && n == 1 {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.Write(doc[i : i+n])
			}
			i += n
		}
	}
	return b.String()
}

// escapeAt reads the escape at doc[i] with every bound checked: its
// character (a surrogate pair joined, a lone surrogate as itself) and its
// length, 0 when it is malformed.
func escapeAt(doc []byte, i int) (rune, int) {
	if i+1 >= len(doc) {
		return 0, 0
	}
	if doc[i+1] != 'u' {
		switch doc[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			r, next := nextRune(doc, i)
			return r, next - i
		}
		return 0, 0
	}
	if i+6 > len(doc) {
		return 0, 0
	}
	r := hex4(doc[i+2 : i+6])
	if r < 0 {
		return 0, 0
	}
	if r >= 0xD800 && r < 0xDC00 && i+12 <= len(doc) && doc[i+6] == '\\' && doc[i+7] == 'u' {
		if pair := utf16.DecodeRune(r, hex4(doc[i+8:i+12])); pair != utf8.RuneError {
			return pair, 12
		}
	}
	return r, 6
}
