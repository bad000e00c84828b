package statetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// queue is the inbound queue as the suite reads it: bridge.InboundQueue and
// InboundMessages, which both backends provide so that rows that are no
// longer pending (a posted message's chat message, an Edited mark) can be
// checked.
type queue interface {
	bridge.InboundQueue
	// InboundMessages returns the rows held for ids, in Seq order.
	InboundMessages(ctx context.Context, store bridge.StoreID, conv bridge.ConversationID, ids []bridge.MessageID) ([]bridge.InboundMessage, error)
}

// inboundQueue is st's inbound queue; the test fails without one.
func inboundQueue(t *testing.T, st bridge.State) queue {
	t.Helper()
	if ct, ok := st.(*closeTracker); ok {
		st = ct.State
	}
	q, ok := st.(queue)
	if !ok {
		t.Fatalf("%T does not implement bridge.InboundQueue and InboundMessages", st)
	}
	return q
}

// freshQueue opens an empty database for this test and its inbound queue.
func (s *suite) freshQueue(t *testing.T) (bridge.State, queue) {
	t.Helper()
	st := s.fresh(t)
	return st, inboundQueue(t, st)
}

// msg is a pending buyer text message of c, sent at at(n) and recorded at
// at(n+1).
func msg(c bridge.ConversationRecord, id bridge.MessageID, n int) bridge.InboundMessage {
	return bridge.InboundMessage{
		Store: c.Store,
		Message: bridge.Message{
			ID: id, Conversation: c.ID, Sender: bridge.SenderBuyer, SenderName: "Buyer — 買家",
			Kind: bridge.KindText, Text: fmt.Sprintf("%s: still in stock? 🙏", id), SentAt: at(n),
		},
		Status:     bridge.InboundPending,
		RecordedAt: at(n + 1),
	}
}

func batch(c bridge.ConversationRecord, msgs ...bridge.InboundMessage) bridge.InboundBatch {
	return bridge.InboundBatch{Conversation: c, Messages: msgs}
}

func idsOf(msgs ...bridge.InboundMessage) []bridge.MessageID {
	out := make([]bridge.MessageID, len(msgs))
	for i, m := range msgs {
		out[i] = m.Message.ID
	}
	return out
}

// readInbound returns the row of one message, failing the test without one.
func readInbound(t *testing.T, q queue, c bridge.ConversationRecord, id bridge.MessageID) bridge.InboundMessage {
	t.Helper()
	got, err := q.InboundMessages(t.Context(), c.Store, c.ID, []bridge.MessageID{id})
	must(t, "InboundMessages("+string(id)+")", err)
	if len(got) != 1 {
		t.Fatalf("InboundMessages(%s) returned %d rows, want 1", id, len(got))
	}
	return got[0]
}

// withSeqs copies the backend-assigned Seq of got into want (same length),
// after checking that it grows along got, so that check compares the rest.
func withSeqs(t *testing.T, what string, got, want []bridge.InboundMessage) []bridge.InboundMessage {
	t.Helper()
	if len(got) != len(want) {
		return want
	}
	out := make([]bridge.InboundMessage, len(want))
	copy(out, want)
	for i := range got {
		if got[i].Seq <= 0 {
			t.Errorf("%s: %s has Seq %d, want > 0", what, got[i].Message.ID, got[i].Seq)
		}
		out[i].Seq = got[i].Seq
	}
	return out
}

// recordOK records a batch and checks the IDs it returns.
func recordOK(t *testing.T, q queue, what string, b bridge.InboundBatch, want ...bridge.MessageID) {
	t.Helper()
	ids, err := q.RecordInbound(t.Context(), b)
	must(t, what, err)
	if want == nil {
		want = []bridge.MessageID{}
	}
	if ids == nil {
		ids = []bridge.MessageID{}
	}
	check(t, what+": IDs inserted or changed", ids, want)
}

var inboundTests = []test{
	{"round_trip_every_field", func(t *testing.T, s *suite) {
		st, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})

		text := msg(c, "m-text", 1)
		image := msg(c, "m-image", 2)
		image.Message.Kind, image.Message.Text, image.Message.URL = bridge.KindImage, "", "https://cdn.example.com/a.jpg?x=1&y=2"
		image.Resumed = true
		item := msg(c, "m-item", 3)
		item.Message.Kind, item.Message.Text = bridge.KindItem, ""
		item.Message.Card = &bridge.Card{ItemID: "i-1", OrderID: "o-2", Voucher: "v-3", Title: "Blue mug 藍色",
			Price: "RM 12.90", ImageURL: "https://cdn.example.com/m.jpg", Link: "https://shop.example.com/i/1"}
		voucher := msg(c, "m-voucher", 4)
		voucher.Message.Kind, voucher.Message.Card = bridge.KindVoucher, &bridge.Card{}
		unsupported := msg(c, "m-unsupported", 5)
		unsupported.Message.Kind, unsupported.Message.Text, unsupported.Message.UnsupportedType = bridge.KindUnsupported, "", "live_card_v2"
		recalled := msg(c, "m-recalled", 6)
		recalled.Message.Recalled = true
		silent := msg(c, "m-silent", 7)
		silent.Message.Sender, silent.Status = bridge.SenderSeller, bridge.InboundSilent
		own := msg(c, "m-own", 8)
		own.Message.Sender, own.Status = bridge.SenderSeller, bridge.InboundOwn
		own.Chat, own.PostedAt = bridge.ChatMessageRef{Channel: "C-inbox", ID: "agent.1"}, at(9)
		system := msg(c, "m-system", 9)
		system.Message.Sender, system.Message.SenderName, system.Message.SentAt = bridge.SenderSystem, "", zero
		all := []bridge.InboundMessage{text, image, item, voucher, unsupported, recalled, silent, own, system}

		recordOK(t, q, "RecordInbound", batch(c, all...), idsOf(all...)...)
		gotC, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "conversation created by RecordInbound", gotC, c)

		rows, err := q.InboundMessages(ctx, "shop-a", "c1", idsOf(all...))
		must(t, "InboundMessages", err)
		check(t, "every message read back, in recorded order", rows, withSeqs(t, "InboundMessages", rows, all))

		pending, err := q.PendingInbound(ctx, "shop-a", "c1", 100)
		must(t, "PendingInbound", err)
		wantPending := []bridge.InboundMessage{system, text, image, item, voucher, unsupported, recalled}
		check(t, "pending messages (zero time first)", pending, withSeqs(t, "PendingInbound", pending, wantPending))

		known, err := q.KnownInbound(ctx, "shop-a", "c1", []bridge.MessageID{"m-text", "m-silent", "m-own", "m-unknown"})
		must(t, "KnownInbound", err)
		check(t, "KnownInbound", known, map[bridge.MessageID]bridge.InboundStatus{
			"m-text": bridge.InboundPending, "m-silent": bridge.InboundSilent, "m-own": bridge.InboundOwn,
		})
		known, err = q.KnownInbound(ctx, "shop-a", "c1", nil)
		must(t, "KnownInbound(no IDs)", err)
		if len(known) != 0 {
			t.Errorf("KnownInbound(no IDs) = %v, want empty", known)
		}
		known, err = q.KnownInbound(ctx, "shop-b", "c1", []bridge.MessageID{"m-text"})
		must(t, "KnownInbound(other store)", err)
		if len(known) != 0 {
			t.Errorf("KnownInbound of another store's conversation = %v, want empty", known)
		}
	}},
	{"defaults_status_pending_and_times_by_the_backend_clock", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		m := msg(c, "m-1", 1)
		m.Status, m.RecordedAt = "", zero
		from := time.Now()
		recordOK(t, q, "RecordInbound", batch(c, m), "m-1")
		must(t, "MarkPosted", q.MarkPosted(ctx, []bridge.PostedMessage{{Store: "shop-a", Conversation: "c1", ID: "m-1",
			Chat: bridge.ChatMessageRef{Channel: "C", ID: "p1"}}}))
		to := time.Now()
		got := readInbound(t, q, c, "m-1")
		if got.Status != bridge.InboundPosted {
			t.Errorf("status after MarkPosted of a message recorded with an empty status = %q, want posted", got.Status)
		}
		for name, tm := range map[string]time.Time{"RecordedAt": got.RecordedAt, "PostedAt": got.PostedAt} {
			if tm.Before(from) || tm.After(to) || tm.Location() != time.UTC {
				t.Errorf("%s left zero = %s, want the backend clock's time (UTC, between %s and %s)",
					name, fmtTime(tm), fmtTime(from), fmtTime(to))
			}
		}
	}},
	{"a_large_batch_keeps_its_order", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		// More messages than one statement carries, with numeric IDs as
		// marketplaces hand them out, all sent at the same time: Seq alone
		// orders them, so it must follow the batch.
		var first, second []bridge.InboundMessage
		for i := range 130 {
			m := msg(c, bridge.MessageID(fmt.Sprintf("%d", 1700000000000000000+int64(i)*7)), 1)
			if i < 100 {
				first = append(first, m)
			}
			if i >= 60 {
				second = append(second, m)
			}
		}
		recordOK(t, q, "RecordInbound(100 messages)", batch(c, first...), idsOf(first...)...)
		recordOK(t, q, "RecordInbound(70 messages, 30 of them new)", batch(c, second...), idsOf(second[40:]...)...)
		all := append(append([]bridge.InboundMessage(nil), first...), second[40:]...)
		got, err := q.PendingInbound(ctx, "shop-a", "c1", 1000)
		must(t, "PendingInbound", err)
		check(t, "pending messages of two large batches", idsOf(got...), idsOf(all...))
		known, err := q.KnownInbound(ctx, "shop-a", "c1", append(idsOf(all...), "1700000000000000001"))
		must(t, "KnownInbound", err)
		if len(known) != len(all) {
			t.Errorf("KnownInbound of %d held IDs and one unknown returned %d", len(all), len(known))
		}
	}},
	{"a_refused_batch_stores_nothing", func(t *testing.T, s *suite) {
		cases := []struct {
			name   string
			break_ func(b *bridge.InboundBatch)
			kind   error // nil: any error
		}{
			{"message_of_another_conversation", func(b *bridge.InboundBatch) { b.Messages[1].Message.Conversation = "c9" }, nil},
			{"message_of_another_store", func(b *bridge.InboundBatch) { b.Messages[1].Store = "shop-b" }, nil},
			{"message_without_id", func(b *bridge.InboundBatch) { b.Messages[2].Message.ID = "" }, nil},
			{"unknown_status", func(b *bridge.InboundBatch) { b.Messages[1].Status = "archived" }, nil},
			{"conversation_without_id", func(b *bridge.InboundBatch) {
				b.Conversation.ID = ""
				for i := range b.Messages {
					b.Messages[i].Message.Conversation = ""
				}
			}, nil},
			// Refused by the database half-way through the transaction.
			{"new_conversation_on_a_taken_thread", func(b *bridge.InboundBatch) { b.Conversation.Thread = thread(1) }, errConflict},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st, q := s.freshQueue(t)
				ctx := t.Context()
				from := time.Now()
				must(t, "CreateConversation(owner of thread 1)", st.CreateConversation(ctx, conversation("shop-a", "c-owner", thread(1))))
				c := conversation("shop-a", "c1", bridge.ThreadRef{})
				b := batch(c, msg(c, "m-1", 1), msg(c, "m-2", 2), msg(c, "m-3", 3))
				tc.break_(&b)
				ids, err := q.RecordInbound(ctx, b)
				if err == nil {
					t.Fatalf("RecordInbound of a batch with a %s: no error (IDs %v)", tc.name, ids)
				}
				if tc.kind != nil {
					wantErr(t, "RecordInbound", err, tc.kind)
				}
				if ids != nil {
					t.Errorf("refused RecordInbound returned IDs %v", ids)
				}
				_, err = st.Conversation(ctx, "shop-a", "c1")
				wantErr(t, "Conversation of a refused batch's new conversation (must not be created)", err, errNotFound)
				known, err := q.KnownInbound(ctx, "shop-a", "c1", []bridge.MessageID{"m-1", "m-2", "m-3"})
				must(t, "KnownInbound", err)
				if len(known) != 0 {
					t.Errorf("refused batch stored messages %v", known)
				}
				evs, err := st.ThreadEvents(ctx, zero)
				must(t, "ThreadEvents", err)
				check(t, "thread events (the refused batch records none)", eventsBetween(t, evs, from, time.Now()),
					[]bridge.ThreadEvent{{Store: "shop-a", Conversation: "c-owner", Kind: bridge.ThreadOpened, Thread: thread(1)}})
			})
		}
	}},
	{"a_refused_batch_leaves_an_existing_conversation_as_it_was", func(t *testing.T, s *suite) {
		st, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		recordOK(t, q, "RecordInbound", batch(c, msg(c, "m-1", 1)), "m-1")
		next := afterMessage(c, "m-2", 2)
		bad := batch(next, msg(next, "m-2", 2), msg(next, "m-3", 3))
		bad.Messages[1].Message.Conversation = "c2"
		if _, err := q.RecordInbound(ctx, bad); err == nil {
			t.Fatal("RecordInbound with a message of another conversation: no error")
		}
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "conversation after the refused batch (unchanged)", got, c)
		known, err := q.KnownInbound(ctx, "shop-a", "c1", []bridge.MessageID{"m-2"})
		must(t, "KnownInbound", err)
		if len(known) != 0 {
			t.Errorf("the refused batch's valid message was stored: %v", known)
		}
	}},
	{"a_repeat_is_a_no_op", func(t *testing.T, s *suite) {
		st, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		first := []bridge.InboundMessage{msg(c, "m-1", 1), msg(c, "m-2", 2)}
		recordOK(t, q, "RecordInbound", batch(c, first...), "m-1", "m-2")
		before, err := q.InboundMessages(ctx, "shop-a", "c1", idsOf(first...))
		must(t, "InboundMessages", err)

		recordOK(t, q, "RecordInbound(same batch again)", batch(c, first...))
		changed := []bridge.InboundMessage{msg(c, "m-1", 50), msg(c, "m-2", 51)}
		changed[0].Message.Text, changed[0].Status, changed[0].Resumed = "edited text", bridge.InboundSilent, true
		changed[1].Chat, changed[1].Status = bridge.ChatMessageRef{Channel: "C", ID: "x"}, bridge.InboundPosted
		next := afterMessage(c, "m-2", 2)
		recordOK(t, q, "RecordInbound(same IDs, other content, not recalled)", batch(next, changed...))

		after, err := q.InboundMessages(ctx, "shop-a", "c1", idsOf(first...))
		must(t, "InboundMessages", err)
		check(t, "messages after the repeats (unchanged, same Seq)", after, before)
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "conversation after a repeat (the record is still updated)", got, next)
	}},
	{"a_message_twice_in_one_batch_is_recorded_once", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		m1, m1again := msg(c, "m-1", 1), msg(c, "m-1", 1)
		m1again.Message.Text = "second copy"
		m2, m2recalled := msg(c, "m-2", 2), msg(c, "m-2", 2)
		m2recalled.Message.Recalled, m2recalled.Message.Text = true, ""
		recordOK(t, q, "RecordInbound", batch(c, m1, m2, m1again, m2recalled), "m-1", "m-2")
		for _, want := range []bridge.InboundMessage{m1, m2recalled} {
			got := readInbound(t, q, c, want.Message.ID)
			want.Seq = got.Seq
			check(t, string(want.Message.ID)+" (the first copy, or the recalled one)", got, want)
		}
	}},
	{"a_recall_updates_the_message", func(t *testing.T, s *suite) {
		cases := []struct {
			name       string
			status     bridge.InboundStatus
			post       bool // MarkPosted before the recall
			wantEdited bool
		}{
			{"pending_stays_pending_recalled", bridge.InboundPending, false, false},
			{"posted_is_edited", bridge.InboundPending, true, true},
			{"silent_is_not_edited", bridge.InboundSilent, false, false},
			{"own_is_not_edited", bridge.InboundOwn, false, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, q := s.freshQueue(t)
				ctx := t.Context()
				c := conversation("shop-a", "c1", bridge.ThreadRef{})
				orig := msg(c, "m-1", 1)
				orig.Status = tc.status
				recordOK(t, q, "RecordInbound", batch(c, orig), "m-1")
				want := readInbound(t, q, c, "m-1")
				if tc.post {
					ref := bridge.ChatMessageRef{Channel: "C-inbox", ID: "post.1"}
					must(t, "MarkPosted", q.MarkPosted(ctx, []bridge.PostedMessage{{Store: "shop-a", Conversation: "c1", ID: "m-1", Chat: ref, At: at(20)}}))
					want.Status, want.Chat, want.PostedAt = bridge.InboundPosted, ref, at(20)
				}

				recall := msg(c, "m-1", 1)
				recall.Message.Recalled, recall.Message.Kind, recall.Message.Text = true, bridge.KindText, "This message was recalled"
				recall.Status, recall.RecordedAt, recall.Message.SenderName = bridge.InboundPending, at(30), "ignored"
				fresh := msg(c, "m-2", 2)
				recordOK(t, q, "RecordInbound(recall and a new message)", batch(c, recall, fresh), "m-1", "m-2")
				want.Message.Recalled, want.Message.Text = true, "This message was recalled"
				want.Edited = tc.wantEdited
				check(t, "recalled message", readInbound(t, q, c, "m-1"), want)

				recordOK(t, q, "RecordInbound(the recall again)", batch(c, recall))
				recordOK(t, q, "RecordInbound(the original again)", batch(c, orig))
				check(t, "recalled message after repeats (unchanged)", readInbound(t, q, c, "m-1"), want)

				pending, err := q.PendingInbound(ctx, "shop-a", "c1", 10)
				must(t, "PendingInbound", err)
				wantIDs := []bridge.MessageID{"m-2"}
				if want.Status == bridge.InboundPending {
					wantIDs = []bridge.MessageID{"m-1", "m-2"}
				}
				check(t, "pending IDs", idsOf(pending...), wantIDs)
			})
		}
	}},
	{"an_edited_post_is_found_updated_and_cleared", func(t *testing.T, s *suite) {
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		recordOK(t, q, "RecordInbound", batch(c, msg(c, "m-1", 1), msg(c, "m-2", 2), msg(c, "m-3", 3)), "m-1", "m-2", "m-3")
		// m-1 and m-2 went out combined in one post, m-3 in another.
		post1 := bridge.ChatMessageRef{Channel: "C-inbox", ID: "post.1"}
		post2 := bridge.ChatMessageRef{Channel: "C-inbox", ID: "post.2"}
		must(t, "MarkPosted", q.MarkPosted(ctx, []bridge.PostedMessage{
			{Store: "shop-a", Conversation: "c1", ID: "m-1", Chat: post1, At: at(10)},
			{Store: "shop-a", Conversation: "c1", ID: "m-2", Chat: post1, At: at(10)},
			{Store: "shop-a", Conversation: "c1", ID: "m-3", Chat: post2, At: at(11)},
		}))
		backlog, err := q.InboundBacklog(ctx)
		must(t, "InboundBacklog", err)
		check(t, "backlog with everything posted", backlog, []bridge.ConversationBacklog(nil))

		recall := msg(c, "m-2", 2)
		recall.Message.Recalled = true
		recordOK(t, q, "RecordInbound(recall of m-2)", batch(c, recall), "m-2")
		edited, err := q.EditedInbound(ctx, "shop-a", "c1", 10)
		must(t, "EditedInbound", err)
		check(t, "edited messages", idsOf(edited...), []bridge.MessageID{"m-2"})
		backlog, err = q.InboundBacklog(ctx)
		must(t, "InboundBacklog", err)
		if len(backlog) != 1 || backlog[0].Pending != 1 || backlog[0].Thread != thread(1) {
			t.Fatalf("backlog with an edited post: %+v, want the conversation with 1", backlog)
		}
		inPost, err := q.InboundByChat(ctx, "shop-a", "c1", post1)
		must(t, "InboundByChat", err)
		check(t, "messages of post 1", idsOf(inPost...), []bridge.MessageID{"m-1", "m-2"})
		if !inPost[1].Message.Recalled || inPost[0].Message.Recalled {
			t.Errorf("post 1 rows: recalled %v and %v, want only m-2", inPost[0].Message.Recalled, inPost[1].Message.Recalled)
		}
		// The post was updated: MarkPosted clears the mark and keeps the post.
		must(t, "MarkPosted(updated)", q.MarkPosted(ctx, []bridge.PostedMessage{{Store: "shop-a", Conversation: "c1", ID: "m-2", Chat: post2, At: at(30)}}))
		edited, err = q.EditedInbound(ctx, "shop-a", "c1", 10)
		must(t, "EditedInbound after the update", err)
		check(t, "edited after the update", len(edited), 0)
		if got := readInbound(t, q, c, "m-2"); got.Chat != post1 || !got.PostedAt.Equal(at(10)) {
			t.Errorf("m-2 after the update: chat %v at %v, want its first post %v at %v", got.Chat, got.PostedAt, post1, at(10))
		}
	}},
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
