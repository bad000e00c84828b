package telegram_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram"
	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

const inbox = int64(-1009000000009)

var store = bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"}

// e2e is the real engine on SQLite, a fake marketplace and the Telegram
// surface over the fake Bot API, all on one fake clock.
type e2e struct {
	t     *testing.T
	clock *bridgetest.Clock
	api   *telegramtest.Server
	mp    *bridgetest.Marketplace
	eng   *engine.Engine
}

func startE2E(t *testing.T, setup ...func(*telegramtest.Server)) *e2e {
	t.Helper()
	var api *telegramtest.Server
	rig := bridgetest.StartEngine(t, bridgetest.EngineOptions{
		Stores: []bridge.Store{store},
		Chat: func(clock *bridgetest.Clock, st bridge.State) (bridge.Chat, error) {
			api = telegramtest.New(clock)
			t.Cleanup(api.Close)
			api.AddChat(telegramtest.Chat{ID: inbox, Title: "Inbox", Forum: true})
			for _, f := range setup {
				f(api)
			}
			return telegram.New(telegram.Config{
				Token: telegramtest.Token, APIURL: api.URL, InboxChat: inbox, Admins: []int64{5001},
				PollTimeout: 2 * time.Second, HealthCheckInterval: time.Hour,
			}, telegram.Deps{Clock: clock, Meta: st, Logger: slog.New(slog.DiscardHandler)})
		},
	})
	e := &e2e{t: t, clock: rig.Clock, api: api, mp: rig.Marketplace, eng: rig.Engine}
	e.waitFor("commands registered", func() bool { return len(api.Commands()) > 0 })
	return e
}

func (e *e2e) waitFor(what string, cond func() bool) {
	e.t.Helper()
	bridgetest.Eventually(e.t, what, cond, e.api.Activity)
}

func (e *e2e) sync() {
	e.t.Helper()
	if _, err := e.eng.SyncNow(context.Background(), store.ID); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	if err := e.eng.WaitPosted(context.Background()); err != nil {
		e.t.Fatalf("posting: %v", err)
	}
}

func (e *e2e) topicOf(buyer string) telegramtest.Topic {
	e.t.Helper()
	for _, tp := range e.api.Topics(inbox) {
		if strings.HasSuffix(tp.Name, "· "+buyer) && !tp.Deleted {
			return tp
		}
	}
	e.t.Fatalf("no topic for %s in %+v", buyer, e.api.Topics(inbox))
	return telegramtest.Topic{}
}

func count(msgs []telegramtest.Message, sub string) int {
	n := 0
	for _, m := range msgs {
		n += strings.Count(strings.ReplaceAll(m.Text, "\u2060", ""), sub)
	}
	return n
}

func TestEndToEndWithEngine(t *testing.T) {
	e := startE2E(t)
	agent := telegramtest.User{ID: 7001, Name: "Mei"}

	// Buyer messages land in one topic per conversation, once, escaped.
	e.mp.BuyerSays(store.ShopID, "conv-a", "Aisyah", "hi <b>there</b> & @shop_admin")
	e.mp.BuyerSays(store.ShopID, "conv-a", "Aisyah", "/pause everything")
	e.mp.BuyerSays(store.ShopID, "conv-b", "Budi", "ada stok?")
	e.sync()
	e.sync() // a second sync posts nothing again
	a, b := e.topicOf("Aisyah"), e.topicOf("Budi")
	all := e.api.Messages(inbox)
	for _, want := range []string{"hi <b>there</b> & @shop_admin", "/pause everything", "ada stok?"} {
		if n := count(all, want); n != 1 {
			t.Errorf("%q posted %d times", want, n)
		}
	}
	for _, m := range e.api.ThreadMessages(inbox, a.ID) {
		for _, ent := range m.Entities {
			if ent.Type == "mention" || ent.Type == "bot_command" || ent.Type == "bold" && strings.Contains(m.Text, "there") && ent.Length == 5 {
				t.Errorf("buyer text became a %s entity in %q", ent.Type, m.Text)
			}
		}
	}
	// A new conversation: its topic and one post, the header on top.
	if msgs := e.api.ThreadMessages(inbox, b.ID); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Conversation conv-b") {
		t.Errorf("topic B: %+v", msgs)
	}

	// An agent reply reaches the buyer; its reaction goes ✍ then 👌.
	id := e.api.Say(inbox, a.ID, 0, agent, "Stok ada, kak")
	e.waitFor("reply sent", func() bool { return sellerSaid(e.mp, "conv-a", "Stok ada, kak") == 1 })
	e.waitFor("👌", func() bool { m, _ := e.api.Message(inbox, id); return m.Reaction == "👌" })
	if got := reactionsOn(e.api, id); strings.Join(got, " ") != "✍ 👌" {
		t.Errorf("reactions on the reply: %v, want ✍ then 👌", got)
	}

	// A refused send: 💔 with the reason and Retry; pressing it sends.
	e.mp.FailNextSends(bridgetest.SendPermanent)
	id2 := e.api.Say(inbox, a.ID, 0, agent, "Promo hari ini")
	var notice telegramtest.Message
	e.waitFor("💔 and a notice", func() bool {
		for _, m := range e.api.ThreadMessages(inbox, a.ID) {
			if m.ReplyTo == id2 && m.Markup != nil {
				notice = m
			}
		}
		m, _ := e.api.Message(inbox, id2)
		return m.Reaction == "💔" && notice.ID != 0
	})
	if !strings.Contains(notice.Text, "message refused by the marketplace") {
		t.Fatalf("failure notice: %+v", notice)
	}
	data := notice.Markup.InlineKeyboard[0][0].CallbackData
	if !strings.HasPrefix(data, "retry_send:") {
		t.Fatalf("retry button data %q", data)
	}
	e.api.Press(inbox, notice.ID, agent, data)
	e.waitFor("👌 after retry", func() bool { m, _ := e.api.Message(inbox, id2); return m.Reaction == "👌" })
	if n := sellerSaid(e.mp, "conv-a", "Promo hari ini"); n != 1 {
		t.Errorf("retried reply sent %d times, want 1", n)
	}
	// The press is answered after the bridge took it, which may be after
	// the reply was already sent.
	e.waitFor("the press answered", func() bool { return len(e.api.Answers()) > 0 })
	if ans := e.api.Answers(); len(ans) != 1 || !strings.Contains(ans[0].Text, "Retrying") {
		t.Errorf("callback answers: %+v", ans)
	}

	// The topic is deleted: the next buyer message opens a new topic that
	// says it continues, and nothing is lost.
	e.api.DeleteTopic(inbox, a.ID)
	e.mp.BuyerSays(store.ShopID, "conv-a", "Aisyah", "halo? masih ada?")
	e.sync()
	a2 := e.topicOf("Aisyah")
	if a2.ID == a.ID {
		t.Fatal("no new topic after the old one was deleted")
	}
	msgs := e.api.ThreadMessages(inbox, a2.ID)
	if len(msgs) < 1 || !strings.Contains(msgs[0].Text, "earlier topic was deleted") || count(msgs, "halo? masih ada?") != 1 {
		t.Fatalf("healed topic: %+v", msgs)
	}
	if n := count(e.api.Messages(inbox), "halo? masih ada?"); n != 1 {
		t.Errorf("message after healing posted %d times", n)
	}
	// Replies in the new topic reach the same conversation.
	e.api.Say(inbox, a2.ID, 0, agent, "Masih, kak")
	e.waitFor("reply from the new topic", func() bool { return sellerSaid(e.mp, "conv-a", "Masih, kak") == 1 })
}

func sellerSaid(mp *bridgetest.Marketplace, conv bridge.ConversationID, text string) int {
	n := 0
	for _, m := range mp.Messages(store.ShopID)[conv] {
		if m.Sender == bridge.SenderSeller && m.Text == text {
			n++
		}
	}
	return n
}

// reactionsOn lists the reactions set on a message, in order.
func reactionsOn(api *telegramtest.Server, id int) []string {
	var out []string
	for _, c := range api.Calls("setMessageReaction") {
		if c.Params["message_id"] == strconv.Itoa(id) && c.Code == 200 {
			r := c.Params["reaction"]
			if i := strings.Index(r, `"emoji":"`); i >= 0 {
				r = r[i+len(`"emoji":"`):]
				out = append(out, r[:strings.Index(r, `"`)])
			}
		}
	}
	return out
}

func TestEndToEndBurstWith429Storm(t *testing.T) {
	e := startE2E(t, func(api *telegramtest.Server) { api.SetGroupLimit(20, time.Minute) })
	for c := range 20 {
		for i := range 10 {
			e.mp.BuyerSays(store.ShopID, bridge.ConversationID(fmt.Sprintf("conv-%02d", c)), fmt.Sprintf("buyer %02d", c), fmt.Sprintf("c%02d m%02d: masih ada?", c, i))
		}
	}
	e.api.Fail(telegramtest.Fault{Method: "sendMessage", Chat: inbox, Times: 25, Code: 429, Description: "Too Many Requests: retry after 5", RetryAfter: 5})
	e.sync()
	all := e.api.Messages(inbox)
	for c := range 20 {
		for i := range 10 {
			if n := count(all, fmt.Sprintf("c%02d m%02d: masih ada?", c, i)); n != 1 {
				t.Fatalf("c%02d m%02d posted %d times", c, i, n)
			}
		}
	}
	topics := len(e.api.Topics(inbox))
	posts := e.api.Count("sendMessage", 200)
	if topics != 20 || posts > 200 {
		t.Errorf("%d topics, %d posts for 200 messages", topics, posts)
	}
	t.Logf("200 buyer messages, %d posts, %d answered 429", posts, e.api.Count("sendMessage", 429))
}

// A burst of 60 buyer messages in 15 new conversations, through the real
// engine into a forum group that allows 20 posts a minute (the surface is
// not told): each new conversation costs at most two calls into the group
// (its topic and one post with the header and its messages), and every
// message is in its topic exactly once.
func TestEndToEndBurstIntoNewTopicsCostsTwoCallsEach(t *testing.T) {
	e := startE2E(t, func(api *telegramtest.Server) { api.SetGroupLimit(20, time.Minute) })
	start := e.clock.Now()
	for c := range 15 {
		for i := range 4 {
			e.mp.BuyerSays(store.ShopID, bridge.ConversationID(fmt.Sprintf("burst-%02d", c)), fmt.Sprintf("buyer %02d", c), fmt.Sprintf("b%02d q%d: ready stock?", c, i))
		}
	}
	e.sync()
	all := e.api.Messages(inbox)
	for c := range 15 {
		for i := range 4 {
			if n := count(all, fmt.Sprintf("b%02d q%d: ready stock?", c, i)); n != 1 {
				t.Fatalf("b%02d q%d posted %d times, want once", c, i, n)
			}
		}
	}
	calls := len(e.api.GroupCalls(inbox, 200))
	if calls > 2*15 {
		t.Errorf("%d calls into the group for 15 new conversations, want at most 2 each", calls)
	}
	t.Logf("60 messages in 15 new topics: %d calls into the group, %d answered 429, visible after %v of fake time",
		calls, len(e.api.GroupCalls(inbox, 429)), e.clock.Now().Sub(start))
}
