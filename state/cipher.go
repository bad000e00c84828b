package state

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Cipher seals and opens small secrets (marketplace tokens) before they are
// written to the database. Implementations must authenticate what they open:
// a tampered or foreign ciphertext is an error, never garbage plaintext.
type Cipher interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// aesGCMVersion is the first byte of every sealed value, so that a later
// format (another algorithm, a key ID for rotation) can be told apart.
const aesGCMVersion byte = 1

// ErrDecrypt is returned when a sealed value cannot be opened: wrong key,
// tampered data or an unknown format. It never carries the data itself.
var ErrDecrypt = errors.New("state: cannot decrypt sealed value (wrong key or corrupted data)")

// AESGCM is a Cipher using AES in Galois/Counter Mode with a random 96-bit
// nonce per sealed value. Sealed values are version byte || nonce || ciphertext+tag.
type AESGCM struct {
	aead cipher.AEAD
}

var _ Cipher = (*AESGCM)(nil)

// NewAESGCM returns an AES-GCM Cipher for a 16-, 24- or 32-byte key
// (AES-128, -192 or -256; 32 bytes is recommended).
func NewAESGCM(key []byte) (Cipher, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("state: AES-GCM key must be 16, 24 or 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("state: AES-GCM key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("state: AES-GCM: %w", err)
	}
	return &AESGCM{aead: aead}, nil
}

// Seal encrypts and authenticates plaintext.
func (c *AESGCM) Seal(plaintext []byte) ([]byte, error) {
	ns := c.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+c.aead.Overhead())
	out[0] = aesGCMVersion
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, fmt.Errorf("state: AES-GCM nonce: %w", err)
	}
	// The version byte is authenticated as additional data.
	return c.aead.Seal(out, out[1:1+ns], plaintext, out[:1]), nil
}

// Open decrypts a value made by Seal; it returns ErrDecrypt for anything else.
func (c *AESGCM) Open(sealed []byte) ([]byte, error) {
	ns := c.aead.NonceSize()
	if len(sealed) < 1+ns+c.aead.Overhead() || sealed[0] != aesGCMVersion {
		return nil, ErrDecrypt
	}
	plain, err := c.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealed[:1])
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// KeyFormats says how a token key is written, for messages and docs.
const KeyFormats = "16, 24 or 32 bytes (32 recommended) as hex or base64, e.g. the output of `openssl rand -hex 32`"

// ParseKey decodes a key as written in the environment: hex of 16, 24 or
// 32 bytes, or standard or URL-safe base64 (padded or not) of as many. The
// error says what is wrong without a prefix, for the caller to name the
// key ("SHOPBRIDGE_SECRET_KEY: must decode to …"), and never repeats it.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("is empty")
	}
	var key []byte
	if b, err := hex.DecodeString(s); err == nil && (len(b) == 16 || len(b) == 24 || len(b) == 32) {
		key = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				key = b
				break
			}
		}
	}
	switch len(key) {
	case 16, 24, 32:
		return key, nil
	case 0:
		return nil, errors.New("must be " + KeyFormats + "; it is neither hex nor base64")
	default:
		return nil, fmt.Errorf("must decode to 16, 24 or 32 bytes, got %d (hex or base64, e.g. the output of `openssl rand -hex 32`)", len(key))
	}
}

// CipherFromKey returns the AES-GCM Cipher for a configured key, or a nil
// Cipher (tokens stored unencrypted) when the key is empty.
func CipherFromKey(s string) (Cipher, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	key, err := ParseKey(s)
	if err != nil {
		return nil, err
	}
	return NewAESGCM(key)
}
