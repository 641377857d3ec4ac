package oauthbroker

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("AQV-secret-token"), "datasource/ds1/access_token")
	if bytes.Contains(sealed, []byte("AQV-secret-token")) {
		t.Fatal("sealed value holds the plaintext")
	}
	if again := s.Seal([]byte("AQV-secret-token"), "datasource/ds1/access_token"); bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same value are equal: the nonce is not random")
	}
	plain, err := s.Open(sealed, "datasource/ds1/access_token")
	if err != nil || string(plain) != "AQV-secret-token" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, KeySize))
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"another key":   func() ([]byte, error) { return other.Open(sealed, "datasource/ds1/access_token") },
		"another place": func() ([]byte, error) { return s.Open(sealed, "datasource/ds2/access_token") },
		"tampered":      func() ([]byte, error) { return s.Open(tampered, "datasource/ds1/access_token") },
		"truncated":     func() ([]byte, error) { return s.Open(sealed[:10], "datasource/ds1/access_token") },
	} {
		if _, err := open(); !errors.Is(err, ErrUnsealable) {
			t.Errorf("%s: err = %v, want ErrUnsealable", name, err)
		}
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plugin-server.db.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
	os.WriteFile(path, []byte("bm90IDMyIGJ5dGVz\n"), 0o600)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a key of the wrong size was accepted")
	}
}
