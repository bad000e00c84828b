package state

import (
	"errors"
	"fmt"
)

// ErrNoKey is returned when a token was stored encrypted but the backend has
// no Cipher to open it.
var ErrNoKey = errors.New("state: token is encrypted at rest but no token key is configured")

// SealToken prepares one token for storage: sealed with c, or as plain bytes
// when c is nil. It reports whether the value is sealed, which the backend
// stores next to it.
func SealToken(c Cipher, token string) (value []byte, sealed bool, err error) {
	if c == nil {
		return []byte(token), false, nil
	}
	v, err := c.Seal([]byte(token))
	if err != nil {
		return nil, false, fmt.Errorf("seal token: %w", err)
	}
	return v, true, nil
}

// OpenToken reverses SealToken. A plain value is returned as is even when c is
// set (it was stored before a key was configured; the next save seals it).
func OpenToken(c Cipher, value []byte, sealed bool) (string, error) {
	if !sealed {
		return string(value), nil
	}
	if c == nil {
		return "", ErrNoKey
	}
	plain, err := c.Open(value)
	if err != nil {
		return "", fmt.Errorf("open token: %w", err)
	}
	return string(plain), nil
}
