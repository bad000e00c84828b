package statetest

import (
	"context"
	"fmt"
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

// inboundTests record into the queue (inboundRecordTests) and read and
// post from it (inboundPostingTests, inbound_posting.go).
var inboundTests = append(inboundRecordTests, inboundPostingTests...)

var inboundRecordTests = []test{
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
	{"translation_auto_reply_and_safety_note_come_back_from_every_read", func(t *testing.T, s *suite) {
		// What the surfaces show beside a message (a Lazada cross-border
		// translation, the auto-reply mark, the safety check's note) is what
		// the poster reads back from the queue: each read keeps it.
		_, q := s.freshQueue(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		translated := msg(c, "m-translated", 1)
		translated.Message.Text, translated.Message.Translation = "有货吗？🙏", "Is it in stock? 🙏\nSize M — 'quoted'"
		autoReply := msg(c, "m-auto-reply", 2)
		autoReply.Message.Sender, autoReply.Message.SenderName = bridge.SenderSeller, ""
		autoReply.Message.Text, autoReply.Message.AutoReply = "We reply within 24h", true
		blocked := msg(c, "m-blocked", 3)
		blocked.Message.Text = "call me on +60 12-345 6789"
		blocked.Message.Translation = "hubungi saya di +60 12-345 6789"
		blocked.Message.SafetyNote = "This message was not sent: contact details are not allowed."
		all := []bridge.InboundMessage{translated, autoReply, blocked}
		recordOK(t, q, "RecordInbound", batch(c, all...), idsOf(all...)...)

		pending, err := q.PendingInbound(ctx, "shop-a", "c1", 10)
		must(t, "PendingInbound", err)
		check(t, "PendingInbound", pending, withSeqs(t, "PendingInbound", pending, all))
		rows, err := q.InboundMessages(ctx, "shop-a", "c1", idsOf(all...))
		must(t, "InboundMessages", err)
		check(t, "InboundMessages", rows, withSeqs(t, "InboundMessages", rows, all))

		post := bridge.ChatMessageRef{Channel: "C-inbox", ID: "post.1"}
		var posted []bridge.PostedMessage
		want := withSeqs(t, "InboundMessages", rows, all)
		for i, m := range all {
			posted = append(posted, bridge.PostedMessage{Store: "shop-a", Conversation: "c1", ID: m.Message.ID, Chat: post, At: at(10)})
			want[i].Status, want[i].Chat, want[i].PostedAt = bridge.InboundPosted, post, at(10)
		}
		must(t, "MarkPosted", q.MarkPosted(ctx, posted))
		inPost, err := q.InboundByChat(ctx, "shop-a", "c1", post)
		must(t, "InboundByChat", err)
		check(t, "InboundByChat after MarkPosted", inPost, want)
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
				orig.Message.Translation, orig.Message.AutoReply, orig.Message.SafetyNote = "translated", true, "blocked"
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
				// The recall's content replaces the original's, the
				// translation of its text with it; the auto-reply mark and
				// the safety note, which say how it was sent, stay.
				want.Message.Recalled, want.Message.Text, want.Message.Translation = true, "This message was recalled", ""
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
}
