package statetest

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

// LegacyOpener creates the backend's database called name as an older
// release left it: with only the migrations up to version applied. The
// upgrade tests write its tables with Exec, close it, and open name with
// the Opener, which migrates it to the current schema.
type LegacyOpener func(t *testing.T, name string, version int) LegacyDB

// LegacyDB is a database at an older schema version.
type LegacyDB interface {
	// Exec runs one statement ($n placeholders).
	Exec(ctx context.Context, query string, args ...any) error
	Close() error
}

// WithLegacy runs the upgrade tests, which build databases of older
// releases with open. Without it they are skipped (an in-memory database
// cannot be closed and opened again).
func WithLegacy(open LegacyOpener) Option { return func(s *suite) { s.legacy = open } }

// MigrationsUpTo is the migrations of dir in fsys (NNNN_*.sql) up to version,
// under the same names: what an older release embedded. Backends build their
// LegacyOpener with it.
func MigrationsUpTo(fsys fs.FS, dir string, version int) (fs.FS, error) {
	all, err := state.Migrations(fsys, dir)
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, m := range all {
		if m.Version <= version {
			out[dir+"/"+m.Name] = &fstest.MapFile{Data: []byte(m.SQL), Mode: 0o444}
		}
	}
	return out, nil
}

// legacy opens this test's database at version, or skips the test.
func (s *suite) legacyDB(t *testing.T, version int) LegacyDB {
	t.Helper()
	if s.legacy == nil {
		t.Skip("the backend gave no LegacyOpener (statetest.WithLegacy): upgrade tests skipped")
	}
	db := s.legacy(t, dbName(t), version)
	if db == nil {
		t.Fatalf("LegacyOpener returned nil for version %d", version)
	}
	return db
}

var upgradeTests = []test{
	{"v2_relayed_messages_become_known_inbound_messages", func(t *testing.T, s *suite) {
		ctx := t.Context()
		legacy := s.legacyDB(t, 2)
		exec := func(what, query string, args ...any) {
			t.Helper()
			if err := legacy.Exec(ctx, query, args...); err != nil {
				t.Fatalf("version 2 database: %s: %v", what, err)
			}
		}
		c1 := conversation("shop-a", "c1", thread(1))
		c2 := conversation("shop-b", "c2", bridge.ThreadRef{})
		c1.SellerStreak, c2.SellerStreak = 0, 0 // a version 2 database has no such column
		for _, c := range []bridge.ConversationRecord{c1, c2} {
			exec("insert conversation "+string(c.ID),
				`INSERT INTO conversations (store, id, buyer_id, buyer_name, link, thread_channel, thread_id,
				   threads_replaced, watermark_id, watermark_at, last_buyer_at, last_seller_at, awaiting_since,
				   unread, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
				string(c.Store), string(c.ID), c.BuyerID, c.BuyerName, c.Link, c.Thread.Channel, c.Thread.ID,
				c.ThreadsReplaced, string(c.WatermarkID), state.UnixNano(c.WatermarkAt), state.UnixNano(c.LastBuyerAt),
				state.UnixNano(c.LastSellerAt), state.UnixNano(c.AwaitingSince), c.Unread,
				state.UnixNano(c.CreatedAt), state.UnixNano(c.UpdatedAt))
		}
		chat := func(n int) bridge.ChatMessageRef {
			return bridge.ChatMessageRef{Channel: "C-inbox", ID: fmt.Sprintf("1700000000.%06d", 100+n)}
		}
		// Relayed rows as release 2 wrote them, inserted out of time order:
		// the queue takes them over in the order they were relayed.
		rows := []struct {
			conv       bridge.ConversationRecord
			id         bridge.MessageID
			sender     bridge.Sender
			chat       bridge.ChatMessageRef
			relayedAt  int
			fromBridge bool
			want       bridge.InboundStatus
		}{
			{c1, "m-posted", bridge.SenderBuyer, chat(1), 30, false, bridge.InboundPosted},
			{c1, "m-own", bridge.SenderSeller, chat(2), 10, true, bridge.InboundOwn},
			{c1, "m-silent", bridge.SenderSeller, bridge.ChatMessageRef{}, 20, false, bridge.InboundSilent},
			{c2, "m-history", bridge.SenderBuyer, bridge.ChatMessageRef{}, 5, false, bridge.InboundSilent},
		}
		for _, r := range rows {
			exec("insert relayed message "+string(r.id),
				`INSERT INTO relayed_messages (store, conversation, message_id, sender, sent_at, chat_channel,
				   chat_id, relayed_at, from_bridge)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				string(r.conv.Store), string(r.conv.ID), string(r.id), string(r.sender), state.UnixNano(at(r.relayedAt-1)),
				r.chat.Channel, r.chat.ID, state.UnixNano(at(r.relayedAt)), r.fromBridge)
		}
		must(t, "close the version 2 database", legacy.Close())

		st := s.fresh(t)
		q := inboundQueue(t, st)
		for _, c := range []bridge.ConversationRecord{c1, c2} {
			got, err := st.Conversation(ctx, c.Store, c.ID)
			must(t, "Conversation after the upgrade", err)
			check(t, "conversation "+string(c.ID)+" after the upgrade", got, c)
		}
		var prevSeq int64
		for _, r := range []int{3, 1, 2, 0} { // by relayed time
			row := rows[r]
			got := readInbound(t, q, row.conv, row.id)
			if got.Seq <= prevSeq {
				t.Errorf("%s: Seq %d is not after %d: the copy does not keep the relayed order", row.id, got.Seq, prevSeq)
			}
			prevSeq = got.Seq
			want := bridge.InboundMessage{
				Store:      row.conv.Store,
				Message:    bridge.Message{ID: row.id, Conversation: row.conv.ID, Sender: row.sender, SentAt: at(row.relayedAt - 1)},
				Status:     row.want,
				Chat:       row.chat,
				Seq:        got.Seq,
				RecordedAt: at(row.relayedAt),
			}
			if row.want != bridge.InboundSilent {
				want.PostedAt = at(row.relayedAt)
			}
			check(t, "relayed message "+string(row.id)+" in the queue", got, want)
			known, err := st.KnownInbound(ctx, row.conv.Store, row.conv.ID, []bridge.MessageID{row.id})
			must(t, "KnownInbound", err)
			if known[row.id] != row.want {
				t.Errorf("KnownInbound(%s) = %v after the upgrade, want %s", row.id, known, row.want)
			}
		}
		pending, err := q.PendingInbound(ctx, "shop-a", "c1", 10)
		must(t, "PendingInbound", err)
		check(t, "pending messages after the upgrade (relayed ones are never posted again)", pending, []bridge.InboundMessage(nil))
		backlog, err := q.InboundBacklog(ctx)
		must(t, "InboundBacklog", err)
		check(t, "backlog after the upgrade", backlog, []bridge.ConversationBacklog(nil))

		// The copied rows keep their uniqueness, and new rows come after them.
		ids, err := q.RecordInbound(ctx, batch(c1, msg(c1, "m-posted", 29), msg(c1, "m-new", 40)))
		must(t, "RecordInbound after the upgrade", err)
		check(t, "IDs recorded after the upgrade", ids, []bridge.MessageID{"m-new"})
		if got := readInbound(t, q, c1, "m-new"); got.Seq <= prevSeq {
			t.Errorf("new message's Seq %d is not after the copied ones (%d)", got.Seq, prevSeq)
		}
		isNew, err := recordBuyer(ctx, st, c1, "m-own", 2)
		must(t, "RecordInbound of a message relayed before the upgrade", err)
		if isNew {
			t.Error("a message relayed before the upgrade was recorded again")
		}
	}},
	upgradeRecordsTest,
	{"v7_inbound_messages_gain_translation_auto_reply_and_safety_note", func(t *testing.T, s *suite) {
		ctx := t.Context()
		legacy := s.legacyDB(t, 7)
		exec := func(what, query string, args ...any) {
			t.Helper()
			if err := legacy.Exec(ctx, query, args...); err != nil {
				t.Fatalf("version 7 database: %s: %v", what, err)
			}
		}
		c := conversation("shop-a", "c1", thread(1))
		exec("insert conversation",
			`INSERT INTO conversations (store, id, buyer_id, buyer_name, link, thread_channel, thread_id,
			   threads_replaced, watermark_id, watermark_at, last_buyer_at, last_seller_at, awaiting_since,
			   unread, created_at, updated_at, seller_streak)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			string(c.Store), string(c.ID), c.BuyerID, c.BuyerName, c.Link, c.Thread.Channel, c.Thread.ID,
			c.ThreadsReplaced, string(c.WatermarkID), state.UnixNano(c.WatermarkAt), state.UnixNano(c.LastBuyerAt),
			state.UnixNano(c.LastSellerAt), state.UnixNano(c.AwaitingSince), c.Unread,
			state.UnixNano(c.CreatedAt), state.UnixNano(c.UpdatedAt), c.SellerStreak)
		// A pending message as release 7 recorded it: its content, nothing
		// beside it.
		old := msg(c, "m-old", 1)
		exec("insert inbound message",
			`INSERT INTO inbound_messages (store, conversation, message_id, sender, sender_name, kind, text,
			   sent_at, status, recorded_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			string(c.Store), string(c.ID), string(old.Message.ID), string(old.Message.Sender), old.Message.SenderName,
			string(old.Message.Kind), old.Message.Text, state.UnixNano(old.Message.SentAt), string(old.Status),
			state.UnixNano(old.RecordedAt))
		must(t, "close the version 7 database", legacy.Close())

		_, q := s.freshQueue(t)
		got := readInbound(t, q, c, "m-old")
		old.Seq = got.Seq
		check(t, "a message recorded before the upgrade (no translation, not an auto-reply, no safety note)", got, old)

		fresh := msg(c, "m-new", 2)
		fresh.Message.Translation, fresh.Message.AutoReply, fresh.Message.SafetyNote = "Is it in stock?", true, "blocked"
		recordOK(t, q, "RecordInbound after the upgrade", batch(c, fresh), "m-new")
		pending, err := q.PendingInbound(ctx, c.Store, c.ID, 10)
		must(t, "PendingInbound", err)
		check(t, "pending messages after the upgrade", pending,
			withSeqs(t, "PendingInbound", pending, []bridge.InboundMessage{old, fresh}))
	}},
}
