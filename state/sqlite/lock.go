package sqlite

import (
	"fmt"

	"github.com/gofrs/flock"

	"github.com/shopbridge/shopbridge/state"
)

// LockSuffix names the lock file beside a database file that an exclusive
// Open (WithExclusive) holds: "shopbridge.db" is locked through
// "shopbridge.db.lock". The file is left in place after Close (removing it
// would let two processes lock two different files of one name).
const LockSuffix = ".lock"

// lockExclusive takes the OS lock (flock; LockFileEx on Windows) of the
// database at path without waiting, or refuses: another process — a second
// bridge — holds it. The lock goes with the process: one that dies,
// however, releases it.
func lockExclusive(path string) (*flock.Flock, error) {
	name := path + LockSuffix
	l := flock.New(name, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		// A missing directory, a path that is a directory: say so as Open
		// would, rather than as a lock problem.
		if _, ierr := inspectFile(path); ierr != nil {
			return nil, ierr
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", name, err)
	}
	if !ok {
		return nil, state.Refuse(state.ErrInUse,
			"sqlite: %s is in use by another shopbridge process (it holds %s): SQLite is single-replica; to run several replicas use PostgreSQL (state.backend: postgres)",
			path, name)
	}
	return l, nil
}
