package statetest

import (
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var reopenTests = []test{
	{"data_survives_close_and_reopen", func(t *testing.T, s *suite) {
		ctx := t.Context()
		name := dbName(t)
		st := s.openNamed(t, name)

		c := conversation("shop-a", "c1", thread(1))
		tokens := bridge.Tokens{AccessToken: "acc", RefreshToken: "ref", AccessExpiresAt: at(3600), UpdatedAt: at(1)}
		must(t, "SetPaused", st.SetPaused(ctx, "shop-a", true))
		must(t, "SaveSyncCursor", st.SaveSyncCursor(ctx, "shop-a", at(7), at(8)))
		must(t, "SaveTokens", st.SaveTokens(ctx, "shop-a", tokens))
		must(t, "CreateConversation", st.CreateConversation(ctx, c))
		c1 := afterMessage(c, "m-1", 1)
		_, err := recordBuyer(ctx, st, c, "m-1", 1)
		must(t, "RecordInbound", err)
		r, err := st.EnqueueReply(ctx, reply("shop-a", "c1", "chat-1", at(20)))
		must(t, "EnqueueReply", err)
		r.Status, r.Attempts, r.UpdatedAt = bridge.ReplySending, 1, at(21)
		must(t, "UpdateReply", st.UpdateReply(ctx, r))
		in := bridge.Incident{Scope: "marketplace", Stores: []bridge.StoreID{"shop-a"}, StartedAt: at(30)}
		in.ID, err = st.OpenIncident(ctx, in)
		must(t, "OpenIncident", err)
		run := bridge.SyncRun{Store: "shop-a", StartedAt: at(40), Duration: 5e6, OK: true, Messages: 1}
		must(t, "RecordSync", st.RecordSync(ctx, run))
		entry := bridge.AuditEntry{At: at(50), Surface: "slack", UserID: "U1", Command: "pause shop-a", OK: true}
		must(t, "RecordAudit", st.RecordAudit(ctx, entry))
		must(t, "SetMeta", st.SetMeta(ctx, "last_start", "2026-03-14"))
		must(t, "Close", st.Close())

		// Twice: re-opening an up-to-date database must change nothing.
		for _, round := range []string{"first reopen", "second reopen"} {
			st = s.openNamed(t, name)
			ss, err := st.StoreState(ctx, "shop-a")
			must(t, round+": StoreState", err)
			check(t, round+": StoreState", ss, bridge.StoreState{Paused: true, Cursor: at(7), LastSyncAt: at(8)})
			tk, err := st.LoadTokens(ctx, "shop-a")
			must(t, round+": LoadTokens", err)
			check(t, round+": tokens", tk, tokens)
			gotC, err := st.ConversationByThread(ctx, thread(1))
			must(t, round+": ConversationByThread", err)
			check(t, round+": conversation", gotC, c1)
			known, err := st.KnownInbound(ctx, "shop-a", "c1", []bridge.MessageID{"m-1"})
			must(t, round+": KnownInbound", err)
			if known["m-1"] != bridge.InboundPosted {
				t.Errorf("%s: KnownInbound(m-1) = %v, want posted", round, known)
			}
			un, err := st.UnfinishedReplies(ctx)
			must(t, round+": UnfinishedReplies", err)
			check(t, round+": unfinished replies", un, []bridge.Reply{r})
			ins, err := st.Incidents(ctx, at(100))
			must(t, round+": Incidents", err)
			check(t, round+": open incidents", ins, []bridge.Incident{in})
			runs, err := st.SyncRuns(ctx, "shop-a", zero)
			must(t, round+": SyncRuns", err)
			check(t, round+": sync runs", runs, []bridge.SyncRun{run})
			au, err := st.Audit(ctx, 5)
			must(t, round+": Audit", err)
			check(t, round+": audit", au, []bridge.AuditEntry{entry})
			v, err := st.Meta(ctx, "last_start")
			must(t, round+": Meta", err)
			check(t, round+": meta", v, "2026-03-14")

			// The uniqueness rules survive too.
			isNew, err := recordBuyer(ctx, st, c, "m-1", 1)
			must(t, round+": RecordInbound of a message recorded before the restart", err)
			if isNew {
				t.Errorf("%s: a message recorded before the restart was recorded again", round)
			}
			_, err = st.EnqueueReply(ctx, reply("shop-a", "c1", "chat-1", at(60)))
			wantErr(t, round+": EnqueueReply for a chat message recorded before the restart", err, errConflict)
			next, err := st.EnqueueReply(ctx, reply("shop-a", "c1", "chat-2-"+round, at(61)))
			must(t, round+": EnqueueReply after reopen", err)
			if next.ID <= r.ID {
				t.Errorf("%s: new reply ID %d is not after the one before the restart (%d)", round, next.ID, r.ID)
			}
			next.Status = bridge.ReplySent
			must(t, round+": UpdateReply after reopen", st.UpdateReply(ctx, next))
			must(t, round+": Close", st.Close())
		}
	}},
	{"names_are_independent", func(t *testing.T, s *suite) {
		ctx := t.Context()
		a := s.openNamed(t, dbName(t)+"_a")
		b := s.openNamed(t, dbName(t)+"_b")
		must(t, "SetMeta(a)", a.SetMeta(ctx, "k", "a"))
		_, err := b.Meta(ctx, "k")
		wantErr(t, "Meta in a database of another name", err, errNotFound)
	}},
}
