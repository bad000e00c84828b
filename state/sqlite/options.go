package sqlite

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
	cipher       Cipher
	logger       *slog.Logger
	busyTimeout  time.Duration
	maxReadConns int
	now          func() time.Time
	acceptEmpty  bool
	noCreate     bool
	readOnly     bool
	exclusive    bool
}

func defaultOptions() options {
	return options{
		logger:       slog.New(slog.DiscardHandler),
		busyTimeout:  5 * time.Second,
		maxReadConns: 4,
		now:          time.Now,
	}
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

// WithBusyTimeout sets how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY (default 5 s). Within one process
// writes are serialised on a single connection and never wait on each other.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.busyTimeout = d
		}
	}
}

// WithMaxReadConns sets the size of the read pool of a file database
// (default 4). Reads run concurrently with the single writer under WAL.
func WithMaxReadConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxReadConns = n
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

// WithAcceptEmpty(true) accepts an empty database (a zero-length file, or a
// SQLite file without any table) as a new one and migrates it; by default
// Open refuses it (state.ErrEmptyDatabase), because a state database that
// became empty would otherwise start over silently: thread tags reused,
// earlier buyer messages posted again. A file that holds other tables is
// refused either way (state.ErrNotShopbridge). A shopbridge database opens
// as usual with or without it.
func WithAcceptEmpty(accept bool) Option { return func(o *options) { o.acceptEmpty = accept } }

// WithCreate(false) refuses a path that does not exist (state.ErrNoDatabase)
// instead of creating a new database there, for commands that only read
// the state. The default creates it.
func WithCreate(create bool) Option { return func(o *options) { o.noCreate = !create } }

// WithReadOnly(true) opens the database for a command that only reads it
// (shopbridge report): it is neither created (as WithCreate(false)) nor
// migrated (a schema of another version is refused), and tokens stored in
// the clear are not encrypted, so opening it changes nothing. The key is
// still checked against the tokens sealed in it.
func WithReadOnly(readOnly bool) Option {
	return func(o *options) {
		o.readOnly = readOnly
		if readOnly {
			o.noCreate = true
		}
	}
}

// WithExclusive(true) holds the database for this DB alone, from Open to
// Close, through an OS lock on a file beside it (path + LockSuffix): a
// second exclusive Open of the file, by another process or this one, is
// refused with one line naming the file (state.ErrInUse), before anything is
// read or written. SQLite is single-replica: the daemon (run, demo) opens
// its database exclusively, so that a second bridge on the same file is
// refused instead of polling every store and posting every message again.
// Opens without it (the default) ignore the lock, so commands that read or
// briefly change the state (report, status, store) run beside the daemon.
// An in-memory database ignores it.
func WithExclusive(exclusive bool) Option { return func(o *options) { o.exclusive = exclusive } }
