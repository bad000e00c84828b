package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

// connected starts Listen over Socket Mode and waits for the hello.
func connected(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	f := newFixture(t, mod)
	f.listen()
	f.wait("socket connected", func() bool { return f.fake.Connections() >= 1 && f.h.SawHealth(true, 0) })
	f.wait("bot identity", func() bool { return f.s.identity.Load() != nil })
	return f
}

func (f *fixture) send(typ string, payload any) string {
	f.t.Helper()
	id, err := f.fake.Send(typ, payload, 0)
	if err != nil {
		f.t.Fatalf("send %s: %v", typ, err)
	}
	return id
}

func (f *fixture) ack(envelope string) json.RawMessage {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := f.fake.WaitAck(ctx, envelope)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) sendEvent(eventID string, event map[string]any) string {
	f.t.Helper()
	env := f.send("events_api", fakeslack.EventCallback(eventID, event))
	if p := f.ack(env); string(p) != "null" {
		f.t.Fatalf("events_api ack carried a payload: %s", p)
	}
	return env
}

func TestSocketModeDeliversAgentRepliesOnce(t *testing.T) {
	f := connected(t, nil)
	root := "1700000000.000001"
	f.sendEvent("Ev1", fakeslack.ThreadReply(chInbox, agentID, root, "1700000001.000100", "&lt;3 &amp; thanks, see <https://shop.example/x|our shop>"))
	f.wait("first reply", func() bool { return len(f.h.Replies()) == 1 })
	got := f.h.Replies()[0]
	want := bridge.AgentMessage{
		Thread:   bridge.ThreadRef{Channel: chInbox, ID: root},
		Message:  bridge.ChatMessageRef{Channel: chInbox, ID: "1700000001.000100"},
		UserID:   agentID,
		UserName: "Ana Agent",
		Text:     "<3 & thanks, see our shop (https://shop.example/x)",
		At:       time.Unix(1700000001, 100000).UTC(),
	}
	if got != want {
		t.Fatalf("AgentReply = %+v\nwant        %+v", got, want)
	}

	// None of these are agent replies.
	bot := fakeslack.ThreadReply(chInbox, "", root, "1700000001.000200", "bot echo")
	bot["bot_id"] = "B0OTHER"
	own := fakeslack.ThreadReply(chInbox, fakeslack.BotUserID, root, "1700000001.000300", "own")
	top := fakeslack.ThreadReply(chInbox, agentID, "", "1700000001.000400", "top-level chatter")
	delete(top, "thread_ts")
	rootItself := fakeslack.ThreadReply(chInbox, agentID, "1700000001.000500", "1700000001.000500", "a thread root")
	join := fakeslack.ThreadReply(chInbox, agentID, root, "1700000001.000600", "joined")
	join["subtype"] = "channel_join"
	for i, ev := range []map[string]any{bot, own, top, rootItself, join} {
		f.sendEvent("EvSkip"+string(rune('A'+i)), ev)
	}
	// Slack redelivers the first event (same event_id, retry_attempt 1).
	env, err := f.fake.Send("events_api", fakeslack.EventCallback("Ev1", fakeslack.ThreadReply(chInbox, agentID, root, "1700000001.000100", "again")), 1)
	if err != nil {
		t.Fatal(err)
	}
	f.ack(env)
	// A thread_broadcast reply counts; events are handled in order, so once
	// it arrived everything before it was handled.
	bc := fakeslack.ThreadReply(chInbox, agentID, root, "1700000001.000700", "also in channel")
	bc["subtype"] = "thread_broadcast"
	f.sendEvent("Ev2", bc)
	f.wait("the sentinel reply", func() bool { return len(f.h.Replies()) >= 2 })
	if replies := f.h.Replies(); len(replies) != 2 || replies[1].Text != "also in channel" {
		t.Fatalf("replies = %+v, want exactly the first reply and the broadcast one", replies)
	}
}

func TestReplyTheCoreCouldNotTakeIsRetriedThenReported(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		replies  int
		notices  int
	}{
		{"taken on the second attempt", 1, 1, 0},
		{"agent told after the last attempt", agentReplyAttempts, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := connected(t, nil)
			for range tt.failures {
				f.h.FailReplies(errTest)
			}
			f.sendEvent("Ev1", fakeslack.ThreadReply(chInbox, agentID, "1700000000.000001", "1700000001.000100", "hello"))
			for range min(tt.failures, agentReplyAttempts-1) {
				if err := f.clock.BlockUntil(context.Background(), 2); err != nil { // watchdog + retry backoff
					t.Fatal(err)
				}
				d, _ := f.clock.NextTimer()
				f.clock.Advance(d)
			}
			f.wait("the outcome", func() bool { return len(f.h.Replies()) == tt.replies && len(f.fake.Ephemerals()) == tt.notices })
			if tt.notices > 0 && !strings.Contains(f.fake.Ephemerals()[0].Text, "could not be queued") {
				t.Fatalf("notice = %q", f.fake.Ephemerals()[0].Text)
			}
		})
	}
}

func TestEditOfTakenReplyGetsEphemeralNotice(t *testing.T) {
	f := connected(t, nil)
	thread, _ := openThread(t, f, "c1")
	r := agentReply(f, thread, 5, "price is 10")
	r.Status = bridge.ReplySending
	if err := f.s.SetReplyStatus(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	edit := func(ts, old, new string) map[string]any {
		return map[string]any{
			"type": "message", "subtype": "message_changed", "channel": chInbox, "hidden": true, "ts": "1700000009.000001",
			"message":          map[string]any{"type": "message", "user": agentID, "text": new, "ts": ts, "thread_ts": thread.ID},
			"previous_message": map[string]any{"type": "message", "user": agentID, "text": old, "ts": ts, "thread_ts": thread.ID},
		}
	}
	// An unfurl (same text) and an edit of a message the bridge never took: no notice.
	f.sendEvent("EvU", edit(r.ChatMessage.ID, "price is 10", "price is 10"))
	other := f.fake.PostAsUser(chInbox, agentID, thread.ID, "note: internal")
	f.sendEvent("EvO", edit(other, "note: internal", "note: internal!"))
	f.sendEvent("EvE", edit(r.ChatMessage.ID, "price is 10", "price is 12"))
	f.wait("the edit notice", func() bool { return len(f.fake.Ephemerals()) >= 1 })
	eph := f.fake.Ephemerals()
	if len(eph) != 1 || eph[0].User != agentID || eph[0].ThreadTS != thread.ID || !strings.HasPrefix(eph[0].Text, "Edits are not sent to the buyer.") {
		t.Fatalf("ephemerals = %+v, want one edit notice to the agent in the thread", eph)
	}
}

func TestDeletedRootSeenInEventsMakesThreadGone(t *testing.T) {
	f := connected(t, nil)
	thread, h := openThread(t, f, "c1")
	f.sendEvent("EvD", map[string]any{"type": "message", "subtype": "message_deleted", "channel": chInbox, "deleted_ts": thread.ID, "ts": "1700000009.1", "hidden": true})
	f.wait("thread marked gone", func() bool { return f.s.threads.isGone(thread) })
	before := len(f.fake.Calls("chat.postMessage"))
	_, err := f.s.PostMessage(context.Background(), thread, h, textMsg("m-1", "hello"))
	if err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("err = %v, want thread gone", err)
	}
	if after := len(f.fake.Calls("chat.postMessage")); after != before {
		t.Fatalf("posted into a thread known to be deleted")
	}
}

func commandAck(t *testing.T, p json.RawMessage) commandAnswer {
	t.Helper()
	var a commandAnswer
	if err := json.Unmarshal(p, &a); err != nil {
		t.Fatalf("ack payload %s: %v", p, err)
	}
	return a
}

func TestSlashCommandPermissionsOverSocket(t *testing.T) {
	f := connected(t, func(c *Config) { c.AdminUsergroup = "S0LEADS" })
	f.fake.SetUsergroup("S0LEADS", "U0LEAD")
	tests := []struct {
		name, user, text string
		admin            bool
		respType, prefix string
	}{
		{"admin runs a changing command", adminID, "store update shop-a", true, "ephemeral", "OK: store update shop-a"},
		{"group member is admin", "U0LEAD", "sync retry shop-a", true, "ephemeral", "OK: sync retry shop-a"},
		{"agent is refused", agentID, "store update shop-a", false, "ephemeral", ":warning: Only admins can run"},
		{"status is for everyone", agentID, "status", false, "in_channel", "All stores syncing."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := f.send("slash_commands", fakeslack.SlashCommand(tt.user, chInbox, tt.text, f.fake.ResponseURL("r")))
			a := commandAck(t, f.ack(env))
			if a.ResponseType != tt.respType || !strings.HasPrefix(a.Text, tt.prefix) {
				t.Fatalf("answer = %+v, want %s %q…", a, tt.respType, tt.prefix)
			}
			cmds := f.h.Commands()
			c := cmds[len(cmds)-1]
			if len(cmds) != i+1 || c.Admin != tt.admin || c.UserID != tt.user || c.Text != tt.text || c.Surface != "slack" || c.Channel != chInbox {
				t.Fatalf("command = %+v, want admin=%v", c, tt.admin)
			}
		})
	}
}

func TestSlowCommandAnswersOnResponseURL(t *testing.T) {
	f := connected(t, nil)
	release := make(chan struct{})
	f.h.OnCommand(func(c bridge.CommandRequest) bridge.CommandResponse {
		<-release
		return bridge.CommandResponse{Text: "Synced 12 messages.", Public: true}
	})
	env := f.send("slash_commands", fakeslack.SlashCommand(adminID, chInbox, "sync now", f.fake.ResponseURL("slow")))
	f.wait("command running", func() bool { return len(f.h.Commands()) == 1 })
	if err := f.clock.BlockUntil(context.Background(), 2); err != nil { // watchdog + ack timer
		t.Fatal(err)
	}
	f.clock.Advance(f.s.cfg.CommandAckTimeout)
	if a := commandAck(t, f.ack(env)); !strings.Contains(a.Text, "Working on it") {
		t.Fatalf("interim ack = %+v", a)
	}
	close(release)
	f.wait("late answer", func() bool { return len(f.fake.ResponseURLPosts()) == 1 })
	p := f.fake.ResponseURLPosts()[0]
	if p.ID != "slow" || p.Body["text"] != "Synced 12 messages." || p.Body["response_type"] != "in_channel" {
		t.Fatalf("response_url post = %+v", p)
	}
}

func TestRetryButtonOverSocket(t *testing.T) {
	f := connected(t, nil)
	thread, _ := openThread(t, f, "c1")
	r := agentReply(f, thread, 42, "hi")
	r.Status, r.Reason = bridge.ReplyFailed, "timeout"
	if err := f.s.SetReplyStatus(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	notice := f.fake.Thread(thread.Channel, thread.ID)[1]
	env := f.send("interactive", fakeslack.BlockAction(agentID, chInbox, notice.TS, thread.ID, bridge.ActionRetrySend, "42", f.fake.ResponseURL("b")))
	f.ack(env)
	f.wait("action delivered", func() bool { return len(f.h.Actions()) == 1 })
	want := bridge.ActionEvent{ActionID: bridge.ActionRetrySend, Value: "42", UserID: agentID, UserName: "user-" + agentID, Admin: false, Thread: thread}
	if got := f.h.Actions()[0]; got != want {
		t.Fatalf("action = %+v, want %+v", got, want)
	}
	f.wait("answer and notice update", func() bool {
		n, _ := f.fake.Message(chInbox, notice.TS)
		return len(f.fake.Ephemerals()) == 1 && n.Updates == 1
	})
	if e := f.fake.Ephemerals()[0]; e.User != agentID || e.Text != "Retrying." || e.ThreadTS != thread.ID {
		t.Fatalf("ephemeral answer = %+v", e)
	}
	n, _ := f.fake.Message(chInbox, notice.TS)
	if len(blocksOfType(n.Blocks, "button")) != 0 {
		t.Fatalf("the Retry button is still there after the press")
	}
}

func TestWatchdogReconnectsSilentSocket(t *testing.T) {
	f := connected(t, nil) // WatchdogTimeout 1 min, checked every 15 s
	ctx := context.Background()
	for i := 0; i < 20 && f.fake.Connections() < 2; i++ {
		if err := f.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(20 * time.Second)
	}
	f.wait("a second connection", func() bool { return f.fake.Connections() >= 2 })
	f.wait("healthy again", func() bool {
		hs := f.h.Health()
		return len(hs) >= 3 && !hs[len(hs)-2].OK && hs[len(hs)-1].OK
	})
}

func TestActiveSocketIsNotReplaced(t *testing.T) {
	f := connected(t, nil)
	ctx := context.Background()
	for i := 0; i < 8; i++ { // 160 s of fake time with traffic every 20 s
		if err := f.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(20 * time.Second)
		f.sendEvent("EvT"+string(rune('a'+i)), map[string]any{"type": "reaction_added", "user": agentID})
	}
	if n := f.fake.Connections(); n != 1 {
		t.Fatalf("%d connections, want the busy one kept", n)
	}
}

func TestRevokedAppTokenReportsAuthFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.RevokeAppToken(true)
	f.listen()
	f.wait("auth failure reported", func() bool { return f.h.SawHealth(false, bridge.KindAuth) })
}
