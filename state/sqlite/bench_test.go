package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/sqlite"
	"github.com/shopbridge/shopbridge/state/statetest"
)

const benchConversations = 100

func benchDB(b *testing.B) (*sqlite.DB, []bridge.ConversationRecord) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	convs := make([]bridge.ConversationRecord, benchConversations)
	for i := range convs {
		convs[i] = bridge.ConversationRecord{
			Store: "shop-bench", ID: bridge.ConversationID(fmt.Sprintf("c%d", i)),
			BuyerID: "buyer", BuyerName: "Buyer", Thread: bridge.ThreadRef{Channel: "C1", ID: fmt.Sprintf("t%d", i)},
			CreatedAt: t0, UpdatedAt: t0,
		}
		if err := db.CreateConversation(ctx, convs[i]); err != nil {
			b.Fatal(err)
		}
	}
	return db, convs
}

// relayOne is the state cost of relaying one message: the engine checks the
// message, then records it with the conversation's new watermark.
func relayOne(ctx context.Context, db *sqlite.DB, c bridge.ConversationRecord, n int64) error {
	id := bridge.MessageID(fmt.Sprintf("m%d", n))
	ok, err := db.IsRelayed(ctx, c.Store, c.ID, id)
	if err != nil || ok {
		return fmt.Errorf("IsRelayed(%s) = %v, %v", id, ok, err)
	}
	now := time.Unix(0, 1_700_000_000_000_000_000+n).UTC()
	c.WatermarkID, c.WatermarkAt, c.LastBuyerAt, c.UpdatedAt = id, now, now, now
	c.Unread++
	m := bridge.RelayedMessage{
		Store: c.Store, Conversation: c.ID, ID: id, Sender: bridge.SenderBuyer, SentAt: now,
		ChatMessage: bridge.ChatMessageRef{Channel: "C1", ID: string(id)}, RelayedAt: now,
	}
	return db.RecordRelayed(ctx, m, c)
}

// BenchmarkRecordRelayed measures IsRelayed + RecordRelayed (one transaction)
// per message on a file database, from one goroutine.
func BenchmarkRecordRelayed(b *testing.B) {
	db, convs := benchDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := relayOne(ctx, db, convs[i%len(convs)], int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkRecordRelayedParallel is the same with GOMAXPROCS goroutines (times
// -cpu), as several store syncers relay at once.
func BenchmarkRecordRelayedParallel(b *testing.B) {
	db, convs := benchDB(b)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			if err := relayOne(ctx, db, convs[n%int64(len(convs))], n); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

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
