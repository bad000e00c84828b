package sqlite

import (
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.SetDefaults()
	if c.Path != DefaultPath || c.BusyTimeout != 5*time.Second || c.MaxReadConns != 4 {
		t.Errorf("defaults = %+v", c)
	}
	if probs := c.Validate(); len(probs) != 0 {
		t.Errorf("defaults do not validate: %q", probs)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"valid with key", Config{Path: "x.db", BusyTimeout: time.Second, MaxReadConns: 2,
			TokenKey: hex.EncodeToString(make([]byte, 32))}, nil},
		{"everything wrong", Config{BusyTimeout: -1, MaxReadConns: 0, TokenKey: "not-a-key"}, []string{
			`sqlite.path: must name the database file (or ":memory:")`,
			"sqlite.busy_timeout: must not be negative, got -1ns",
			"sqlite.max_read_conns: must be between 1 and 64, got 0",
			"sqlite.token_key: must be 16, 24 or 32 bytes as hex or base64",
		}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			got := tc.cfg.Validate()
			if !slices.Equal(got, tc.want) {
				t.Errorf("Validate() =\n  %q\nwant\n  %q", got, tc.want)
			}
			for _, line := range got {
				if strings.Contains(line, "not-a-key") {
					t.Errorf("problem line repeats the key: %q", line)
				}
			}
		})
	}
}

func TestOpenConfigWithKey(t *testing.T) {
	cfg := Config{Path: filepath.Join(t.TempDir(), "cfg.db"), TokenKey: hex.EncodeToString(make([]byte, 32))}
	db, err := OpenConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.opts.cipher == nil {
		t.Error("OpenConfig with token_key did not configure a cipher")
	}
}
