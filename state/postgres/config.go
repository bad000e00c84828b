package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shopbridge/shopbridge/state"
)

// Config is the `postgres:` section of the state configuration.
type Config struct {
	// DSN is the connection string, usually "${SHOPBRIDGE_POSTGRES_DSN}":
	// postgres://user:password@host:5432/db?sslmode=verify-full
	DSN string `yaml:"dsn"`
	// Schema keeps shopbridge's tables in a schema of their own (created if
	// missing); empty uses the DSN's search_path.
	Schema string `yaml:"schema"`
	// MaxConns bounds the connection pool; 0 takes the DSN's pool_max_conns
	// or pgx's default (the greater of 4 and the number of CPUs).
	MaxConns int `yaml:"max_conns"`
	// TokenKey, when set, encrypts marketplace tokens at rest with AES-GCM:
	// 16, 24 or 32 bytes as hex or base64, usually "${SHOPBRIDGE_SECRET_KEY}".
	TokenKey string `yaml:"token_key"`
}

// SetDefaults fills in what the config leaves out (nothing yet: every
// field's zero value is its default).
func (c *Config) SetDefaults() {}

// Validate returns one line per problem. It never repeats the DSN or the key.
func (c Config) Validate() []string {
	var probs []string
	if c.DSN == "" {
		probs = append(probs, "postgres.dsn: must be set (for example postgres://user@host:5432/shopbridge)")
	} else if _, err := pgxpool.ParseConfig(c.DSN); err != nil {
		probs = append(probs, "postgres.dsn: cannot be parsed as a postgres:// URL or key=value string")
	}
	if c.Schema != "" && !schemaName.MatchString(c.Schema) {
		probs = append(probs, fmt.Sprintf("postgres.schema: %q must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)", c.Schema))
	}
	if c.MaxConns < 0 {
		probs = append(probs, fmt.Sprintf("postgres.max_conns: must not be negative, got %d", c.MaxConns))
	}
	if c.TokenKey != "" {
		if _, err := state.CipherFromKey(c.TokenKey); err != nil {
			probs = append(probs, "postgres.token_key: must be 16, 24 or 32 bytes as hex or base64")
		}
	}
	return probs
}

// OpenConfig opens the database a Config describes.
func OpenConfig(ctx context.Context, c Config, opts ...Option) (*DB, error) {
	c.SetDefaults()
	cipher, err := state.CipherFromKey(c.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("postgres: token_key: %w", err)
	}
	var all []Option
	if c.Schema != "" {
		all = append(all, WithSchema(c.Schema))
	}
	if c.MaxConns > 0 {
		all = append(all, WithMaxConns(c.MaxConns))
	}
	if cipher != nil {
		all = append(all, WithCipher(cipher))
	}
	return Open(ctx, c.DSN, append(all, opts...)...)
}
