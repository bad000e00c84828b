package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/state/postgres"
	"github.com/shopbridge/shopbridge/state/statetest"
)

// BenchmarkRecordInbound measures RecordInbound of pages of 50 new messages
// (one transaction each): from one goroutine, and from 4 per CPU as several
// store syncers (and replicas) record at once, which lets PostgreSQL commit
// several transactions with one WAL flush.
func BenchmarkRecordInbound(b *testing.B) {
	dsn := testDSNB(b)
	for _, bc := range []struct {
		name     string
		parallel int
	}{{"serial", 1}, {"parallel", 4}} {
		b.Run(bc.name, func(b *testing.B) {
			s := &schemas{dsn: dsn, run: fmt.Sprintf("b%d", time.Now().UnixNano()%1e9), names: map[string]string{}}
			db, err := postgres.Open(context.Background(), dsn, postgres.WithSchema(s.schema("bench_inbound")))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				db.Close()
				s.dropAllB(b)
			})
			statetest.BenchRecordInbound(b, db, bc.parallel)
		})
	}
}
