package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/state"
)

// DefaultPath is where the database lives when the config names none.
const DefaultPath = "shopbridge.db"

// Config is the `sqlite:` section of the state configuration.
type Config struct {
	// Path is the database file, created if missing (its directory must
	// exist; an empty or foreign file is refused, see Open); ":memory:" is a
	// private in-memory database that is lost at exit.
	Path string `yaml:"path"`
	// BusyTimeout is how long to wait for a lock held by another process
	// (for example "shopbridge report") before failing.
	BusyTimeout time.Duration `yaml:"busy_timeout"`
	// MaxReadConns is the size of the read pool.
	MaxReadConns int `yaml:"max_read_conns"`
	// TokenKey, when set, encrypts marketplace tokens at rest with AES-GCM:
	// 16, 24 or 32 bytes as hex or base64, usually "${SHOPBRIDGE_SECRET_KEY}".
	TokenKey string `yaml:"token_key"`
}

// SetDefaults fills in what the config leaves out.
func (c *Config) SetDefaults() {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.MaxReadConns == 0 {
		c.MaxReadConns = 4
	}
}

// Validate returns one line per problem (after SetDefaults).
func (c Config) Validate() []string {
	var probs []string
	if c.Path == "" {
		probs = append(probs, "sqlite.path: must name the database file (or \":memory:\")")
	}
	if c.BusyTimeout < 0 {
		probs = append(probs, fmt.Sprintf("sqlite.busy_timeout: must not be negative, got %s", c.BusyTimeout))
	}
	if c.MaxReadConns < 1 || c.MaxReadConns > 64 {
		probs = append(probs, fmt.Sprintf("sqlite.max_read_conns: must be between 1 and 64, got %d", c.MaxReadConns))
	}
	if c.TokenKey != "" {
		if _, err := state.CipherFromKey(c.TokenKey); err != nil {
			probs = append(probs, "sqlite.token_key: must be 16, 24 or 32 bytes as hex or base64")
		}
	}
	return probs
}

// OpenConfig opens the database a Config describes, with defaults applied.
func OpenConfig(ctx context.Context, c Config, opts ...Option) (*DB, error) {
	c.SetDefaults()
	cipher, err := state.CipherFromKey(c.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("sqlite: token_key: %w", err)
	}
	all := []Option{WithBusyTimeout(c.BusyTimeout), WithMaxReadConns(c.MaxReadConns)}
	if cipher != nil {
		all = append(all, WithCipher(cipher))
	}
	return Open(ctx, c.Path, append(all, opts...)...)
}
