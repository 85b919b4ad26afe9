package auth

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeysFile is the file in the data directory that keeps generated session keys.
const KeysFile = "session.keys"

// minKeyLen is the shortest session key accepted, in characters.
const minKeyLen = 32

// LoadOrCreateKeys returns the session keys: configured ones when given, else the ones kept in
// dir/session.keys, generating that file (mode 0600) on first start so restarts keep
// everyone signed in. The file holds one key per line; like configured keys, the first signs
// and all verify, so an administrator can rotate by adding a line at the top.
func LoadOrCreateKeys(dir string, configured []string) ([]string, error) {
	if len(configured) > 0 {
		for i, k := range configured {
			if len(k) < minKeyLen {
				return nil, fmt.Errorf("session key %d has %d characters, needs at least %d", i+1, len(k), minKeyLen)
			}
		}
		return configured, nil
	}
	path := filepath.Join(dir, KeysFile)
	keys, err := readKeys(path)
	if err == nil {
		return keys, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("generate session key: %w", err)
	}
	key := hex.EncodeToString(b[:])
	// O_EXCL: two processes starting at once must not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeys(path)
	}
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("session keys %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("session keys %s: %w", path, err)
	}
	return []string{key}, nil
}

func readKeys(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("session keys %s: mode %v lets others read it; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	var keys []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if len(l) < minKeyLen {
			return nil, fmt.Errorf("session keys %s: a key has %d characters, needs at least %d", path, len(l), minKeyLen)
		}
		keys = append(keys, l)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("session keys %s: no key in the file; delete it to generate one", path)
	}
	return keys, nil
}

// keyPairs derives securecookie's (hash key, block key) pairs from the configured keys, so
// each configured secret both signs (HMAC-SHA256) and encrypts (AES-256) the cookie without
// reusing the same bytes for both.
func keyPairs(keys []string) ([][]byte, error) {
	pairs := make([][]byte, 0, 2*len(keys))
	for _, k := range keys {
		hash, err := hkdf.Key(sha256.New, []byte(k), nil, "tenantdesk session mac", 64)
		if err != nil {
			return nil, fmt.Errorf("derive session key: %w", err)
		}
		block, err := hkdf.Key(sha256.New, []byte(k), nil, "tenantdesk session encryption", 32)
		if err != nil {
			return nil, fmt.Errorf("derive session key: %w", err)
		}
		pairs = append(pairs, hash, block)
	}
	return pairs, nil
}
