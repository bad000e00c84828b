package statetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Reading the queue (pending messages, the backlog), posting from it
// (MarkPosted, SetThread), and batches recorded at once.

var inboundPostingTests = []test{
	{"pending_in_order_of_time_then_seq", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		other := conversation("shop-a", "c2", bridge.ThreadRef{})
		m10, m20 := msg(c, "m-10", 10), msg(c, "m-20", 20)
		recordOK(t, q, "RecordInbound(first page)", batch(c, m20, m10), "m-20", "m-10")
		// A later page: a message as old as one already recorded (after it by
		// Seq), a newer one, a late older one, and a silent one.
		m20b, m30, m5 := msg(c, "m-20b", 20), msg(c, "m-30", 30), msg(c, "m-5", 5)
		silent := msg(c, "m-1-silent", 1)
		silent.Status = bridge.InboundSilent
		recordOK(t, q, "RecordInbound(second page)", batch(c, m30, m20b, silent, m5), "m-30", "m-20b", "m-1-silent", "m-5")
		recordOK(t, q, "RecordInbound(other conversation)", batch(other, msg(other, "m-0", 0)), "m-0")
		// A push of the late message's neighbour.
		m5b := msg(c, "m-5b", 5)
		recordOK(t, q, "RecordInbound(push)", batch(c, m5b), "m-5b")

		got, err := q.PendingInbound(ctx, "shop-a", "c1", 100)
		must(t, "PendingInbound", err)
		check(t, "pending IDs in posting order", idsOf(got...), []bridge.MessageID{"m-5", "m-5b", "m-10", "m-20", "m-20b", "m-30"})
		for i := 1; i < len(got); i++ {
			if got[i].Message.SentAt.Equal(got[i-1].Message.SentAt) && got[i].Seq <= got[i-1].Seq {
				t.Errorf("%s and %s have the same time but Seq %d ≤ %d", got[i-1].Message.ID, got[i].Message.ID, got[i].Seq, got[i-1].Seq)
			}
		}
	}},
	{"pending_limit", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		recordOK(t, q, "RecordInbound", batch(c, msg(c, "m-1", 1), msg(c, "m-2", 2), msg(c, "m-3", 3), msg(c, "m-4", 4)),
			"m-1", "m-2", "m-3", "m-4")
		cases := []struct {
			limit int
			want  []bridge.MessageID
		}{
			{-1, []bridge.MessageID{}},
			{0, []bridge.MessageID{}},
			{1, []bridge.MessageID{"m-1"}},
			{3, []bridge.MessageID{"m-1", "m-2", "m-3"}},
			{100, []bridge.MessageID{"m-1", "m-2", "m-3", "m-4"}},
		}
		for _, tc := range cases {
			got, err := q.PendingInbound(ctx, "shop-a", "c1", tc.limit)
			must(t, fmt.Sprintf("PendingInbound(limit %d)", tc.limit), err)
			check(t, fmt.Sprintf("PendingInbound(limit %d)", tc.limit), idsOf(got...), tc.want)
		}
	}},
	{"mark_posted_keeps_the_first_record", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		silent := msg(c, "m-4", 4)
		silent.Status = bridge.InboundSilent
		recordOK(t, q, "RecordInbound", batch(c, msg(c, "m-1", 1), msg(c, "m-2", 2), msg(c, "m-3", 3), silent),
			"m-1", "m-2", "m-3", "m-4")
		ref := func(n int) bridge.ChatMessageRef {
			return bridge.ChatMessageRef{Channel: "C-inbox", ID: fmt.Sprintf("post.%d", n)}
		}
		posted := func(id bridge.MessageID, n int) bridge.PostedMessage {
			return bridge.PostedMessage{Store: "shop-a", Conversation: "c1", ID: id, Chat: ref(n), At: at(100 + n)}
		}
		first := []bridge.PostedMessage{posted("m-1", 1), posted("m-2", 2), posted("m-unknown", 9), posted("m-4", 4)}
		must(t, "MarkPosted", q.MarkPosted(ctx, first))
		must(t, "MarkPosted(the same again)", q.MarkPosted(ctx, first))
		must(t, "MarkPosted(m-1 by another post)", q.MarkPosted(ctx, []bridge.PostedMessage{posted("m-1", 7)}))
		must(t, "MarkPosted(nothing)", q.MarkPosted(ctx, nil))

		known, err := q.KnownInbound(ctx, "shop-a", "c1", []bridge.MessageID{"m-1", "m-2", "m-3", "m-4", "m-unknown"})
		must(t, "KnownInbound", err)
		check(t, "statuses after MarkPosted", known, map[bridge.MessageID]bridge.InboundStatus{
			"m-1": bridge.InboundPosted, "m-2": bridge.InboundPosted, "m-3": bridge.InboundPending, "m-4": bridge.InboundSilent,
		})
		got := readInbound(t, q, c, "m-1")
		if got.Chat != ref(1) || !got.PostedAt.Equal(at(101)) || got.Edited {
			t.Errorf("m-1 after MarkPosted twice: Chat %v, PostedAt %s, Edited %v; want the first post %v at %s, not edited",
				got.Chat, fmtTime(got.PostedAt), got.Edited, ref(1), fmtTime(at(101)))
		}
		if got := readInbound(t, q, c, "m-4"); !got.Chat.IsZero() || !got.PostedAt.IsZero() {
			t.Errorf("silent m-4 took a post (%v at %s); MarkPosted must leave it", got.Chat, fmtTime(got.PostedAt))
		}
		pending, err := q.PendingInbound(ctx, "shop-a", "c1", 10)
		must(t, "PendingInbound", err)
		check(t, "pending after MarkPosted", idsOf(pending...), []bridge.MessageID{"m-3"})

		// A recalled posted message is edited; posting it again (its post
		// updated) clears Edited and keeps the first post.
		recall := msg(c, "m-2", 2)
		recall.Message.Recalled = true
		recordOK(t, q, "RecordInbound(recall of m-2)", batch(c, recall), "m-2")
		if got := readInbound(t, q, c, "m-2"); !got.Edited {
			t.Fatal("m-2 recalled after it was posted is not Edited")
		}
		must(t, "MarkPosted(edited m-2)", q.MarkPosted(ctx, []bridge.PostedMessage{posted("m-2", 8)}))
		got = readInbound(t, q, c, "m-2")
		if got.Edited || got.Status != bridge.InboundPosted || got.Chat != ref(2) || !got.PostedAt.Equal(at(102)) {
			t.Errorf("edited m-2 after MarkPosted: Edited %v, status %s, Chat %v, PostedAt %s; want not edited, posted, %v at %s",
				got.Edited, got.Status, got.Chat, fmtTime(got.PostedAt), ref(2), fmtTime(at(102)))
		}
	}},
	{"backlog_per_conversation", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		backlog, err := q.InboundBacklog(ctx)
		must(t, "InboundBacklog(empty queue)", err)
		check(t, "backlog of an empty queue", backlog, []bridge.ConversationBacklog(nil))

		a := conversation("shop-a", "c1", bridge.ThreadRef{})
		b := conversation("shop-b", "c1", bridge.ThreadRef{})
		quiet := conversation("shop-a", "c-silent", bridge.ThreadRef{})
		done := conversation("shop-a", "c-done", bridge.ThreadRef{})
		a1, a2 := msg(a, "m-1", 10), msg(a, "m-2", 12) // recorded at 11 and 13
		recordOK(t, q, "RecordInbound(a)", batch(a, a2, a1), "m-2", "m-1")
		must(t, "SetThread(a)", q.SetThread(ctx, "shop-a", "c1", thread(1)))
		recordOK(t, q, "RecordInbound(b)", batch(b, msg(b, "m-1", 4)), "m-1") // recorded at 5
		s1 := msg(quiet, "m-1", 1)
		s1.Status = bridge.InboundSilent
		recordOK(t, q, "RecordInbound(silent)", batch(quiet, s1), "m-1")
		recordOK(t, q, "RecordInbound(done)", batch(done, msg(done, "m-1", 1)), "m-1")
		must(t, "MarkPosted(done)", q.MarkPosted(ctx, []bridge.PostedMessage{{Store: "shop-a", Conversation: "c-done", ID: "m-1",
			Chat: bridge.ChatMessageRef{Channel: "C", ID: "p"}, At: at(3)}}))

		backlog, err = q.InboundBacklog(ctx)
		must(t, "InboundBacklog", err)
		check(t, "backlog, longest waiting first", backlog, []bridge.ConversationBacklog{
			{Store: "shop-b", Conversation: "c1", Pending: 1, Oldest: at(5)},
			{Store: "shop-a", Conversation: "c1", Thread: thread(1), Pending: 2, Oldest: at(11)},
		})
		must(t, "MarkPosted(a's oldest)", q.MarkPosted(ctx, []bridge.PostedMessage{{Store: "shop-a", Conversation: "c1", ID: "m-1",
			Chat: bridge.ChatMessageRef{Channel: "C", ID: "p1"}, At: at(20)}}))
		backlog, err = q.InboundBacklog(ctx)
		must(t, "InboundBacklog", err)
		check(t, "backlog after a's oldest was posted", backlog, []bridge.ConversationBacklog{
			{Store: "shop-b", Conversation: "c1", Pending: 1, Oldest: at(5)},
			{Store: "shop-a", Conversation: "c1", Thread: thread(1), Pending: 1, Oldest: at(13)},
		})
	}},
	{"record_never_changes_the_thread", func(t *testing.T, s *suite) {
		st, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		recordOK(t, q, "RecordInbound(new conversation)", batch(c, msg(c, "m-1", 1)), "m-1")
		must(t, "SetThread", q.SetThread(ctx, "shop-a", "c1", thread(1)))
		must(t, "SetThread(re-map)", q.SetThread(ctx, "shop-a", "c1", thread(2)))

		// A syncer that read the record before SetThread writes its copy.
		stale := afterMessage(c, "m-2", 2)
		stale.BuyerName, stale.Link = "Renamed buyer", "https://seller.example.com/chat/moved"
		stale.ThreadsReplaced, stale.CreatedAt = 7, at(99)
		for i, th := range []bridge.ThreadRef{{}, thread(9)} {
			stale.Thread = th
			id := bridge.MessageID(fmt.Sprintf("m-%d", i+2))
			recordOK(t, q, fmt.Sprintf("RecordInbound(record with thread %v)", th), batch(stale, msg(stale, id, i+2)), id)
		}
		want := stale
		want.Thread, want.ThreadsReplaced, want.CreatedAt = thread(2), 1, c.CreatedAt
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "conversation after RecordInbound of a stale record (thread, ThreadsReplaced, CreatedAt kept)", got, want)
		_, err = st.ConversationByThread(ctx, thread(9))
		wantErr(t, "ConversationByThread(thread of the stale record)", err, errNotFound)
	}},
	{"record_creates_a_conversation_with_its_thread", func(t *testing.T, s *suite) {
		st, q := s.freshQueue(t)
		ctx := t.Context()
		from := time.Now()
		c := conversation("shop-a", "c1", thread(3))
		recordOK(t, q, "RecordInbound(no messages)", batch(c))
		got, err := st.ConversationByThread(ctx, thread(3))
		must(t, "ConversationByThread", err)
		check(t, "conversation created with a thread", got, c)
		evs, err := st.ThreadEvents(ctx, zero)
		must(t, "ThreadEvents", err)
		check(t, "thread events", eventsBetween(t, evs, from, time.Now()),
			[]bridge.ThreadEvent{{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadOpened, Thread: thread(3)}})
	}},
	{"concurrent_overlapping_batches_insert_each_message_once", func(t *testing.T, s *suite) {
		const (
			workers  = 6
			messages = 60
		)
		_, q := s.freshQueue(t)
		ctx := t.Context()
		convs := []bridge.ConversationRecord{
			conversation("shop-a", "c1", bridge.ThreadRef{}),
			conversation("shop-a", "c2", bridge.ThreadRef{}),
		}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			count = map[string]int{}
			errs  []error
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each worker walks every message of one conversation from
				// its own offset, in pages of its own size: pages overlap
				// with other workers' pages in every way.
				c := convs[w%len(convs)]
				page, offset := 5+w, (w*13)%messages
				for start := 0; start < messages; start += page {
					var msgs []bridge.InboundMessage
					for i := start; i < min(start+page, messages); i++ {
						n := (offset + i) % messages
						msgs = append(msgs, msg(c, bridge.MessageID(fmt.Sprintf("m-%02d", n)), n))
					}
					ids, err := q.RecordInbound(ctx, batch(c, msgs...))
					mu.Lock()
					if err != nil {
						errs = append(errs, fmt.Errorf("worker %d: RecordInbound: %w", w, err))
					}
					for _, id := range ids {
						count[string(c.ID)+"/"+string(id)]++
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i == 5 {
				t.Errorf("… and %d more errors", len(errs)-5)
				break
			}
			t.Error(err)
		}
		for _, c := range convs {
			var want []bridge.MessageID
			for n := range messages {
				id := bridge.MessageID(fmt.Sprintf("m-%02d", n))
				want = append(want, id)
				if k := count[string(c.ID)+"/"+string(id)]; k != 1 {
					t.Errorf("%s/%s was returned as inserted %d times, want exactly once", c.ID, id, k)
				}
			}
			got, err := q.PendingInbound(ctx, c.Store, c.ID, 2*messages)
			must(t, "PendingInbound", err)
			check(t, "pending messages of "+string(c.ID), idsOf(got...), want)
		}
	}},
}

var setThreadTests = []test{
	{"opened_replaced_and_unchanged", func(t *testing.T, s *suite) {
		st, q := s.freshQueue(t)
		ctx := t.Context()
		from := time.Now()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		recordOK(t, q, "RecordInbound", batch(c, msg(c, "m-1", 1)), "m-1")
		must(t, "SetThread(first)", q.SetThread(ctx, "shop-a", "c1", thread(1)))
		must(t, "SetThread(same again)", q.SetThread(ctx, "shop-a", "c1", thread(1)))
		want := c
		want.Thread = thread(1)
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "conversation after SetThread (only the thread changed)", got, want)

		must(t, "SetThread(re-map)", q.SetThread(ctx, "shop-a", "c1", thread(2)))
		want.Thread, want.ThreadsReplaced = thread(2), 1
		got, err = st.ConversationByThread(ctx, thread(2))
		must(t, "ConversationByThread(new thread)", err)
		check(t, "conversation after the re-map", got, want)
		_, err = st.ConversationByThread(ctx, thread(1))
		wantErr(t, "ConversationByThread(old thread)", err, errNotFound)

		evs, err := st.ThreadEvents(ctx, zero)
		must(t, "ThreadEvents", err)
		check(t, "thread events (none for the same thread again)", eventsBetween(t, evs, from, time.Now()), []bridge.ThreadEvent{
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadOpened, Thread: thread(1)},
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadReplaced, Thread: thread(2), Previous: thread(1)},
		})
	}},
	{"refusals_change_nothing", func(t *testing.T, s *suite) {
		cases := []struct {
			name   string
			conv   bridge.ConversationID
			thread bridge.ThreadRef
			kind   error // nil: any error
		}{
			{"unknown_conversation", "c-missing", thread(5), errNotFound},
			{"thread_of_another_conversation", "c2", thread(1), errConflict},
			{"empty_thread", "c2", bridge.ThreadRef{}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st, q := s.freshQueue(t)
				ctx := t.Context()
				c1 := conversation("shop-a", "c1", thread(1))
				c2 := conversation("shop-a", "c2", thread(2))
				must(t, "CreateConversation(c1)", st.CreateConversation(ctx, c1))
				must(t, "CreateConversation(c2)", st.CreateConversation(ctx, c2))
				before, err := st.ThreadEvents(ctx, zero)
				must(t, "ThreadEvents", err)

				err = q.SetThread(ctx, "shop-a", tc.conv, tc.thread)
				if err == nil {
					t.Fatalf("SetThread(%s, %v): no error", tc.conv, tc.thread)
				}
				if tc.kind != nil {
					wantErr(t, "SetThread", err, tc.kind)
				}
				all, err := st.Conversations(ctx, "shop-a")
				must(t, "Conversations", err)
				check(t, "conversations after the refused SetThread", all, []bridge.ConversationRecord{c1, c2})
				after, err := st.ThreadEvents(ctx, zero)
				must(t, "ThreadEvents", err)
				check(t, "thread events after the refused SetThread (none added)", after, before)
			})
		}
	}},
}
