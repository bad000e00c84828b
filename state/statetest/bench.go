package statetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// BenchPage is the page size of BenchRecordInbound: a conversation's page
// of new messages as a syncer fetches it.
const BenchPage = 50

// benchConversations is how many conversations the benchmark spreads its
// pages over.
const benchConversations = 100

// benchSeq numbers the benchmark's pages across runs of the benchmark
// function on one database, so that every page's messages are new.
var benchSeq atomic.Int64

// BenchRecordInbound measures RecordInbound of pages of BenchPage new buyer
// messages, each with its conversation's new record, spread over 100
// conversations: from one goroutine for parallel <= 1 (a syncer alone),
// else from parallel goroutines per GOMAXPROCS (b.SetParallelism: several
// stores syncing at once). One op is one page; it reports msgs/s.
func BenchRecordInbound(b *testing.B, q bridge.InboundQueue, parallel int) {
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	convs := make([]bridge.ConversationRecord, benchConversations)
	for i := range convs {
		convs[i] = bridge.ConversationRecord{
			Store: "shop-bench", ID: bridge.ConversationID(fmt.Sprintf("c%d", i)),
			BuyerID: "buyer", BuyerName: "Buyer", CreatedAt: base, UpdatedAt: base,
		}
		if _, err := q.RecordInbound(ctx, bridge.InboundBatch{Conversation: convs[i]}); err != nil {
			b.Fatal(err)
		}
	}
	page := func() error {
		n := benchSeq.Add(1)
		c := convs[n%benchConversations]
		batch := bridge.InboundBatch{Messages: make([]bridge.InboundMessage, BenchPage)}
		for i := range batch.Messages {
			id := bridge.MessageID(fmt.Sprintf("m%d-%d", n, i))
			sent := base.Add(time.Duration(n*BenchPage+int64(i)) * time.Millisecond)
			batch.Messages[i] = bridge.InboundMessage{
				Store: c.Store,
				Message: bridge.Message{
					ID: id, Conversation: c.ID, Sender: bridge.SenderBuyer, SenderName: "Buyer",
					Kind: bridge.KindText, Text: "Hello, is this item still available in blue? 🙏", SentAt: sent,
				},
				Status:     bridge.InboundPending,
				RecordedAt: sent,
			}
			c.WatermarkID, c.WatermarkAt, c.LastBuyerAt, c.UpdatedAt = id, sent, sent, sent
		}
		c.Unread += BenchPage
		batch.Conversation = c
		ids, err := q.RecordInbound(ctx, batch)
		if err != nil {
			return err
		}
		if len(ids) != BenchPage {
			return fmt.Errorf("RecordInbound of a page of %d new messages returned %d IDs", BenchPage, len(ids))
		}
		return nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	if parallel <= 1 {
		for b.Loop() {
			if err := page(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(parallel)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := page(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N*BenchPage)/b.Elapsed().Seconds(), "msgs/s")
}
