package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

// withCards turns on the pinned header card (pin_header), today's
// behaviour before the header moved into a topic's first post.
func withCards(c *Config) { c.PinHeader = boolPtr(true) }

func TestForumTopicPerConversationWithCard(t *testing.T) {
	hs := newHarness(t, withCards)
	ctx := context.Background()
	h := testHeader
	h.AwaitingReply, h.Unread = true, 1
	ref, k := hs.openThread(h)
	if ref.Channel != chatString(inbox) {
		t.Fatalf("thread in chat %s, want the inbox", ref.Channel)
	}
	topics := hs.api.Topics(inbox)
	if len(topics) != 1 || topics[0].Name != "Shopee MY · Main Store · Aisyah" || topics[0].ID != k.id {
		t.Fatalf("topics = %+v", topics)
	}
	// The pin waits in the lane at the lowest priority.
	hs.waitFor("card pinned", func() bool {
		msgs := hs.api.ThreadMessages(inbox, k.id)
		return len(msgs) == 1 && msgs[0].Pinned
	})
	msgs := hs.api.ThreadMessages(inbox, k.id)
	if !strings.Contains(msgs[0].Text, "Awaiting reply · 1 unread") {
		t.Fatalf("header card: %+v", msgs)
	}

	evil := "<b>hi</b> @shop_admin /pause & <a href=\"tg://x\">x</a>"
	mref, err := hs.s.PostMessage(ctx, ref, h, textMsg("m1", evil))
	if err != nil {
		t.Fatal(err)
	}
	msgs = hs.api.ThreadMessages(inbox, k.id)
	if len(msgs) != 2 {
		t.Fatalf("%d messages in the topic, want header + 1", len(msgs))
	}
	got := msgs[1]
	if mref != (msgKey{inbox, got.ID}).ref() || strings.Count(strings.ReplaceAll(got.Text, wordJoiner, ""), evil) != 1 {
		t.Errorf("buyer text shown as %q (ref %v)", got.Text, mref)
	}
	for _, e := range got.Entities {
		if e.Type == models.MessageEntityTypeMention || e.Type == models.MessageEntityTypeBotCommand || (e.Type == models.MessageEntityTypeTextLink && strings.HasPrefix(e.URL, "tg:")) {
			t.Errorf("buyer text became a %s entity", e.Type)
		}
	}

	// The header follows the conversation: answered, then resumed after
	// an agent closed the topic.
	h.AwaitingReply, h.Unread = false, 0
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	if card, _ := hs.api.Message(inbox, msgs[0].ID); !strings.Contains(card.Text, "Answered") {
		t.Errorf("header not edited: %q", card.Text)
	}
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Errorf("unchanged header: %v", err)
	}
	hs.api.CloseTopic(inbox, k.id)
	h.Resumed, h.AwaitingReply = true, true
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	if hs.api.Topics(inbox)[0].Closed {
		t.Error("a resumed conversation's topic stayed closed")
	}
	if card, _ := hs.api.Message(inbox, msgs[0].ID); !strings.Contains(card.Text, "Resumed") {
		t.Errorf("header does not say resumed: %q", card.Text)
	}
}

func TestHeaderIDSurvivesRestartWithMeta(t *testing.T) {
	hs := newHarness(t, withCards)
	meta := &memMeta{m: map[string]string{}}
	hs.s.meta = meta
	ref, k := hs.openThread(testHeader)
	// A new surface (a restart) with the same MetaStore edits the card.
	s2, err := New(hs.s.cfg, Deps{Clock: hs.clock, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	h := testHeader
	h.AwaitingReply, h.Unread = true, 2
	if err := s2.UpdateThreadHeader(context.Background(), ref, h); err != nil {
		t.Fatal(err)
	}
	card := hs.api.ThreadMessages(inbox, k.id)[0]
	if card.Edits != 1 || !strings.Contains(card.Text, "2 unread") {
		t.Errorf("card after restart: edits %d, %q", card.Edits, card.Text)
	}
}

type memMeta struct{ m map[string]string }

func (m *memMeta) Meta(_ context.Context, k string) (string, error) {
	v, ok := m.m[k]
	if !ok {
		return "", bridge.ErrNotFound
	}
	return v, nil
}

func (m *memMeta) SetMeta(_ context.Context, k, v string) error { m.m[k] = v; return nil }

func TestRoutingPerStoreAndSite(t *testing.T) {
	const sgChat, storeChat = int64(-1002000000002), int64(-1003000000003)
	hs := newHarness(t, func(c *Config) { c.SiteChats = map[string]int64{"sg": sgChat} })
	hs.api.AddChat(telegramtest.Chat{ID: sgChat, Title: "SG", Forum: true})
	hs.api.AddChat(telegramtest.Chat{ID: storeChat, Title: "VIP", Forum: true})
	tests := []struct {
		store bridge.Store
		want  int64
	}{
		{bridge.Store{ID: "a", Platform: bridge.PlatformLazada, Site: "SG", Name: "A"}, sgChat},
		{bridge.Store{ID: "b", Platform: bridge.PlatformLazada, Site: "SG", Name: "B", Channel: chatString(storeChat)}, storeChat},
		{bridge.Store{ID: "c", Platform: bridge.PlatformTikTok, Site: "TH", Name: "C"}, inbox},
	}
	for _, tt := range tests {
		h := testHeader
		h.Store = tt.store
		ref, _ := hs.openThread(h)
		if ref.Channel != chatString(tt.want) {
			t.Errorf("store %s went to %s, want %d", tt.store.ID, ref.Channel, tt.want)
		}
	}
	h := testHeader
	h.Store.Channel = "#general"
	if _, err := hs.s.OpenThread(context.Background(), h); bridge.Classify(err) != bridge.KindPermanent {
		t.Errorf("a non-numeric store channel gave %v", err)
	}
}

func TestDeletedAndClosedTopics(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, k := hs.openThread(testHeader)

	hs.api.CloseTopic(inbox, k.id)
	if _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("1", "closed?")); err != nil {
		t.Fatalf("post into a closed topic: %v", err)
	}
	if hs.api.Topics(inbox)[0].Closed || len(hs.api.ThreadMessages(inbox, k.id)) != 1 {
		t.Errorf("closed topic not reopened and posted to")
	}

	hs.api.DeleteTopic(inbox, k.id)
	_, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("2", "gone?"))
	if !errors.Is(err, bridge.ErrThreadGone) {
		t.Fatalf("post into a deleted topic: %v, want ErrThreadGone", err)
	}
	// The engine heals: a new topic that says it continues, and the
	// message posted there.
	h := testHeader
	h.Continued = true
	ref2, k2 := hs.openThread(h)
	if ref2 == ref {
		t.Fatal("the same thread came back")
	}
	if _, err := hs.s.PostMessage(ctx, ref2, h, textMsg("2", "gone?")); err != nil {
		t.Fatal(err)
	}
	// One post: the header, which says it continues, then the message.
	msgs := hs.api.ThreadMessages(inbox, k2.id)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "earlier topic was deleted") || !strings.Contains(msgs[0].Text, "gone?") {
		t.Errorf("continued topic: %+v", msgs)
	}
}

func TestMissingTopicRightsFailOpenThread(t *testing.T) {
	hs := newHarness(t)
	hs.api.SetBotRights(inbox, "administrator", false, true)
	_, err := hs.s.OpenThread(context.Background(), testHeader)
	if bridge.Classify(err) != bridge.KindAuth || !strings.Contains(bridge.ReasonOf(err), "not enough rights") {
		t.Errorf("OpenThread without Manage topics: %v", err)
	}
	if ok, _ := hs.s.health.state(); ok {
		t.Error("surface still healthy after a rights error")
	}
}

func TestReplyChainsWithoutTopics(t *testing.T) {
	const group = int64(-1004000000004)
	hs := newHarness(t, func(c *Config) { c.InboxChat = group })
	hs.api.AddChat(telegramtest.Chat{ID: group, Title: "Plain group"})
	hs.listen()
	ctx := context.Background()
	ref, k := hs.openThread(testHeader)
	if len(hs.api.Topics(group)) != 0 {
		t.Fatal("a topic was created in a group without topics")
	}
	mref, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("1", "halo"))
	if err != nil {
		t.Fatal(err)
	}
	post := hs.api.Messages(group)[1]
	if post.ReplyTo != k.id || !strings.Contains(post.Text, "halo") {
		t.Fatalf("post is not a reply to the header: %+v", post)
	}
	if mref.ID == ref.ID {
		t.Fatal("message ref equals the thread")
	}
	// After a restart the surface has forgotten its posts; an agent's reply
	// to one still finds the header through the post's 🧵 link.
	hs.s.chains = newChains(100)
	hs.api.Say(group, 0, post.ID, agent, "Boleh, kak")
	hs.waitFor("agent reply", func() bool { return len(hs.h.Replies()) == 1 })
	r := hs.h.Replies()[0]
	if r.Thread != ref || r.Text != "Boleh, kak" || r.UserID != "7001" {
		t.Fatalf("agent reply = %+v, want thread %v", r, ref)
	}
	// A reply to that reply is in the same chain.
	hs.api.Say(group, 0, mustAtoi(r.Message.ID), agent, "Ada lagi?")
	hs.waitFor("second reply", func() bool { return len(hs.h.Replies()) == 2 })
	if got := hs.h.Replies()[1].Thread; got != ref {
		t.Errorf("reply to a reply went to %v, want %v", got, ref)
	}
	// A message that replies to nothing is not a session reply.
	hs.api.Say(group, 0, 0, agent, "lunch?")
	hs.api.Say(group, 0, 0, admin, "/status")
	hs.waitFor("command", func() bool { return len(hs.h.Commands()) == 1 })
	if n := len(hs.h.Replies()); n != 2 {
		t.Errorf("%d replies, want 2", n)
	}
	// Deleting the header ends the thread.
	hs.api.DeleteMessage(group, k.id)
	if _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("2", "lagi")); !errors.Is(err, bridge.ErrThreadGone) {
		t.Errorf("post after the header was deleted: %v", err)
	}
}

func TestPhotosAndFallback(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	ctx := context.Background()
	ok := bridge.Message{ID: "p1", Kind: bridge.KindImage, URL: "https://cf.shopee.my/file/ok.jpg", Text: "rosak"}
	bad := bridge.Message{ID: "p2", Kind: bridge.KindImage, URL: "https://cf.shopee.my/file/private.jpg"}
	hs.api.BadPhoto(bad.URL)
	for _, m := range []bridge.Message{ok, bad} {
		if _, err := hs.s.PostMessage(ctx, ref, testHeader, m); err != nil {
			t.Fatalf("post %s: %v", m.ID, err)
		}
	}
	msgs := hs.api.ThreadMessages(inbox, k.id)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	// The topic's first post is the photo, the header in its caption.
	if msgs[0].Photo != ok.URL || !strings.Contains(msgs[0].Text, "rosak") || !strings.Contains(msgs[0].Text, "Conversation c1") {
		t.Errorf("photo post: %+v", msgs[0])
	}
	if msgs[1].Photo != "" || !strings.Contains(msgs[1].Text, "Photo (Telegram could not load it)") || strings.Contains(msgs[1].Text, "Conversation") {
		t.Errorf("fallback post: %+v", msgs[1])
	}
}
