package oauthbroker

import (
	"context"
	"errors"
	"fmt"
)

// KeyStore keeps the sealed key check and reseals everything.
type KeyStore interface {
	KeyCheck(ctx context.Context) ([]byte, error)
	SetKeyCheck(ctx context.Context, sealed []byte) error
	Reseal(ctx context.Context, reseal func(owner, field string, sealed []byte) ([]byte, error)) (int, error)
}

const keyCheckText = "plugin-server key check"

// ErrWrongKey means the store was sealed with another key.
var ErrWrongKey = errors.New("the secret key is not the one this database was sealed with")

// CheckKey proves the key opens the store, so a wrong key stops the server
// at start instead of turning every token into garbage. A store without a
// check gets one.
func CheckKey(ctx context.Context, st KeyStore, s *Sealer) error {
	check, err := st.KeyCheck(ctx)
	if err != nil {
		return fmt.Errorf("read key check: %w", err)
	}
	if check == nil {
		return st.SetKeyCheck(ctx, s.Seal([]byte(keyCheckText), sealedAAD("server", "key_check")))
	}
	if plain, err := s.Open(check, sealedAAD("server", "key_check")); err != nil || string(plain) != keyCheckText {
		return ErrWrongKey
	}
	return nil
}

// RotateKey re-seals every secret and token from one key to another, in one
// transaction: all or nothing.
func RotateKey(ctx context.Context, st KeyStore, from, to *Sealer) (int, error) {
	if err := CheckKey(ctx, st, from); err != nil {
		return 0, err
	}
	return st.Reseal(ctx, func(owner, field string, sealed []byte) ([]byte, error) {
		aad := sealedAAD(owner, field)
		plain, err := from.Open(sealed, aad)
		if err != nil {
			return nil, err
		}
		return to.Seal(plain, aad), nil
	})
}
