package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"pluginserver/internal/config"
	"pluginserver/internal/store"
	"pluginserver/oauthbroker"
)

// openSealer opens the secret key and proves it is the store's. With a key
// file, a rotation that was cut short is finished or undone first.
func openSealer(ctx context.Context, cfg *config.Config, st store.Store) (*oauthbroker.Sealer, error) {
	key := cfg.SecretKey
	source := "PLUGIN_SERVER_SECRET_KEY"
	if key == nil {
		path := cfg.DB + ".key"
		source = path
		if err := recoverRotation(ctx, path, st); err != nil {
			return nil, err
		}
		var err error
		if key, err = oauthbroker.LoadOrCreateKey(path); err != nil {
			return nil, err
		}
	}
	s, err := oauthbroker.NewSealer(key)
	if err != nil {
		return nil, err
	}
	if err := oauthbroker.CheckKey(ctx, st, s); errors.Is(err, oauthbroker.ErrWrongKey) {
		return nil, fmt.Errorf("%s is not the key %s was sealed with: no token could be opened, so the server will not start. Give it the right key, or restore the database that goes with this one", source, config.ShowDB(cfg.DB))
	} else if err != nil {
		return nil, err
	}
	return s, nil
}

// recoverRotation looks for <key>.new, written before a rotation's
// transaction: if the store already opens with it the rotation committed
// and the new key takes the file's place; otherwise it is dropped.
func recoverRotation(ctx context.Context, path string, st store.Store) error {
	pending, err := os.ReadFile(path + ".new")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if key, err := oauthbroker.ParseKey(string(pending)); err == nil {
		if s, err := oauthbroker.NewSealer(key); err == nil && oauthbroker.CheckKey(ctx, st, s) == nil {
			return os.Rename(path+".new", path)
		}
	}
	return os.Remove(path + ".new")
}

// RotateKey re-seals every secret under a new key in one transaction. With a
// key file the new key replaces it (written beside it first, so a crash at
// any point leaves a key that opens the store); with PLUGIN_SERVER_SECRET_KEY
// the new key must be given in newKey, and set in its place afterwards.
func RotateKey(ctx context.Context, cfg *config.Config, newKey []byte) (int, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	from, err := openSealer(ctx, cfg, st)
	if err != nil {
		return 0, err
	}
	if newKey == nil {
		if cfg.SecretKey != nil {
			return 0, errors.New("PLUGIN_SERVER_SECRET_KEY is set, so give the new key in PLUGIN_SERVER_NEW_SECRET_KEY")
		}
		newKey = oauthbroker.NewKey()
	}
	to, err := oauthbroker.NewSealer(newKey)
	if err != nil {
		return 0, err
	}
	path := cfg.DB + ".key"
	if cfg.SecretKey == nil {
		if err := oauthbroker.WriteKeyFile(path+".new", newKey); err != nil {
			return 0, err
		}
	}
	n, err := oauthbroker.RotateKey(ctx, st, from, to)
	if err != nil {
		if cfg.SecretKey == nil {
			os.Remove(path + ".new")
		}
		return 0, err
	}
	if cfg.SecretKey == nil {
		if err := os.Rename(path+".new", path); err != nil {
			return n, fmt.Errorf("the store is re-sealed but %s.new could not replace %s (the next start will): %w", path, path, err)
		}
	}
	return n, nil
}
