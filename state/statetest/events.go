package statetest

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

var responseTests = []test{
	{"round_trip_filter_and_order", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		a1 := bridge.ResponseEvent{Store: "shop-a", Conversation: "c1", Reply: 7, AgentID: "U1", AgentName: "Ana — 安娜",
			AwaitingSince: at(10), RespondedAt: at(70)}
		b1 := bridge.ResponseEvent{Store: "shop-b", Conversation: "c2", Reply: 8, AgentID: "U2", AgentName: "Ben",
			AwaitingSince: at(20), RespondedAt: at(50)}
		a2 := bridge.ResponseEvent{Store: "shop-a", Conversation: "c3", AgentID: "U1", AgentName: "Ana — 安娜",
			AwaitingSince: zero, RespondedAt: at(90)}
		for _, r := range []bridge.ResponseEvent{a1, b1, a2} {
			must(t, "RecordResponse", st.RecordResponse(ctx, r))
		}
		got, err := st.Responses(ctx, "", zero)
		must(t, "Responses(all)", err)
		check(t, "every response, by response time", got, []bridge.ResponseEvent{b1, a1, a2})
		got, err = st.Responses(ctx, "shop-a", zero)
		must(t, "Responses(shop-a)", err)
		check(t, "shop-a's responses", got, []bridge.ResponseEvent{a1, a2})
		got, err = st.Responses(ctx, "", at(70))
		must(t, "Responses(since 70)", err)
		check(t, "responses at or after since", got, []bridge.ResponseEvent{a1, a2})
		if w := a1.Waited(); w != time.Minute {
			t.Errorf("Waited = %s, want 1m0s", w)
		}
	}},
	{"one_per_reply", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		r := bridge.ResponseEvent{Store: "shop-a", Conversation: "c1", Reply: 7, AgentID: "U1", AwaitingSince: at(1), RespondedAt: at(2)}
		must(t, "RecordResponse", st.RecordResponse(ctx, r))
		again := r
		again.RespondedAt = at(3)
		must(t, "RecordResponse(same reply again)", st.RecordResponse(ctx, again))
		got, err := st.Responses(ctx, "", zero)
		must(t, "Responses", err)
		check(t, "a reply's second response event is ignored", got, []bridge.ResponseEvent{r})
	}},
}

var restartTests = []test{
	{"round_trip_and_since", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		full := bridge.RestartEvent{At: at(1), Stores: 3}
		resumed := bridge.RestartEvent{At: at(60), Resumed: true, Stores: 3, StoresWithCursor: 2}
		must(t, "RecordRestart", st.RecordRestart(ctx, resumed))
		must(t, "RecordRestart", st.RecordRestart(ctx, full))
		got, err := st.Restarts(ctx, zero)
		must(t, "Restarts", err)
		check(t, "restarts oldest first", got, []bridge.RestartEvent{full, resumed})
		got, err = st.Restarts(ctx, at(60))
		must(t, "Restarts(since 60)", err)
		check(t, "restarts at or after since", got, []bridge.RestartEvent{resumed})
	}},
}

// eventsBetween checks that each event's time lies within [from, to] (the
// backend times them with its clock, the system clock in this suite) and
// returns them with the time zeroed, for comparison.
func eventsBetween(t *testing.T, evs []bridge.ThreadEvent, from, to time.Time) []bridge.ThreadEvent {
	t.Helper()
	out := make([]bridge.ThreadEvent, 0, len(evs))
	for _, e := range evs {
		if e.At.Before(from) || e.At.After(to) {
			t.Errorf("thread event %s of %s/%s at %s, want between %s and %s", e.Kind, e.Store, e.Conversation,
				fmtTime(e.At), fmtTime(from), fmtTime(to))
		}
		if e.At.Location() != time.UTC {
			t.Errorf("thread event time %s is not UTC", e.At)
		}
		e.At = time.Time{}
		out = append(out, e)
	}
	return out
}

var threadEventTests = []test{
	{"opened_replaced_and_unchanged", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		from := time.Now()
		withThread := conversation("shop-a", "c1", thread(1))
		must(t, "CreateConversation(with thread)", st.CreateConversation(ctx, withThread))
		silent := conversation("shop-a", "c2", bridge.ThreadRef{})
		must(t, "CreateConversation(without thread)", st.CreateConversation(ctx, silent))

		// Unchanged thread: no event, whether by UpdateConversation, RecordInbound or SetThread.
		withThread.Unread = 3
		must(t, "UpdateConversation(same thread)", st.UpdateConversation(ctx, withThread))
		_, err := recordBuyer(ctx, st, withThread, "m-1", 1)
		must(t, "RecordInbound(same thread)", err)
		must(t, "SetThread(same thread)", st.SetThread(ctx, "shop-a", "c1", thread(1)))
		// The silent record gets its first thread, then c1 is healed.
		silent.Thread = thread(2)
		must(t, "UpdateConversation(first thread)", st.UpdateConversation(ctx, silent))
		healed := afterMessage(withThread, "m-1", 1)
		healed.Thread = thread(3)
		must(t, "UpdateConversation(new thread)", st.UpdateConversation(ctx, healed))
		// SetThread changing the thread counts as well.
		must(t, "SetThread(new thread)", st.SetThread(ctx, "shop-a", "c1", thread(4)))
		to := time.Now()

		got, err := st.ThreadEvents(ctx, zero)
		must(t, "ThreadEvents", err)
		check(t, "thread events", eventsBetween(t, got, from, to), []bridge.ThreadEvent{
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadOpened, Thread: thread(1)},
			{Store: "shop-a", Conversation: "c2", Kind: bridge.ThreadOpened, Thread: thread(2)},
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadReplaced, Thread: thread(3), Previous: thread(1)},
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadReplaced, Thread: thread(4), Previous: thread(3)},
		})
		got, err = st.ThreadEvents(ctx, to.Add(time.Nanosecond))
		must(t, "ThreadEvents(since after)", err)
		check(t, "no thread events after the last one", got, []bridge.ThreadEvent(nil))
	}},
	{"duplicate_on_refused_create", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		from := time.Now()
		must(t, "CreateConversation", st.CreateConversation(ctx, conversation("shop-a", "c1", thread(1))))
		// Another sync opened a second thread for the same conversation.
		err := st.CreateConversation(ctx, conversation("shop-a", "c1", thread(2)))
		wantErr(t, "CreateConversation(second thread)", err, errConflict)
		// The same thread again, or no thread, is not a second thread.
		wantErr(t, "CreateConversation(same thread)", st.CreateConversation(ctx, conversation("shop-a", "c1", thread(1))), errConflict)
		wantErr(t, "CreateConversation(no thread)", st.CreateConversation(ctx, conversation("shop-a", "c1", bridge.ThreadRef{})), errConflict)
		// A thread that belongs to another conversation is refused, not a duplicate of this one.
		wantErr(t, "CreateConversation(taken thread)", st.CreateConversation(ctx, conversation("shop-a", "c9", thread(1))), errConflict)
		// A failed update (taken thread) records nothing.
		must(t, "CreateConversation(c3)", st.CreateConversation(ctx, conversation("shop-a", "c3", thread(3))))
		wantErr(t, "UpdateConversation(taken thread)", st.UpdateConversation(ctx, conversation("shop-a", "c3", thread(1))), errConflict)
		to := time.Now()
		got, err := st.ThreadEvents(ctx, zero)
		must(t, "ThreadEvents", err)
		check(t, "thread events", eventsBetween(t, got, from, to), []bridge.ThreadEvent{
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadOpened, Thread: thread(1)},
			{Store: "shop-a", Conversation: "c1", Kind: bridge.ThreadDuplicate, Thread: thread(2), Previous: thread(1)},
			{Store: "shop-a", Conversation: "c3", Kind: bridge.ThreadOpened, Thread: thread(3)},
		})
		c, err := st.Conversation(ctx, "shop-a", "c1")
		must(t, "Conversation", err)
		if c.Thread != thread(1) || c.ThreadsReplaced != 0 {
			t.Errorf("after a refused second thread the record has thread %v (replaced %d), want %v (0)", c.Thread, c.ThreadsReplaced, thread(1))
		}
	}},
}
