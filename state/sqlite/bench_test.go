package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shopbridge/shopbridge/state/sqlite"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// BenchmarkRecordInbound measures RecordInbound of pages of 50 new messages
// (one transaction each) on a file database (WAL): from one goroutine, and
// from 4 per CPU as several store syncers record at once.
func BenchmarkRecordInbound(b *testing.B) {
	for _, bc := range []struct {
		name     string
		parallel int
	}{{"serial", 1}, {"parallel", 4}} {
		b.Run(bc.name, func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			statetest.BenchRecordInbound(b, db, bc.parallel)
		})
	}
}
