package sqlite

import (
	"encoding/json"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

// dialect is what SQLite does differently from PostgreSQL.
var dialect = sqlstore.Dialect{
	Name:     "sqlite",
	Classify: classify,
	// Incident stores are a JSON array in a TEXT column.
	EncodeStores: func(ids []bridge.StoreID) any { return state.EncodeStores(ids) },
	ScanStores: func() (any, func() ([]bridge.StoreID, error)) {
		var s string
		return &s, func() ([]bridge.StoreID, error) { return state.DecodeStores(s) }
	},
	// A list argument is a JSON array, read back by json_each.
	StringList: func(list []string) any { return encodeStrings(list) },
	InStringList: func(column, placeholder string) string {
		return column + " IN (SELECT value FROM json_each(" + placeholder + "))"
	},
	// Write transactions begin IMMEDIATE on the only write connection: no
	// row locks needed.
	LockRows: "",
	BigInt:   "INTEGER",
	// The process's clock as SQLite reads it, to the millisecond (the same
	// within one statement).
	NowNanos: "CAST(unixepoch('subsec') * 1000000000 AS INTEGER)",
}

// classify maps a uniqueness violation to bridge.ErrConflict and a foreign
// key violation (a row for a conversation without a record) to
// bridge.ErrNotFound. SQLite's message names the constraint, never values.
func classify(err error) (string, error) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return se.Error(), bridge.ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return se.Error(), bridge.ErrNotFound
		}
	}
	return "", nil
}

// encodeStrings is a JSON array of list ("[]" for none).
func encodeStrings(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		// Marshalling a slice of strings cannot fail.
		panic(err)
	}
	return string(b)
}
