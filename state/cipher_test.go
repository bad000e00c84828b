package state

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKey(n int) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = byte(i * 7)
	}
	return k
}

func TestAESGCMRoundTrip(t *testing.T) {
	for _, size := range []int{16, 24, 32} {
		c, err := NewAESGCM(testKey(size))
		if err != nil {
			t.Fatalf("NewAESGCM(%d-byte key): %v", size, err)
		}
		for _, plain := range []string{"", "a", "access-token-123", strings.Repeat("x", 4096)} {
			sealed, err := c.Seal([]byte(plain))
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if len(plain) > 3 && bytes.Contains(sealed, []byte(plain)) {
				t.Errorf("%d-byte key: sealed value contains the plaintext", size)
			}
			got, err := c.Open(sealed)
			if err != nil {
				t.Fatalf("%d-byte key: Open of a value just sealed: %v", size, err)
			}
			if string(got) != plain {
				t.Errorf("%d-byte key: Open returned %d bytes, want the %d sealed", size, len(got), len(plain))
			}
		}
	}
}

func TestAESGCMNonceIsFresh(t *testing.T) {
	c, err := NewAESGCM(testKey(32))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Seal([]byte("same"))
	b, _ := c.Seal([]byte("same"))
	if bytes.Equal(a, b) {
		t.Error("sealing the same plaintext twice gave the same bytes: the nonce is not random")
	}
}

func TestAESGCMRefusesBadInput(t *testing.T) {
	c, _ := NewAESGCM(testKey(32))
	other, _ := NewAESGCM(testKey(16))
	sealed, _ := c.Seal([]byte("refresh-token"))

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	wrongVersion := bytes.Clone(sealed)
	wrongVersion[0] = 9

	cases := []struct {
		name   string
		cipher Cipher
		in     []byte
	}{
		{"tampered tag", c, tampered},
		{"unknown version", c, wrongVersion},
		{"wrong key", other, sealed},
		{"too short", c, sealed[:10]},
		{"empty", c, nil},
		{"plaintext", c, []byte("refresh-token-not-sealed-at-all-xx")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cipher.Open(tc.in)
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Open: err = %v, want ErrDecrypt", err)
			}
			if got != nil {
				t.Errorf("Open returned %d bytes along with the error", len(got))
			}
		})
	}
}

func TestNewAESGCMKeySize(t *testing.T) {
	for _, n := range []int{0, 8, 15, 17, 31, 33, 64} {
		if _, err := NewAESGCM(testKey(n)); err == nil {
			t.Errorf("NewAESGCM accepted a %d-byte key", n)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := testKey(32)
	cases := []struct {
		name    string
		in      string
		want    []byte
		wantErr bool
	}{
		{"hex", hex.EncodeToString(key), key, false},
		{"base64", base64.StdEncoding.EncodeToString(key), key, false},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(key), key, false},
		{"base64 16 bytes", base64.StdEncoding.EncodeToString(key[:16]), key[:16], false},
		{"surrounding space", "  " + hex.EncodeToString(key) + "\n", key, false},
		{"empty", "", nil, true},
		{"too short", base64.StdEncoding.EncodeToString(key[:10]), nil, true},
		{"not encoded", "correct horse battery staple!", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseKey accepted %q", tc.in)
				}
				if len(tc.in) > 8 && strings.Contains(err.Error(), tc.in) {
					t.Errorf("error repeats the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("ParseKey decoded %d bytes different from the %d-byte key", len(got), len(tc.want))
			}
		})
	}
}

func TestCipherFromKey(t *testing.T) {
	c, err := CipherFromKey("")
	if err != nil || c != nil {
		t.Fatalf("CipherFromKey(\"\") = %v, %v; want nil, nil (no encryption)", c, err)
	}
	c, err = CipherFromKey(hex.EncodeToString(testKey(32)))
	if err != nil || c == nil {
		t.Fatalf("CipherFromKey(valid key) = %v, %v", c, err)
	}
	if _, err := CipherFromKey("nope"); err == nil {
		t.Error("CipherFromKey accepted an invalid key")
	}
}

func TestTokenSealing(t *testing.T) {
	c, _ := NewAESGCM(testKey(32))
	v, sealed, err := SealToken(c, "tok")
	if err != nil || !sealed {
		t.Fatalf("SealToken with a cipher: sealed=%v err=%v", sealed, err)
	}
	if got, err := OpenToken(c, v, sealed); err != nil || got != "tok" {
		t.Errorf("OpenToken: err=%v, round trip differs=%v", err, got != "tok")
	}
	if _, err := OpenToken(nil, v, sealed); !errors.Is(err, ErrNoKey) {
		t.Errorf("OpenToken of a sealed value without a cipher: err=%v, want ErrNoKey", err)
	}
	plain, sealed, _ := SealToken(nil, "tok")
	if sealed || string(plain) != "tok" {
		t.Errorf("SealToken without a cipher: sealed=%v", sealed)
	}
	if got, err := OpenToken(c, plain, false); err != nil || got != "tok" {
		t.Errorf("OpenToken of a plain value with a cipher set: err=%v", err)
	}
}

var zeroTime = time.Time{}

func TestTimeEncoding(t *testing.T) {
	if n := UnixNano(zeroTime); n != 0 {
		t.Errorf("UnixNano(zero) = %d, want 0", n)
	}
	if got := FromUnixNano(0); !got.IsZero() {
		t.Errorf("FromUnixNano(0) = %v, want the zero time", got)
	}
}
