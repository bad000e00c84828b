package statetest

import (
	"fmt"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var replyTests = []test{
	{"enqueue_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		r := reply("shop-a", "c1", "1700000001.000100", at(1))
		r.ID = 999 // ignored
		got, err := st.EnqueueReply(ctx, r)
		must(t, "EnqueueReply", err)
		if got.ID == 0 || got.ID == 999 {
			t.Fatalf("EnqueueReply returned ID %d, want a new non-zero ID", got.ID)
		}
		want := r
		want.ID = got.ID
		check(t, "EnqueueReply's result", got, want)
		read, err := st.Reply(ctx, got.ID)
		must(t, "Reply", err)
		check(t, "Reply", read, want)
		read, err = st.ReplyByChatMessage(ctx, r.ChatMessage)
		must(t, "ReplyByChatMessage", err)
		check(t, "ReplyByChatMessage", read, want)
	}},
	{"ids_are_distinct", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		seen := map[bridge.ReplyID]bool{}
		for i := range 5 {
			r, err := st.EnqueueReply(ctx, reply("shop-a", "c1", fmt.Sprintf("m%d", i), at(i)))
			must(t, "EnqueueReply", err)
			if seen[r.ID] {
				t.Fatalf("EnqueueReply #%d returned ID %d twice", i, r.ID)
			}
			seen[r.ID] = true
		}
	}},
	{"empty_status_is_queued", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		r := reply("shop-a", "c1", "m1", at(1))
		r.Status = ""
		got, err := st.EnqueueReply(t.Context(), r)
		must(t, "EnqueueReply", err)
		if got.Status != bridge.ReplyQueued {
			t.Errorf("Status = %q, want %q", got.Status, bridge.ReplyQueued)
		}
		read, err := st.Reply(t.Context(), got.ID)
		must(t, "Reply", err)
		if read.Status != bridge.ReplyQueued {
			t.Errorf("stored Status = %q, want %q", read.Status, bridge.ReplyQueued)
		}
	}},
	{"one_row_per_chat_message", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		first, err := st.EnqueueReply(ctx, reply("shop-a", "c1", "m1", at(1)))
		must(t, "EnqueueReply", err)
		dup := reply("shop-a", "c1", "m1", at(2))
		dup.Text = "edited text"
		_, err = st.EnqueueReply(ctx, dup)
		wantErr(t, "EnqueueReply for a chat message that has a row", err, errConflict)
		all, err := st.Replies(ctx, "", zero)
		must(t, "Replies", err)
		check(t, "outbox after the refused duplicate", all, []bridge.Reply{first})

		other := reply("shop-a", "c1", "m1", at(3))
		other.ChatMessage.Channel = "C-other"
		_, err = st.EnqueueReply(ctx, other)
		must(t, "EnqueueReply with the same message ID in another channel", err)
	}},
	{"missing_is_not_found", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		_, err := st.Reply(ctx, 12345)
		wantErr(t, "Reply of an unknown ID", err, errNotFound)
		_, err = st.ReplyByChatMessage(ctx, bridge.ChatMessageRef{Channel: "C", ID: "nope"})
		wantErr(t, "ReplyByChatMessage of an unknown message", err, errNotFound)
		_, err = st.ReplyByChatMessage(ctx, bridge.ChatMessageRef{})
		wantErr(t, "ReplyByChatMessage of the zero reference", err, errNotFound)
		r := reply("shop-a", "c1", "m1", at(1))
		r.ID = 12345
		wantErr(t, "UpdateReply of an unknown ID", st.UpdateReply(ctx, r), errNotFound)
	}},
	{"update_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		r, err := st.EnqueueReply(ctx, reply("shop-a", "c1", "m1", at(1)))
		must(t, "EnqueueReply", err)
		enqueued := r

		r.Status, r.Attempts, r.Reason, r.UpdatedAt, r.NextAttemptAt = bridge.ReplySending, 1, "timeout", at(2), at(32)
		r.AttemptStartedAt, r.AttemptDeadline = at(2), at(22)
		must(t, "UpdateReply(sending)", st.UpdateReply(ctx, r))
		got, err := st.Reply(ctx, r.ID)
		must(t, "Reply", err)
		check(t, "Reply after UpdateReply(sending)", got, r)

		r.Status, r.Attempts, r.Reason = bridge.ReplySent, 2, ""
		r.MarketplaceMessageID, r.SentAt, r.UpdatedAt, r.NextAttemptAt = "mm-77", at(40), at(40), zero
		must(t, "UpdateReply(sent)", st.UpdateReply(ctx, r))
		got, err = st.Reply(ctx, r.ID)
		must(t, "Reply", err)
		check(t, "Reply after UpdateReply(sent)", got, r)

		changed := r
		changed.Text, changed.Store, changed.AuthorName, changed.CreatedAt = "rewritten", "shop-z", "Mallory", at(99)
		must(t, "UpdateReply(with other fields changed)", st.UpdateReply(ctx, changed))
		got, err = st.Reply(ctx, r.ID)
		must(t, "Reply", err)
		check(t, "fields UpdateReply must not touch", []any{got.Text, got.Store, got.AuthorName, got.CreatedAt},
			[]any{enqueued.Text, enqueued.Store, enqueued.AuthorName, enqueued.CreatedAt})
	}},
	{"unfinished_are_queued_and_sending_oldest_first", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		type row struct {
			chat    string
			created int
			status  bridge.ReplyStatus
		}
		rows := []row{
			{"r-sent", 1, bridge.ReplySent},
			{"r-queued-late", 50, bridge.ReplyQueued},
			{"r-sending", 10, bridge.ReplySending},
			{"r-failed", 5, bridge.ReplyFailed},
			{"r-queued-early", 2, bridge.ReplyQueued},
			{"r-queued-mid", 20, bridge.ReplyQueued},
		}
		byChat := map[string]bridge.Reply{}
		for _, r := range rows {
			got, err := st.EnqueueReply(ctx, reply("shop-a", "c1", r.chat, at(r.created)))
			must(t, "EnqueueReply", err)
			got.Status = r.status
			must(t, "UpdateReply", st.UpdateReply(ctx, got))
			byChat[r.chat] = got
		}
		got, err := st.UnfinishedReplies(ctx)
		must(t, "UnfinishedReplies", err)
		want := []bridge.Reply{byChat["r-queued-early"], byChat["r-sending"], byChat["r-queued-mid"], byChat["r-queued-late"]}
		check(t, "UnfinishedReplies", got, want)
	}},
	{"unfinished_same_time_in_enqueue_order", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		var want []bridge.Reply
		for i := range 4 {
			r, err := st.EnqueueReply(ctx, reply("shop-a", "c1", fmt.Sprintf("m%d", i), at(1)))
			must(t, "EnqueueReply", err)
			want = append(want, r)
		}
		got, err := st.UnfinishedReplies(ctx)
		must(t, "UnfinishedReplies", err)
		check(t, "UnfinishedReplies created at the same time", got, want)
	}},
	{"since_and_store_filters", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		enqueue := func(store bridge.StoreID, chat string, created int) bridge.Reply {
			r, err := st.EnqueueReply(ctx, reply(store, "c1", chat, at(created)))
			must(t, "EnqueueReply", err)
			return r
		}
		a1 := enqueue("shop-a", "a1", 1)
		b5 := enqueue("shop-b", "b5", 5)
		a10 := enqueue("shop-a", "a10", 10)
		a20 := enqueue("shop-a", "a20", 20)
		cases := []struct {
			name  string
			store bridge.StoreID
			since int
			want  []bridge.Reply
		}{
			{"all stores from the start", "", 0, []bridge.Reply{a1, b5, a10, a20}},
			{"all stores since 5 (inclusive)", "", 5, []bridge.Reply{b5, a10, a20}},
			{"shop-a since 2", "shop-a", 2, []bridge.Reply{a10, a20}},
			{"shop-b since 6", "shop-b", 6, nil},
			{"after everything", "", 21, nil},
		}
		for _, tc := range cases {
			got, err := st.Replies(ctx, tc.store, at(tc.since))
			must(t, "Replies "+tc.name, err)
			check(t, "Replies "+tc.name, got, tc.want)
		}
		got, err := st.Replies(ctx, "shop-a", zero)
		must(t, "Replies(shop-a, zero)", err)
		check(t, "Replies(shop-a, zero time)", got, []bridge.Reply{a1, a10, a20})
	}},
}
