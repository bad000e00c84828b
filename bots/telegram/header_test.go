package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

func TestNewTopicCostsATopicAndOnePost(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	h := testHeader
	h.AwaitingReply, h.Unread = true, 2
	ref, k := hs.openThread(h)
	if got := hs.api.Topics(inbox)[0].Name; got != "🟠 Shopee MY · Main Store · Aisyah" {
		t.Errorf("topic name %q", got)
	}
	if n := len(hs.api.GroupCalls(inbox, 0)); n != 1 {
		t.Fatalf("opening the topic made %d calls, want 1", n)
	}
	if _, err := hs.s.PostMessages(ctx, ref, h, []bridge.Message{textMsg("1", "ada stok?"), textMsg("2", "warna merah")}); err != nil {
		t.Fatal(err)
	}
	msgs := hs.api.ThreadMessages(inbox, k.id)
	if len(msgs) != 1 || len(hs.api.GroupCalls(inbox, 0)) != 2 {
		t.Fatalf("the first buyer messages made %d posts, want 1", len(msgs))
	}
	first := msgs[0].Text
	header := strings.Index(first, "Conversation c1")
	if header < 0 || !strings.Contains(first, "Open in Seller Centre") || header > strings.Index(first, "ada stok?") ||
		strings.Index(first, "ada stok?") > strings.Index(first, "warna merah") {
		t.Errorf("first post does not start with the header, then the messages: %q", first)
	}
	if strings.Contains(first, "Awaiting reply") || strings.Count(first, "ada stok?") != 1 {
		t.Errorf("the header repeats a status or a buyer message: %q", first)
	}
	if _, err := hs.s.PostMessage(ctx, ref, h, textMsg("3", "halo?")); err != nil {
		t.Fatal(err)
	}
	msgs = hs.api.ThreadMessages(inbox, k.id)
	if len(msgs) != 2 || strings.Contains(msgs[1].Text, "Conversation c1") {
		t.Errorf("the header came again: %+v", msgs[1])
	}
}

func TestHeaderRenamesTheTopicOnlyWhenItsNameChanges(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	h := testHeader
	h.AwaitingReply, h.Unread = true, 1
	ref, _ := hs.openThread(h)
	calls := func() int { return len(hs.api.GroupCalls(inbox, 0)) }
	before := calls()
	h.Unread = 5
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil || calls() != before {
		t.Fatalf("an unread count cost %d calls (err %v)", calls()-before, err)
	}
	h.AwaitingReply, h.Unread = false, 0
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	if tp := hs.api.Topics(inbox)[0]; tp.Name != "🟢 Shopee MY · Main Store · Aisyah" || tp.Renames != 1 {
		t.Errorf("answered: topic %+v", tp)
	}
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil || calls() != before+1 {
		t.Errorf("an unchanged header made a call (err %v)", err)
	}
	// A restart with the bridge's state remembers the name: no rename.
	meta := &memMeta{m: map[string]string{}}
	hs.s.meta = meta
	h.AwaitingReply = true
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	s2, err := New(hs.s.cfg, Deps{Clock: hs.clock, Meta: meta})
	if err != nil {
		t.Fatal(err)
	}
	before = calls()
	if err := s2.UpdateThreadHeader(ctx, ref, h); err != nil || calls() != before {
		t.Errorf("after a restart an unchanged name cost %d calls (err %v)", calls()-before, err)
	}
	// A deleted topic is gone for the bridge.
	hs.api.DeleteTopic(inbox, hs.api.Topics(inbox)[0].ID)
	h.AwaitingReply = false
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); !errors.Is(err, bridge.ErrThreadGone) {
		t.Errorf("rename of a deleted topic: %v, want ErrThreadGone", err)
	}
}

func TestResumedConversationReopensItsClosedTopic(t *testing.T) {
	hs := newHarness(t)
	hs.listen()
	ctx := context.Background()
	ref, k := hs.openThread(testHeader)
	h := testHeader
	h.Resumed, h.AwaitingReply = true, true
	// Open topic: resuming costs the rename only.
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	if n := hs.api.Count("reopenForumTopic", 0); n != 0 {
		t.Errorf("an open topic was reopened %d times", n)
	}
	// An agent closes it; the buyer writes again after a while.
	hs.api.CloseTopicBy(inbox, k.id, agent)
	hs.waitFor("closing seen", func() bool { _, ok := hs.s.closed.get(k); return ok })
	h.AwaitingReply = false // the name is right already: only the reopen
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	if hs.api.Topics(inbox)[0].Closed || hs.api.Count("reopenForumTopic", 200) != 1 {
		t.Error("a resumed conversation's closed topic stayed closed")
	}
}

func TestOwedHeaderIsNotKeptAcrossARestart(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	// A restart before the topic's first post: the header is not owed
	// any more (documented in OpenThread), the post goes out without it.
	s2, err := New(hs.s.cfg, Deps{Clock: hs.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.PostMessage(context.Background(), ref, testHeader, textMsg("1", "halo")); err != nil {
		t.Fatal(err)
	}
	if msgs := hs.api.ThreadMessages(inbox, k.id); len(msgs) != 1 || strings.Contains(msgs[0].Text, "Conversation c1") {
		t.Errorf("first post after a restart: %+v", msgs)
	}
}

func TestPinnedCardOption(t *testing.T) {
	hs := newHarness(t, withCards)
	ctx := context.Background()
	ref, k := hs.openThread(testHeader)
	hs.waitFor("card pinned", func() bool { m := hs.api.ThreadMessages(inbox, k.id); return len(m) == 1 && m[0].Pinned })
	if _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("1", "halo")); err != nil {
		t.Fatal(err)
	}
	msgs := hs.api.ThreadMessages(inbox, k.id)
	if len(msgs) != 2 || strings.Contains(msgs[1].Text, "Conversation c1") {
		t.Errorf("with a card, the first post has no header: %+v", msgs)
	}
	if got := hs.api.Topics(inbox)[0].Name; got != "Shopee MY · Main Store · Aisyah" {
		t.Errorf("topic name %q: with a card the status is on the card", got)
	}
	calls := hs.api.GroupCalls(inbox, 200)
	var methods []string
	for _, c := range calls {
		methods = append(methods, c.Method)
	}
	if got := strings.Join(methods, " "); got != "createForumTopic sendMessage pinChatMessage sendMessage" {
		t.Errorf("calls %s", got)
	}
}

func TestReplyChainRootIsTheHeader(t *testing.T) {
	const group = int64(-1004000000004)
	hs := newHarness(t, func(c *Config) { c.InboxChat = group })
	hs.api.AddChat(telegramtest.Chat{ID: group, Title: "Plain group"})
	ctx := context.Background()
	ref, k := hs.openThread(testHeader)
	if n := len(hs.api.GroupCalls(group, 0)); n != 1 {
		t.Errorf("a reply chain cost %d calls to open, want 1", n)
	}
	if _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("1", "halo")); err != nil {
		t.Fatal(err)
	}
	msgs := hs.api.Messages(group)
	if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "Conversation c1") || strings.Contains(msgs[1].Text, "Conversation c1") || msgs[1].ReplyTo != k.id {
		t.Errorf("reply chain: %+v", msgs)
	}
	h := testHeader
	h.AwaitingReply = true
	if err := hs.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatal(err)
	}
	if m, _ := hs.api.Message(group, k.id); !strings.Contains(m.Text, "Awaiting reply") {
		t.Errorf("root card not edited: %q", m.Text)
	}
}

func TestDestinationIsTheThreadsChannel(t *testing.T) {
	const sgChat, storeChat = int64(-1002000000002), int64(-1003000000003)
	hs := newHarness(t, func(c *Config) { c.SiteChats = map[string]int64{"sg": sgChat} })
	hs.api.AddChat(telegramtest.Chat{ID: sgChat, Title: "SG", Forum: true})
	hs.api.AddChat(telegramtest.Chat{ID: storeChat, Title: "VIP", Forum: true})
	var r bridge.Router = hs.s
	for _, st := range []bridge.Store{
		{ID: "a", Platform: bridge.PlatformLazada, Site: "SG", Name: "A"},
		{ID: "b", Platform: bridge.PlatformLazada, Site: "SG", Name: "B", Channel: chatString(storeChat)},
		{ID: "c", Platform: bridge.PlatformTikTok, Site: "TH", Name: "C"},
	} {
		h := testHeader
		h.Store = st
		ref, _ := hs.openThread(h)
		if got := r.Destination(st); got != ref.Channel {
			t.Errorf("store %s: destination %q, thread channel %q", st.ID, got, ref.Channel)
		}
	}
	if got := r.Destination(bridge.Store{ID: "x", Channel: "#general"}); got != "#general" {
		t.Errorf("a bad store channel: destination %q", got)
	}
}
