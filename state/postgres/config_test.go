package postgres

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"valid", Config{DSN: "postgres://u:pw@db:5432/shopbridge", Schema: "shopbridge", MaxConns: 8,
			TokenKey: hex.EncodeToString(make([]byte, 32))}, nil},
		{"valid key=value dsn", Config{DSN: "host=db user=u dbname=shopbridge"}, nil},
		{"missing dsn", Config{}, []string{"postgres.dsn: must be set (for example postgres://user@host:5432/shopbridge)"}},
		{"everything wrong", Config{DSN: "postgres://u:hunter2@[::1/db", Schema: "Shop-Bridge", MaxConns: -1, TokenKey: "nope"}, []string{
			"postgres.dsn: cannot be parsed as a postgres:// URL or key=value string",
			`postgres.schema: "Shop-Bridge" must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)`,
			"postgres.max_conns: must not be negative, got -1",
			"postgres.token_key: must be 16, 24 or 32 bytes as hex or base64",
		}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			got := tc.cfg.Validate()
			if !slices.Equal(got, tc.want) {
				t.Errorf("Validate() =\n  %q\nwant\n  %q", got, tc.want)
			}
			for _, line := range got {
				if strings.Contains(line, "hunter2") {
					t.Errorf("problem line shows the password: %q", line)
				}
			}
		})
	}
}
