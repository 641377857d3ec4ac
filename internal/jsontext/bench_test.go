package jsontext

import (
	"strings"
	"testing"
)

// The bodies the benchmarks read: what Check sees from the execute and
// the other JSON endpoints. library_test.go reads the same ones with the
// JSON v2 work's jsontext decoder (GOEXPERIMENT=jsonv2).

// media is one entry of createPostWithMedia's media, with escapes and
// text that is not ASCII, as a post's media carries.
const media = `{"media":"urn:li:digitalmediaAsset:C5422AQEbc381YmIuvg","status":"READY",` +
	`"title":"Équipe \u00e0 Lyon \ud83d\ude80 \"launch\" day","description":"Photos from the launch: ` +
	`the team, the stage, the crowd of 300 — and the cake 🎂. C:\\photos\\launch\\*.jpg\nShot on a phone."}`

// body1K is a createPostWithMedia execute body of about 1 KB.
var body1K = `{"command":"createPostWithMedia","params":{"author":"urn:li:person:782bbtaQ","lifecycleState":"PUBLISHED",` +
	`"text":"Our spring release is out today 🎉\nFaster uploads, \"drafts\" that sync, and a new C:\\exports folder. ` +
	`Grüße an alle, 谢谢, merci \u00e0 tous! Read more: https://example.com/blog/spring?utm_source=linkedin #release",` +
	`"visibility":"PUBLIC","mediaCategory":"IMAGE","media":[` + media + `,` + media + `]}}`

// body1M is an execute body at the JSON limit, 1 MiB: a thousand and
// more media entries, each an object of keys to check.
var body1M = func() string {
	var b strings.Builder
	b.WriteString(`{"command":"createPostWithMedia","params":{"author":"urn:li:person:782bbtaQ","mediaCategory":"IMAGE","media":[`)
	for b.Len()+2*len(media)+8 <= 1<<20 {
		b.WriteString(media)
		b.WriteByte(',')
	}
	b.WriteString(media + `]}}`)
	return b.String()
}()

// deep is hostile nesting just under the decoders' limit of 10,000:
// objects and arrays in turn, 9,998 deep.
var deep = strings.Repeat(`{"a":[`, 4999) + `"x"` + strings.Repeat(`]}`, 4999)

// duplicated is body1K with its text given again last, as a body that
// slips a second value past a check of the first.
var duplicated = strings.TrimSuffix(body1K, `}}`) + `,"text":"again"}}`

// notUTF8 is body1K with a byte that is not UTF-8 at the end of its last
// description, so the whole body is read to find it.
var notUTF8 = strings.Replace(body1K, "a phone.\"}]", "a phone.\xff\"}]", 1)

// benchBodies are the benchmarks' inputs, and whether Check refuses each.
var benchBodies = []struct {
	name    string
	doc     string
	refused bool
}{
	{"body1K", body1K, false},
	{"body1M", body1M, false},
	{"deep", deep, false},
	{"duplicate", duplicated, true},
	{"invalidUTF8", notUTF8, true},
}

func TestBenchBodies(t *testing.T) {
	if n := len(body1K); n < 900 || n > 1200 {
		t.Errorf("body1K is %d bytes, want about 1 KB", n)
	}
	if n := len(body1M); n > 1<<20 || n < 1<<20-2*len(media) {
		t.Errorf("body1M is %d bytes, want just under 1 MiB", n)
	}
	for _, tt := range benchBodies {
		if p := Check([]byte(tt.doc)); (p != nil) != tt.refused {
			t.Errorf("%s: Check = %+v, want refused %v", tt.name, p, tt.refused)
		}
	}
}

// BenchmarkCheck is ours on the bodies; BenchmarkJSONText in
// library_test.go is the library's decoder on the same.
func BenchmarkCheck(b *testing.B) {
	b.Run("createPost", func(b *testing.B) { benchCheck(b, createPost, false) })
	for _, tt := range benchBodies {
		b.Run(tt.name, func(b *testing.B) { benchCheck(b, tt.doc, tt.refused) })
	}
}

func benchCheck(b *testing.B, s string, refused bool) {
	doc := []byte(s)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if (Check(doc) != nil) != refused {
			b.Fatal("Check's verdict changed")
		}
	}
}
