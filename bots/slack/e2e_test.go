package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/slack"
	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

const (
	inbox  = "C0INBOX"
	alerts = "C0ALERTS"
	admin  = "U0ADMIN"
	agent  = "U0AGENT"
)

var shop = bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}

// e2e is the real engine on SQLite, a fake marketplace and the Slack surface
// over the fake Slack (Web API and Socket Mode), all on one fake clock.
type e2e struct {
	t     *testing.T
	clock *bridgetest.Clock
	slack *fakeslack.Server
	mp    *bridgetest.Marketplace
	eng   *engine.Engine
	seq   int
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	var fs *fakeslack.Server
	rig := bridgetest.StartEngine(t, bridgetest.EngineOptions{
		Stores: []bridge.Store{shop},
		Chat: func(clock *bridgetest.Clock, _ bridge.State) (bridge.Chat, error) {
			fs = fakeslack.New(fakeslack.WithClock(clock.Now))
			t.Cleanup(fs.Close)
			fs.AddChannel(inbox, alerts)
			fs.SetUser(agent, "Mei")
			return slack.New(slack.Config{
				BotToken: fakeslack.BotToken, AppToken: fakeslack.AppToken, APIURL: fs.URL,
				InboxChannel: inbox, AlertsChannel: alerts, Admins: []string{admin},
				// The clock is moved through every wait of two minutes or less, so the
				// watchdog (checked every 6 h here) and Slack's own ping timer stay out.
				WatchdogTimeout: 24 * time.Hour, PingInterval: time.Hour,
			}, slack.Deps{Clock: clock, Logger: slog.New(slog.DiscardHandler)})
		},
	})
	e := &e2e{t: t, clock: rig.Clock, slack: fs, mp: rig.Marketplace, eng: rig.Engine}
	e.waitFor("socket connected", func() bool { return fs.Connections() >= 1 && len(fs.Calls("auth.test")) > 0 })
	return e
}

func (e *e2e) waitFor(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.slack.Wait(ctx, cond); err != nil {
		// The fake sees most changes; the engine's own state is re-checked too.
		bridgetest.Eventually(e.t, what, cond)
	}
}

func (e *e2e) sync() {
	e.t.Helper()
	if _, err := e.eng.SyncNow(context.Background(), shop.ID); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	if err := e.eng.WaitPosted(context.Background()); err != nil {
		e.t.Fatalf("posting: %v", err)
	}
}

// posted counts the thread messages carrying marketplace message id.
func (e *e2e) posted(id bridge.MessageID) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.slack.Messages(inbox) {
		if m.Metadata != nil && m.Metadata.EventType == "shopbridge_message" && slices.Contains(m.MarketplaceIDs(), string(id)) {
			out = append(out, m)
		}
	}
	return out
}

// rootOf returns the thread root (header) of a conversation.
func (e *e2e) rootOf(conv string) fakeslack.Message {
	e.t.Helper()
	var found []fakeslack.Message
	for _, m := range e.slack.Roots(inbox) {
		if m.Metadata != nil && m.Metadata.EventType == "shopbridge_thread" && m.Metadata.EventPayload["conversation"] == conv && !m.Deleted {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("conversation %s has %d live thread roots, want 1", conv, len(found))
	}
	return found[0]
}

// reply writes an agent's thread reply and delivers its event over Socket Mode.
func (e *e2e) reply(root fakeslack.Message, user, text string) string {
	e.t.Helper()
	ts := e.slack.PostAsUser(inbox, user, root.TS, text)
	e.seq++
	id, err := e.slack.Send("events_api", fakeslack.EventCallback(fmt.Sprintf("Ev%d", e.seq), fakeslack.ThreadReply(inbox, user, root.TS, ts, text)), 0)
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("ack", func() bool { return e.slack.Acked(id) })
	return ts
}

func (e *e2e) sellerTexts(conv string) []string {
	var out []string
	for _, m := range e.mp.Messages(shop.ShopID)[bridge.ConversationID(conv)] {
		if m.Sender == bridge.SenderSeller {
			out = append(out, m.Text)
		}
	}
	return out
}

func blockText(raw json.RawMessage) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if s, ok := t["text"].(string); ok {
				out = append(out, s)
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}

func TestEndToEndWithEngine(t *testing.T) {
	e := startE2E(t)

	// Buyer messages land in one thread per conversation, exactly once, escaped.
	m1 := e.mp.BuyerSays(shop.ShopID, "conv-a", "Aisyah", "hi <!channel> & <http://evil.example|bank.com>")
	m2 := e.mp.BuyerSays(shop.ShopID, "conv-a", "Aisyah", "still there?")
	m3 := e.mp.BuyerSays(shop.ShopID, "conv-b", "Budi", "ada stok?")
	e.sync()
	e.sync() // a second sync posts nothing again
	a, b := e.rootOf("conv-a"), e.rootOf("conv-b")
	if len(e.slack.Roots(inbox)) != 2 {
		t.Fatalf("%d top-level messages, want two thread headers", len(e.slack.Roots(inbox)))
	}
	for _, tc := range []struct {
		id   bridge.MessageID
		root fakeslack.Message
	}{{m1.ID, a}, {m2.ID, a}, {m3.ID, b}} {
		got := e.posted(tc.id)
		if len(got) != 1 || got[0].ThreadTS != tc.root.TS {
			t.Fatalf("message %s: %d posts (want 1 in thread %s)", tc.id, len(got), tc.root.TS)
		}
	}
	if txt := blockText(e.posted(m1.ID)[0].Blocks); strings.Contains(txt, "<!channel>") || strings.Contains(txt, "<http://evil.example|bank.com>") {
		t.Fatalf("buyer text not escaped: %q", txt)
	}

	// An agent's reply reaches the buyer and its reaction ends at ✅.
	ts := e.reply(a, agent, "Yes, we have it &amp; it ships today")
	e.waitFor("reply sent", func() bool {
		return slices.Equal(e.slack.Reactions(inbox, ts), []string{"white_check_mark"})
	})
	if got := e.sellerTexts("conv-a"); !slices.Equal(got, []string{"Yes, we have it & it ships today"}) {
		t.Fatalf("marketplace got %q", got)
	}
	var sawHourglass bool
	for _, c := range e.slack.Calls("reactions.add") {
		if c.Values.Get("timestamp") == ts && c.Values.Get("name") == "hourglass_flowing_sand" {
			sawHourglass = true
		}
	}
	if !sawHourglass {
		t.Errorf("the reply never showed the sending reaction")
	}

	// Notes stay internal; Slack redelivering an event creates no second send.
	e.reply(a, agent, "note: she asked twice")
	env, _ := e.slack.Send("events_api", fakeslack.EventCallback("Ev1", fakeslack.ThreadReply(inbox, agent, a.TS, ts, "again")), 1)
	e.waitFor("redelivery acked", func() bool { return e.slack.Acked(env) })

	// A failed send shows ❌ with a Retry button; pressing it sends and shows ✅.
	e.mp.FailNextSends(bridgetest.SendPermanent)
	ts2 := e.reply(b, agent, "Stok ada, kak")
	e.waitFor("failure shown", func() bool {
		return slices.Equal(e.slack.Reactions(inbox, ts2), []string{"x"}) && len(e.slack.Thread(inbox, b.TS)) >= 3
	})
	thread := e.slack.Thread(inbox, b.TS)
	notice := thread[len(thread)-1]
	if !strings.Contains(blockText(notice.Blocks), "not sent") || !strings.Contains(string(notice.Blocks), `"action_id":"retry_send"`) {
		t.Fatalf("failure notice = %s", notice.Blocks)
	}
	var btn struct {
		Value string `json:"value"`
	}
	for _, part := range strings.Split(string(notice.Blocks), `"type":"button"`)[1:] {
		i := strings.Index(part, `"value":"`)
		if i >= 0 {
			v := part[i+len(`"value":"`):]
			btn.Value = v[:strings.Index(v, `"`)]
		}
	}
	env, _ = e.slack.Send("interactive", fakeslack.BlockAction(agent, inbox, notice.TS, b.TS, "retry_send", btn.Value, e.slack.ResponseURL("r")), 0)
	e.waitFor("retried and sent", func() bool {
		return e.slack.Acked(env) && slices.Equal(e.slack.Reactions(inbox, ts2), []string{"white_check_mark"})
	})
	if got := e.sellerTexts("conv-b"); !slices.Equal(got, []string{"Stok ada, kak"}) {
		t.Fatalf("marketplace got %q after Retry", got)
	}
	if got := e.sellerTexts("conv-a"); len(got) != 1 {
		t.Fatalf("conv-a got %d seller messages, want 1 (no duplicate, no note)", len(got))
	}
	e.waitFor("Retry answered privately", func() bool {
		for _, ep := range e.slack.Ephemerals() {
			if ep.User == agent && strings.Contains(ep.Text, "Retrying") {
				return true
			}
		}
		return false
	})
}

func TestEndToEndSlashCommandPermissions(t *testing.T) {
	e := startE2E(t)
	answer := func(user, text string) string {
		t.Helper()
		url := e.slack.ResponseURL(user + "-" + strings.ReplaceAll(text, " ", "-"))
		env, err := e.slack.Send("slash_commands", fakeslack.SlashCommand(user, inbox, text, url), 0)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		e.waitFor("answer to "+text, func() bool {
			if !e.slack.Acked(env) {
				return false
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			p, _ := e.slack.WaitAck(ctx, env)
			var a struct{ Text string }
			_ = json.Unmarshal(p, &a)
			if !strings.Contains(a.Text, "Working on it") {
				got = a.Text
				return true
			}
			for _, r := range e.slack.ResponseURLPosts() {
				if url == e.slack.ResponseURL(r.ID) {
					got, _ = r.Body["text"].(string)
					return true
				}
			}
			return false
		})
		return got
	}
	if got := answer(agent, "pause shopee-my"); !strings.Contains(got, "Only admins") {
		t.Fatalf("non-admin pause answered %q, want a refusal", got)
	}
	if got := answer(admin, "pause shopee-my"); strings.Contains(got, "Only admins") || strings.Contains(got, ":warning:") {
		t.Fatalf("admin pause answered %q", got)
	}
	if got := answer(agent, "status"); got == "" || strings.Contains(got, "Only admins") {
		t.Fatalf("status answered %q", got)
	}
}

func TestEndToEndDeletedThreadIsContinued(t *testing.T) {
	e := startE2E(t)
	e.mp.BuyerSays(shop.ShopID, "conv-a", "Aisyah", "first")
	e.sync()
	old := e.rootOf("conv-a")
	e.slack.DeleteMessage(inbox, old.TS)
	m := e.mp.BuyerSays(shop.ShopID, "conv-a", "Aisyah", "hello? anyone?")
	e.sync()
	root := e.rootOf("conv-a")
	if root.TS == old.TS || !strings.Contains(blockText(root.Blocks), "Continues a conversation whose earlier thread was deleted") {
		t.Fatalf("no continued thread: %s", blockText(root.Blocks))
	}
	got := e.posted(m.ID)
	if len(got) != 1 || got[0].ThreadTS != root.TS {
		t.Fatalf("the new message: %d posts, want one in the new thread", len(got))
	}
}

func TestEndToEnd429StormDuringBacklog(t *testing.T) {
	e := startE2E(t)
	var ids []bridge.MessageID
	for i := range 8 { // known conversations (a first start imports only recent history)
		ids = append(ids, e.mp.BuyerSays(shop.ShopID, bridge.ConversationID(fmt.Sprintf("conv-%02d", i)), fmt.Sprintf("Buyer %d", i), "hello").ID)
	}
	e.sync()
	storm := e.slack.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: 429, RetryAfter: 3, Every: 2})
	for i := range 200 {
		conv := bridge.ConversationID(fmt.Sprintf("conv-%02d", i%8))
		ids = append(ids, e.mp.BuyerSays(shop.ShopID, conv, fmt.Sprintf("Buyer %d", i%8), fmt.Sprintf("message %03d <!here>", i)).ID)
	}
	e.sync()
	e.sync()
	for _, id := range ids {
		if got := e.posted(id); len(got) != 1 {
			t.Fatalf("message %s posted %d times, want exactly once", id, len(got))
		}
	}
	if roots := e.slack.Roots(inbox); len(roots) != 8 {
		t.Fatalf("%d thread roots, want one per conversation (8)", len(roots))
	}
	// The 200 messages go out combined, a few posts per conversation, so
	// every second post attempt is a 429.
	if posts := len(e.slack.Thread(inbox, e.rootOf("conv-00").TS)); posts > 4 {
		t.Errorf("conv-00's 26 messages took %d posts, want them combined", posts)
	}
	if e.slack.Fired(storm) < 5 {
		t.Fatalf("only %d 429s were injected", e.slack.Fired(storm))
	}
}

// A burst of 60 buyer messages in 15 new conversations, through the real
// engine into one channel that allows one post a second (burst 3; the
// surface is not told): a root and one combined post per conversation, and
// every message exactly once.
func TestEndToEndBurstIntoOneChannel(t *testing.T) {
	e := startE2E(t)
	e.slack.LimitPosts(1, 3)
	start := e.clock.Now()
	var ids []bridge.MessageID
	for c := range 15 {
		for i := range 4 {
			ids = append(ids, e.mp.BuyerSays(shop.ShopID, bridge.ConversationID(fmt.Sprintf("burst-%02d", c)), fmt.Sprintf("Buyer %d", c), fmt.Sprintf("b%02d q%d: ready stock?", c, i)).ID)
		}
	}
	e.sync()
	for _, id := range ids {
		if got := e.posted(id); len(got) != 1 {
			t.Fatalf("message %s posted %d times, want exactly once", id, len(got))
		}
	}
	roots := len(e.slack.Roots(inbox))
	posts := len(e.slack.Messages(inbox)) - roots
	if roots != 15 || posts > 15 {
		t.Errorf("%d roots and %d posts for 60 messages in 15 conversations, want 15 and at most 15", roots, posts)
	}
	// The number of 429s is not asserted here: this rig's clock jumps to the
	// next timer while requests are still in flight, which distorts what the
	// learner sees. poster_sim_test.go holds the timing and 429 targets with
	// a clock that moves only when every poster is parked.
	t.Logf("60 messages: %d roots, %d posts, %d 429s, visible after %v of fake time", roots, posts, e.slack.RateLimited(), e.clock.Now().Sub(start))
}
