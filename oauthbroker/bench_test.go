package oauthbroker

import (
	"bytes"
	"testing"
)

func BenchmarkSeal(b *testing.B) {
	s, _ := NewSealer(bytes.Repeat([]byte{1}, KeySize))
	token := bytes.Repeat([]byte("t"), 350) // LinkedIn access tokens are about 350 characters
	b.ReportAllocs()
	for b.Loop() {
		s.Seal(token, "datasource/ds_x/access_token")
	}
}

func BenchmarkOpen(b *testing.B) {
	s, _ := NewSealer(bytes.Repeat([]byte{1}, KeySize))
	sealed := s.Seal(bytes.Repeat([]byte("t"), 350), "datasource/ds_x/access_token")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(sealed, "datasource/ds_x/access_token"); err != nil {
			b.Fatal(err)
		}
	}
}
