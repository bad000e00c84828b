package postgres

import (
	"log/slog"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// Cipher seals tokens at rest; see state.Cipher and state.NewAESGCM.
type Cipher = state.Cipher

// Option configures Open.
type Option func(*options)

type options struct {
	cipher   Cipher
	logger   *slog.Logger
	schema   string
	maxConns int32
	now      func() time.Time
	readOnly bool
}

func defaultOptions() options {
	return options{logger: slog.New(slog.DiscardHandler), now: time.Now}
}

// WithCipher encrypts tokens at rest with c (for example state.NewAESGCM).
// Tokens saved before a cipher was configured are still read, and are sealed
// when Open runs with a cipher.
func WithCipher(c Cipher) Option { return func(o *options) { o.cipher = c } }

// WithLogger sets the logger (migrations applied, tokens sealed). The default
// discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithSchema keeps shopbridge's tables in the named schema (created if
// missing) by setting every connection's search_path to it. The name must be
// a plain lower-case identifier. Without it the DSN's own search_path (by
// default "public") is used.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithMaxConns bounds the connection pool (default: the DSN's pool_max_conns,
// else the greater of 4 and the number of CPUs).
func WithMaxConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxConns = int32(n)
		}
	}
}

// WithClock sets the clock that times the thread events the backend records
// itself (ThreadEvents); the default is the system clock. Tests that drive
// the bridge with a fake clock pass it here too.
func WithClock(c bridge.Clock) Option {
	return func(o *options) {
		if c != nil {
			o.now = c.Now
		}
	}
}

// WithReadOnly(true) opens the database for a command that only reads it
// (shopbridge report): no schema is created, nothing is migrated (a schema
// of another version is refused) and tokens stored in the clear are not
// encrypted, so opening it changes nothing. The key is still checked
// against the tokens sealed in it.
func WithReadOnly(readOnly bool) Option { return func(o *options) { o.readOnly = readOnly } }
