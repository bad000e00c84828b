package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

// What Open finds at a database path before it connects.
type fileKind int

const (
	fileMissing fileKind = iota // nothing there: a new database
	fileEmpty                   // a zero-length file (and no write-ahead log)
	fileSQLite                  // a SQLite file, or a zero-length one with a write-ahead log
)

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// inspectFile looks at path without changing anything: its directory must
// exist (it is never created: a typo'd path must not become a new, empty
// database), and what is there must be a SQLite file, an empty file or
// nothing.
func inspectFile(path string) (fileKind, error) {
	dir := filepath.Dir(path)
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return 0, state.Refuse(state.ErrNoDirectory, "sqlite: the directory %s of the state database does not exist", dir)
	case err != nil:
		return 0, fmt.Errorf("sqlite: the directory of the state database: %w", err)
	case !fi.IsDir():
		return 0, state.Refuse(state.ErrNoDirectory, "sqlite: %s, the directory of the state database, is not a directory", dir)
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
			// Opened as a new database, that log would be replayed into it.
			return 0, state.Refuse(state.ErrNoDatabase,
				"sqlite: %s does not exist but its write-ahead log %s-wal does (the database was deleted or moved without it): put the database back, or remove %s-wal and %s-shm to start a new one",
				path, path, path, path)
		}
		return fileMissing, nil
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, state.Refuse(state.ErrNoDatabase, "sqlite: %s is a symbolic link to a file that does not exist", path)
	case err != nil:
		return 0, fmt.Errorf("sqlite: %w", err)
	case fi.IsDir():
		return 0, state.Refuse(state.ErrNotDatabase, "sqlite: %s is a directory, not a state database file", path)
	case !fi.Mode().IsRegular():
		return 0, state.Refuse(state.ErrNotDatabase, "sqlite: %s is not a regular file", path)
	case fi.Size() == 0:
		// A database created in WAL mode that crashed before its first
		// checkpoint may have its pages only in the log: SQLite reads them.
		if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
			return fileSQLite, nil
		}
		return fileEmpty, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, fmt.Errorf("sqlite: read %s: %w", path, err)
	}
	if !bytes.Equal(head, sqliteHeader) {
		return 0, notSQLite(path)
	}
	return fileSQLite, nil
}

func notSQLite(path string) error {
	return state.Refuse(state.ErrNotDatabase, "sqlite: %s is not a SQLite database (damaged, or another kind of file)", path)
}

// refuseDamaged turns SQLite's "not a database" and "malformed" into the
// refusal notSQLite; any other error is returned as it is.
func refuseDamaged(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return notSQLite(path)
		}
	}
	return err
}

// checkSchema decides, on the writer before anything is written, whether the
// database is shopbridge's: it has the migrations table. One without any
// table is empty (refused unless acceptEmpty: a new install says so); one
// with other tables is refused either way.
func (db *DB) checkSchema(ctx context.Context) error {
	var ours, others int
	err := db.w.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(type = 'table' AND name = 'schema_migrations'), 0),
			COALESCE(SUM(name <> 'schema_migrations'), 0)
		FROM sqlite_master WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&ours, &others)
	if err != nil {
		return refuseDamaged(db.path, fmt.Errorf("sqlite: open %s: read its schema: %w", db.path, err))
	}
	switch {
	case ours > 0:
		return nil
	case others > 0:
		return state.Refuse(state.ErrNotShopbridge, "sqlite: %s is not a shopbridge state database (it holds other tables)", db.path)
	case !db.opts.acceptEmpty:
		return state.Refuse(state.ErrEmptyDatabase, "sqlite: %s is an empty SQLite database, not a shopbridge state database", db.path)
	}
	return nil
}

// creatingPrefix starts the temporary name under which a new database is
// built, beside the final one: ".shopbridge.db.creating-123456".
func creatingPrefix(path string) string { return "." + filepath.Base(path) + ".creating-" }

// leftoverAge is how old a temporary database of another start must be
// before create removes it as a crash's leftover (building one takes
// milliseconds; a younger one may be another process's, at work).
const leftoverAge = time.Minute

// create makes a new database at path so that a crash at any moment leaves
// either nothing at path or a complete, migrated database, never a
// zero-length or schema-less file that the next start would refuse: the
// database is built and migrated under a temporary name in the same
// directory (with a rollback journal, so no -wal or -shm file is left beside
// the temporary name; the file is 0600, it will hold tokens), synced, then
// hard-linked into place, which fails rather than replace a database that
// another process created meanwhile (then that one is used). Where the file
// system has no hard links, it is renamed into place instead.
func create(ctx context.Context, path string, o options) (err error) {
	dir := filepath.Dir(path)
	removeLeftovers(dir, creatingPrefix(path), o.logger)
	f, err := os.CreateTemp(dir, creatingPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	tmp := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	defer func() {
		os.Remove(tmp)
		os.Remove(tmp + "-journal")
	}()

	createHook("created", tmp)
	o.acceptEmpty = true
	db := &DB{opts: o, path: tmp, creating: true}
	db.store = sqlstore.New((*conn)(db), dialect, sqlstore.Options{Cipher: o.cipher, Logger: o.logger, Now: o.now})
	err = db.open(ctx)
	if err == nil {
		err = sqlstore.Migrate(ctx, db.store, migrationFiles, "path", path)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	createHook("migrated", tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first; Open checks what is there.
			return nil
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("sqlite: create %s: %w", path, err)
		}
	}
	syncDir(dir, o.logger)
	return nil
}

// createHook is called at each stage of create; tests set it to simulate a
// crash there.
var createHook = func(stage, tmp string) {}

// removeLeftovers removes the temporary databases of starts that crashed
// while creating one (older than leftoverAge), with their journals.
func removeLeftovers(dir, prefix string, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < leftoverAge {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err == nil {
			log.Info("removed the leftover of an interrupted database creation", "path", p)
		}
	}
}

// syncDir makes a new directory entry durable where the file system can. A
// failure only weakens durability across a power loss (the database may be
// created again at the next start), so it is logged, not returned.
func syncDir(dir string, log *slog.Logger) {
	d, err := os.Open(dir)
	if err == nil {
		err = d.Sync()
		d.Close()
	}
	if err != nil {
		log.Warn("could not sync the directory of the new state database", "dir", dir, "err", err)
	}
}
