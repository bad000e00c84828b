package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/internal/sqlstore"
)

// SQLSTATE codes the backend classifies.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// migrationLock is the first key of the advisory lock that serialises
// replicas migrating the same schema at once ("shop").
const migrationLock = 0x73686f70

// dialect is what PostgreSQL does differently from SQLite.
var dialect = sqlstore.Dialect{
	Name:     "postgres",
	Classify: classify,
	// Incident stores are a text[] (never NULL).
	EncodeStores: func(ids []bridge.StoreID) any {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = string(id)
		}
		return out
	},
	ScanStores: func() (any, func() ([]bridge.StoreID, error)) {
		var s []string
		return &s, func() ([]bridge.StoreID, error) {
			var ids []bridge.StoreID
			for _, id := range s {
				ids = append(ids, bridge.StoreID(id))
			}
			return ids, nil
		}
	},
	// A list argument is a text[] (never NULL).
	StringList: func(list []string) any {
		if list == nil {
			return []string{}
		}
		return list
	},
	InStringList:  func(column, placeholder string) string { return column + " = ANY(" + placeholder + ")" },
	LockRows:      " FOR UPDATE",
	BigInt:        "BIGINT",
	MigrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d, hashtext(current_schema()))", migrationLock),
	// The server's clock (the statement's transaction start), to the
	// microsecond: one clock for every replica.
	NowNanos: "(EXTRACT(EPOCH FROM now()) * 1000000000)::BIGINT",
}

// classify maps a uniqueness violation to bridge.ErrConflict and a foreign
// key violation (a row for a conversation without a record) to
// bridge.ErrNotFound. PostgreSQL's message names the constraint; the
// detail, which holds key values, is left out.
func classify(err error) (string, error) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return pe.Message, bridge.ErrConflict
		case codeForeignKeyViolation:
			return pe.Message, bridge.ErrNotFound
		}
	}
	return "", nil
}
