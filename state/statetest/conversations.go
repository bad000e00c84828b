package statetest

import (
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var conversationTests = []test{
	{"missing_is_not_found", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		_, err := st.Conversation(ctx, "shop-a", "c1")
		wantErr(t, "Conversation of an unknown conversation", err, errNotFound)
		_, err = st.ConversationByThread(ctx, thread(1))
		wantErr(t, "ConversationByThread of an unknown thread", err, errNotFound)
		err = st.UpdateConversation(ctx, conversation("shop-a", "c1", thread(1)))
		wantErr(t, "UpdateConversation of an unknown conversation", err, errNotFound)
		list, err := st.Conversations(ctx, "")
		must(t, "Conversations of an empty database", err)
		check(t, "Conversations of an empty database", list, []bridge.ConversationRecord(nil))
	}},
	{"round_trip_all_fields", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		c.ThreadsReplaced = 2
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "Conversation", got, c)
		got, err = st.ConversationByThread(ctx, thread(1))
		must(t, "ConversationByThread", err)
		check(t, "ConversationByThread", got, c)
	}},
	{"round_trip_zero_times_and_empty_fields", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := bridge.ConversationRecord{Store: "shop-a", ID: "c1", Thread: thread(1)}
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "Conversation with zero times", got, c)
		for name, tm := range map[string]any{
			"WatermarkAt": got.WatermarkAt, "LastBuyerAt": got.LastBuyerAt, "LastSellerAt": got.LastSellerAt,
			"AwaitingSince": got.AwaitingSince, "CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt,
		} {
			if tm != zero {
				t.Errorf("%s = %v, want exactly time.Time{} (IsZero and ==)", name, tm)
			}
		}
	}},
	{"times_come_back_utc", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		c.CreatedAt = t0.In(fixedZone)
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		if !got.CreatedAt.Equal(t0) || got.CreatedAt.Location() != utc {
			t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, t0)
		}
	}},
	{"one_thread_per_conversation", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		again := conversation("shop-a", "c1", thread(2))
		again.BuyerName = "someone else"
		wantErr(t, "CreateConversation of a conversation that has a thread", st.CreateConversation(ctx, again), errConflict)
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "Conversation after the refused create", got, c)
		_, err = st.ConversationByThread(ctx, thread(2))
		wantErr(t, "ConversationByThread of the refused thread", err, errNotFound)
	}},
	{"one_conversation_per_thread", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c1 := conversation("shop-a", "c1", thread(1))
		c2 := conversation("shop-a", "c2", thread(2))
		must(t, "CreateConversation(c1)", st.CreateConversation(ctx, c1))
		must(t, "CreateConversation(c2)", st.CreateConversation(ctx, c2))

		c3 := conversation("shop-b", "c3", thread(1))
		wantErr(t, "CreateConversation with another conversation's thread", st.CreateConversation(ctx, c3), errConflict)
		_, err := st.Conversation(ctx, "shop-b", "c3")
		wantErr(t, "Conversation refused for its thread", err, errNotFound)

		moved := c2
		moved.Thread = thread(1)
		wantErr(t, "UpdateConversation onto another conversation's thread", st.UpdateConversation(ctx, moved), errConflict)
		got, err := st.Conversation(ctx, "shop-a", "c2")
		must(t, "Conversation(c2)", err)
		check(t, "c2 after the refused update", got, c2)
		got, err = st.ConversationByThread(ctx, thread(1))
		must(t, "ConversationByThread(thread 1)", err)
		check(t, "owner of thread 1", got, c1)
	}},
	{"same_id_in_two_stores", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		a := conversation("shop-a", "c1", thread(1))
		b := conversation("shop-b", "c1", thread(2))
		b.BuyerName = "other buyer"
		must(t, "CreateConversation(shop-a/c1)", st.CreateConversation(ctx, a))
		must(t, "CreateConversation(shop-b/c1)", st.CreateConversation(ctx, b))
		got, err := st.Conversation(ctx, "shop-b", "c1")
		must(t, "Conversation(shop-b/c1)", err)
		check(t, "shop-b/c1", got, b)
	}},
	{"conversations_without_thread_do_not_conflict", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		must(t, "CreateConversation(c1 without thread)", st.CreateConversation(ctx, conversation("shop-a", "c1", bridge.ThreadRef{})))
		must(t, "CreateConversation(c2 without thread)", st.CreateConversation(ctx, conversation("shop-a", "c2", bridge.ThreadRef{})))
		_, err := st.ConversationByThread(ctx, bridge.ThreadRef{})
		wantErr(t, "ConversationByThread of the zero thread", err, errNotFound)
	}},
	{"update_round_trip_all_fields", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		u := c
		u.BuyerID, u.BuyerName, u.Link = "b2", "New Name", "https://seller.example.com/x"
		u.WatermarkID, u.WatermarkAt = "m-9", at(900)
		u.LastBuyerAt, u.LastSellerAt, u.AwaitingSince = at(900), at(901), zero
		u.Unread = 0
		u.CreatedAt, u.UpdatedAt = at(2), at(902)
		must(t, "UpdateConversation", st.UpdateConversation(ctx, u))
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "Conversation after update", got, u)
	}},
	{"update_with_new_thread_counts_a_replacement", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))

		same := c
		same.ThreadsReplaced = 7 // the caller's count is not what counts
		same.Unread = 3
		must(t, "UpdateConversation(same thread)", st.UpdateConversation(ctx, same))
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		if got.ThreadsReplaced != 0 {
			t.Errorf("ThreadsReplaced after an update keeping the thread = %d, want 0", got.ThreadsReplaced)
		}

		healed := same
		healed.Thread = thread(2)
		healed.ThreadsReplaced = 0
		must(t, "UpdateConversation(new thread)", st.UpdateConversation(ctx, healed))
		got, err = st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		want := healed
		want.ThreadsReplaced = 1
		check(t, "Conversation after the thread was replaced", got, want)

		_, err = st.ConversationByThread(ctx, thread(1))
		wantErr(t, "ConversationByThread(old thread)", err, errNotFound)
		got, err = st.ConversationByThread(ctx, thread(2))
		must(t, "ConversationByThread(new thread)", err)
		check(t, "ConversationByThread(new thread)", got, want)

		again := want
		again.Thread = thread(3)
		must(t, "UpdateConversation(third thread)", st.UpdateConversation(ctx, again))
		got, err = st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		if got.ThreadsReplaced != 2 {
			t.Errorf("ThreadsReplaced after two replacements = %d, want 2", got.ThreadsReplaced)
		}
	}},
	{"first_thread_of_a_threadless_record_is_not_a_replacement", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", bridge.ThreadRef{})
		must(t, "CreateConversation(without thread)", st.CreateConversation(ctx, c))
		c.Thread = thread(1)
		must(t, "UpdateConversation(first thread)", st.UpdateConversation(ctx, c))
		got, err := st.ConversationByThread(ctx, thread(1))
		must(t, "ConversationByThread", err)
		check(t, "Conversation given its first thread", got, c)
	}},
	{"list_by_store_and_all", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		b2 := conversation("shop-b", "c2", thread(4))
		a2 := conversation("shop-a", "c2", thread(2))
		a1 := conversation("shop-a", "c1", thread(1))
		b1 := conversation("shop-b", "c1", thread(3))
		for _, c := range []bridge.ConversationRecord{b2, a2, a1, b1} {
			must(t, "CreateConversation", st.CreateConversation(ctx, c))
		}
		got, err := st.Conversations(ctx, "shop-a")
		must(t, "Conversations(shop-a)", err)
		check(t, "Conversations(shop-a)", got, []bridge.ConversationRecord{a1, a2})
		got, err = st.Conversations(ctx, "")
		must(t, "Conversations(all)", err)
		check(t, "Conversations(all stores)", got, []bridge.ConversationRecord{a1, a2, b1, b2})
		got, err = st.Conversations(ctx, "shop-none")
		must(t, "Conversations(unknown store)", err)
		check(t, "Conversations(unknown store)", got, []bridge.ConversationRecord(nil))
	}},
}
