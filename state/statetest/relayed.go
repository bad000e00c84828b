package statetest

import (
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var relayedTests = []test{
	{"is_relayed_after_record", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		ok, err := st.IsRelayed(ctx, "shop-a", "c1", "m-1")
		must(t, "IsRelayed", err)
		if ok {
			t.Fatal("IsRelayed = true before the message was recorded")
		}
		must(t, "RecordRelayed", st.RecordRelayed(ctx, relayed(c, "m-1", 1), afterMessage(c, "m-1", 1)))
		ok, err = st.IsRelayed(ctx, "shop-a", "c1", "m-1")
		must(t, "IsRelayed", err)
		if !ok {
			t.Error("IsRelayed = false after RecordRelayed")
		}
	}},
	{"record_updates_the_conversation", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		c1 := afterMessage(c, "m-1", 1)
		must(t, "RecordRelayed(m-1)", st.RecordRelayed(ctx, relayed(c, "m-1", 1), c1))
		c2 := afterMessage(c1, "m-2", 2)
		must(t, "RecordRelayed(m-2)", st.RecordRelayed(ctx, relayed(c, "m-2", 2), c2))
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "Conversation after two relayed messages", got, c2)
	}},
	{"record_with_zero_fields", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		m := bridge.RelayedMessage{Store: "shop-a", Conversation: "c1", ID: "m-own", Sender: bridge.SenderSeller, FromBridge: true}
		must(t, "RecordRelayed(bridge's own reply)", st.RecordRelayed(ctx, m, c))
		ok, err := st.IsRelayed(ctx, "shop-a", "c1", "m-own")
		must(t, "IsRelayed", err)
		if !ok {
			t.Error("IsRelayed = false for the bridge's own recorded reply")
		}
	}},
	{"recorded_once", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		first := afterMessage(c, "m-1", 1)
		must(t, "RecordRelayed", st.RecordRelayed(ctx, relayed(c, "m-1", 1), first))

		second := afterMessage(first, "m-1", 1)
		second.BuyerName = "changed by the duplicate"
		second.Thread = thread(9)
		err := st.RecordRelayed(ctx, relayed(c, "m-1", 1), second)
		wantErr(t, "RecordRelayed of a recorded message", err, errConflict)
		got, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		check(t, "Conversation after the refused duplicate (must be unchanged)", got, first)
		_, err = st.ConversationByThread(ctx, thread(9))
		wantErr(t, "ConversationByThread of the duplicate's thread", err, errNotFound)
	}},
	{"unknown_conversation_is_not_found_and_not_recorded", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c := conversation("shop-a", "c-missing", thread(1))
		err := st.RecordRelayed(ctx, relayed(c, "m-1", 1), c)
		wantErr(t, "RecordRelayed for a conversation without a record", err, errNotFound)
		ok, err := st.IsRelayed(ctx, "shop-a", "c-missing", "m-1")
		must(t, "IsRelayed", err)
		if ok {
			t.Error("IsRelayed = true for a message whose RecordRelayed failed")
		}
	}},
	{"thread_conflict_records_nothing", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		c1 := conversation("shop-a", "c1", thread(1))
		c2 := conversation("shop-a", "c2", thread(2))
		must(t, "CreateConversation(c1)", st.CreateConversation(ctx, c1))
		must(t, "CreateConversation(c2)", st.CreateConversation(ctx, c2))
		bad := afterMessage(c2, "m-1", 1)
		bad.Thread = thread(1)
		err := st.RecordRelayed(ctx, relayed(c2, "m-1", 1), bad)
		wantErr(t, "RecordRelayed moving c2 onto c1's thread", err, errConflict)
		ok, err := st.IsRelayed(ctx, "shop-a", "c2", "m-1")
		must(t, "IsRelayed", err)
		if ok {
			t.Error("the message was recorded although its conversation update failed (not one transaction)")
		}
	}},
	{"ids_are_per_conversation", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		a := conversation("shop-a", "c1", thread(1))
		b := conversation("shop-a", "c2", thread(2))
		other := conversation("shop-b", "c1", thread(3))
		for _, c := range []bridge.ConversationRecord{a, b, other} {
			must(t, "CreateConversation", st.CreateConversation(ctx, c))
		}
		must(t, "RecordRelayed(shop-a/c1/m-1)", st.RecordRelayed(ctx, relayed(a, "m-1", 1), a))
		must(t, "RecordRelayed(shop-a/c2/m-1)", st.RecordRelayed(ctx, relayed(b, "m-1", 1), b))
		must(t, "RecordRelayed(shop-b/c1/m-1)", st.RecordRelayed(ctx, relayed(other, "m-1", 1), other))
		ok, err := st.IsRelayed(ctx, "shop-b", "c2", "m-1")
		must(t, "IsRelayed", err)
		if ok {
			t.Error("IsRelayed(shop-b/c2/m-1) = true; only shop-a/c2 has m-1")
		}
	}},
}
