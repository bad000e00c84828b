package statetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var concurrencyTests = []test{
	{"writers_and_readers", func(t *testing.T, s *suite) {
		const (
			workers  = 8
			messages = 30
			replies  = 10
			shared   = 20
		)
		st := s.fresh(t)
		ctx := t.Context()
		common := conversation("shop-s", "shared", thread(1000))
		must(t, "CreateConversation(shared)", st.CreateConversation(ctx, common))
		convs := make([]bridge.ConversationRecord, workers)
		for w := range workers {
			convs[w] = conversation("shop-a", bridge.ConversationID(fmt.Sprintf("c%d", w)), thread(w))
			convs[w].Unread = 0
			must(t, "CreateConversation", st.CreateConversation(ctx, convs[w]))
		}

		var (
			wg         sync.WaitGroup
			mu         sync.Mutex
			errs       []error
			sharedWins atomic.Int64
			done       = make(chan struct{})
		)
		fail := func(err error) {
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
		}
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := convs[w]
				for i := range messages {
					id := bridge.MessageID(fmt.Sprintf("m-%d", i))
					if known, err := st.KnownInbound(ctx, c.Store, c.ID, []bridge.MessageID{id}); err != nil || len(known) != 0 {
						fail(fmt.Errorf("worker %d: KnownInbound(%s) = %v, %v; want nothing", w, id, known, err))
						return
					}
					next := afterMessage(c, id, i)
					if isNew, err := recordBuyer(ctx, st, c, id, i); err != nil || !isNew {
						fail(fmt.Errorf("worker %d: RecordInbound(%s) = new %v, %v; want new", w, id, isNew, err))
						return
					}
					c = next
					if i < shared {
						// Every worker races to record the same shared message.
						sid := bridge.MessageID(fmt.Sprintf("s-%d", i))
						isNew, err := recordBuyer(ctx, st, common, sid, i)
						switch {
						case err != nil:
							fail(fmt.Errorf("worker %d: RecordInbound(shared %s): %v", w, sid, err))
							return
						case isNew:
							sharedWins.Add(1)
						}
					}
					if i < replies {
						r, err := st.EnqueueReply(ctx, reply("shop-a", c.ID, fmt.Sprintf("w%d-r%d", w, i), at(i)))
						if err != nil {
							fail(fmt.Errorf("worker %d: EnqueueReply: %w", w, err))
							return
						}
						if i%2 == 0 {
							r.Status, r.SentAt = bridge.ReplySent, at(i+1)
							if err := st.UpdateReply(ctx, r); err != nil {
								fail(fmt.Errorf("worker %d: UpdateReply: %w", w, err))
								return
							}
						}
					}
				}
			}()
		}
		// Readers run alongside the writers.
		var readers sync.WaitGroup
		for range 2 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					if _, err := st.Conversations(ctx, ""); err != nil {
						fail(fmt.Errorf("reader: Conversations: %w", err))
						return
					}
					if _, err := st.UnfinishedReplies(ctx); err != nil {
						fail(fmt.Errorf("reader: UnfinishedReplies: %w", err))
						return
					}
				}
			}()
		}
		wg.Wait()
		close(done)
		readers.Wait()
		for i, err := range errs {
			if i == 5 {
				t.Errorf("… and %d more errors", len(errs)-5)
				break
			}
			t.Error(err)
		}
		if len(errs) > 0 {
			t.FailNow()
		}

		if n := sharedWins.Load(); n != shared {
			t.Errorf("%d workers racing on %d shared messages recorded %d, want each exactly once", workers, shared, n)
		}
		for w := range workers {
			got, err := st.Conversation(ctx, "shop-a", convs[w].ID)
			must(t, "Conversation", err)
			if got.Unread != messages || got.WatermarkID != bridge.MessageID(fmt.Sprintf("m-%d", messages-1)) {
				t.Errorf("conversation %s: Unread=%d WatermarkID=%s, want %d and m-%d",
					got.ID, got.Unread, got.WatermarkID, messages, messages-1)
			}
		}
		for i := range shared {
			known, err := st.KnownInbound(ctx, "shop-s", "shared", []bridge.MessageID{bridge.MessageID(fmt.Sprintf("s-%d", i))})
			must(t, "KnownInbound(shared)", err)
			if len(known) != 1 {
				t.Errorf("shared message s-%d not recorded", i)
			}
		}
		all, err := st.Replies(ctx, "", zero)
		must(t, "Replies", err)
		if len(all) != workers*replies {
			t.Errorf("Replies: %d rows, want %d", len(all), workers*replies)
		}
		un, err := st.UnfinishedReplies(ctx)
		must(t, "UnfinishedReplies", err)
		if len(un) != workers*replies/2 {
			t.Errorf("UnfinishedReplies: %d rows, want %d", len(un), workers*replies/2)
		}
	}},
}
