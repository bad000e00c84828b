package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

// A topic's first post carries the header and three messages; the middle
// one is recalled: one editMessageText keeps the header, shows the middle
// message recalled (struck) and the others as they were.
func TestUpdateMessagesShowsARecallInItsCombinedPost(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	msgs := []bridge.Message{textMsg("m1", "first <b>"), textMsg("m2", "wrong size, sorry"), textMsg("m3", "I meant M")}
	refs, err := hs.s.PostMessages(ctx, ref, testHeader, msgs)
	if err != nil || len(refs) != 3 || refs[0] != refs[1] || refs[1] != refs[2] {
		t.Fatalf("PostMessages = %v, %v; want one post for three", refs, err)
	}
	id := mustAtoi(refs[0].ID)
	before, _ := hs.api.Message(inbox, id)
	if !strings.Contains(before.Text, "Open in Seller Centre") {
		t.Fatalf("the first post lacks the header: %q", before.Text)
	}

	msgs[1].Recalled = true
	if err := hs.s.UpdateMessages(ctx, ref, refs[0], testHeader, msgs); err != nil {
		t.Fatalf("UpdateMessages: %v", err)
	}
	if n := len(hs.api.Calls("editMessageText")) + len(hs.api.Calls("editMessageCaption")); n != 1 {
		t.Fatalf("%d edit calls, want exactly one", n)
	}
	after, _ := hs.api.Message(inbox, id)
	if after.Edits != 1 {
		t.Fatalf("the post was edited %d times", after.Edits)
	}
	want := strings.Replace(before.Text, "wrong size, sorry",
		"↩️ Recalled by the buyer — struck through below, kept for agents\nwrong size, sorry", 1)
	if after.Text != want {
		t.Fatalf("after the recall:\n%s\nwant:\n%s", after.Text, want)
	}
	if got := entityText(after.Text, after.Entities, models.MessageEntityTypeStrikethrough); len(got) != 1 || got[0] != "wrong size, sorry" {
		t.Errorf("struck: %q, want only the recalled message", got)
	}
	if !strings.Contains(after.HTML, "first &lt;b&gt;") {
		t.Errorf("escaping lost in the edit: %s", after.HTML)
	}
}

// A photo post is edited with editMessageCaption, keeping the photo.
func TestUpdateMessagesEditsAPhotoCaption(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(lazadaHeader)
	m := bridge.Message{ID: "p1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://cf.lazada/p.jpg", Text: "this colour?"}
	got, err := hs.s.PostMessage(ctx, ref, lazadaHeader, m)
	if err != nil {
		t.Fatal(err)
	}
	m.Recalled = true
	if err := hs.s.UpdateMessages(ctx, ref, got, lazadaHeader, []bridge.Message{m}); err != nil {
		t.Fatalf("UpdateMessages: %v", err)
	}
	if n, c := len(hs.api.Calls("editMessageCaption")), len(hs.api.Calls("editMessageText")); n != 1 || c != 0 {
		t.Fatalf("%d caption edits and %d text edits, want one caption edit", n, c)
	}
	post, _ := hs.api.Message(inbox, mustAtoi(got.ID))
	if post.Photo == "" || !strings.Contains(post.Text, "Recalled by the buyer") || !strings.Contains(post.Text, "Lazada · SG · Lion Shop") {
		t.Fatalf("photo post after the recall: photo %q, caption %q", post.Photo, post.Text)
	}
}

// After a restart the surface no longer knows how a post was made: the
// topic's first post is laid out without the header, and a photo that went
// out as its fallback text is edited as that text.
func TestUpdateMessagesAfterARestart(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(lazadaHeader)
	hs.api.BadPhoto("https://cf.lazada/gone.jpg")
	m := bridge.Message{ID: "p1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://cf.lazada/gone.jpg"}
	got, err := hs.s.PostMessage(ctx, ref, lazadaHeader, m)
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := New(hs.s.cfg, Deps{Clock: hs.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	m.Recalled = true
	if err := restarted.UpdateMessages(ctx, ref, got, lazadaHeader, []bridge.Message{m}); err != nil {
		t.Fatalf("UpdateMessages after a restart: %v", err)
	}
	post, _ := hs.api.Message(inbox, mustAtoi(got.ID))
	if post.Photo != "" || post.Edits != 1 || !strings.Contains(post.Text, "Recalled by the buyer") || !strings.Contains(post.Text, "Photo (Telegram could not load it)") {
		t.Fatalf("post after the recall: %+v", post)
	}
	if strings.Contains(post.Text, "Open in Seller Centre") || strings.Contains(post.Text, "Lion Shop") {
		t.Errorf("a restart forgot the header, but it is there: %q", post.Text)
	}
}

// A post deleted since is done; so is an edit that changes nothing.
func TestUpdateMessagesOfADeletedPostIsDone(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	m := textMsg("m1", "hello")
	got, err := hs.s.PostMessage(ctx, ref, testHeader, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.s.UpdateMessages(ctx, ref, got, testHeader, []bridge.Message{m}); err != nil {
		t.Fatalf("an edit that changes nothing: %v", err)
	}
	hs.api.DeleteMessage(inbox, mustAtoi(got.ID))
	m.Recalled = true
	if err := hs.s.UpdateMessages(ctx, ref, got, testHeader, []bridge.Message{m}); err != nil {
		t.Fatalf("UpdateMessages of a deleted post: %v, want nil", err)
	}
}

// In a reply chain the edited post keeps its 🧵 marker.
func TestUpdateMessagesInAReplyChain(t *testing.T) {
	const plain = int64(-1002000000002)
	hs := newHarness(t, func(c *Config) { c.InboxChat = plain })
	hs.api.AddChat(telegramtest.Chat{ID: plain, Title: "No topics"})
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	m := textMsg("m1", "hello")
	got, err := hs.s.PostMessage(ctx, ref, testHeader, m)
	if err != nil {
		t.Fatal(err)
	}
	m.Recalled = true
	if err := hs.s.UpdateMessages(ctx, ref, got, testHeader, []bridge.Message{m}); err != nil {
		t.Fatal(err)
	}
	post, _ := hs.api.Message(plain, mustAtoi(got.ID))
	if !strings.HasPrefix(post.Text, "🧵 ") || !strings.Contains(post.Text, "Recalled by the buyer") {
		t.Fatalf("post after the recall: %q", post.Text)
	}
}

// An edit spends the group's budget at the lowest priority: a buyer message
// queued after it still goes first.
func TestUpdateMessagesWaitsBehindBuyerContent(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	m := textMsg("m1", "hello")
	got, err := hs.s.PostMessage(ctx, ref, testHeader, m)
	if err != nil {
		t.Fatal(err)
	}
	before := len(hs.api.GroupCalls(inbox, 200))
	hs.s.pacer.block(inbox, time.Hour)
	var wg sync.WaitGroup
	run := func(what string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				t.Errorf("%s: %v", what, err)
			}
		}()
	}
	m.Recalled = true
	run("update", func() error { return hs.s.UpdateMessages(ctx, ref, got, testHeader, []bridge.Message{m}) })
	hs.waitFor("edit queued", func() bool { return hs.s.queued(inbox) == 1 })
	run("post", func() error { _, err := hs.s.PostMessage(ctx, ref, testHeader, textMsg("m2", "anyone?")); return err })
	hs.waitFor("post queued", func() bool { return hs.s.queued(inbox) == 2 })
	hs.unblock(inbox)
	wg.Wait()
	if got := fmt.Sprint(methodsSince(hs.api, inbox, before)); got != "[sendMessage editMessageText]" {
		t.Errorf("calls went out as %s, want the buyer post first", got)
	}
}

// A post that began with the end of a long message from the post before
// keeps that end when a message of its own is recalled.
func TestUpdateMessagesKeepsTheTailOfALongMessage(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	long := textMsg("long", strings.Repeat("panjang sekali ", 400)) // ~6,000 characters
	msgs := []bridge.Message{long, textMsg("m2", "and this one")}
	refs, err := hs.s.PostMessages(ctx, ref, testHeader, msgs)
	if err != nil || len(refs) != 2 || refs[0] == refs[1] {
		t.Fatalf("PostMessages = %v, %v; want two posts", refs, err)
	}
	id := mustAtoi(refs[1].ID)
	before, _ := hs.api.Message(inbox, id)
	if !strings.HasPrefix(before.Text, "panjang") && !strings.HasPrefix(before.Text, "sekali") {
		t.Fatalf("the second post does not start with the long message's end: %q", before.Text[:40])
	}
	msgs[1].Recalled = true
	if err := hs.s.UpdateMessages(ctx, ref, refs[1], testHeader, msgs[1:]); err != nil {
		t.Fatal(err)
	}
	after, _ := hs.api.Message(inbox, id)
	want := strings.Replace(before.Text, "and this one", "↩️ Recalled by the buyer — struck through below, kept for agents\nand this one", 1)
	if after.Text != want {
		t.Fatalf("after the recall:\n%q\nwant:\n%q", after.Text, want)
	}
	if first, _ := hs.api.Message(inbox, mustAtoi(refs[0].ID)); first.Edits != 0 {
		t.Errorf("the first post was edited")
	}
}

// Only the post is edited: a rendering that goes on beyond it is cut there
// with "…", and the next post keeps its text.
func TestUpdateMessagesCutsWhatGoesBeyondThePost(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, _ := hs.openThread(testHeader)
	msgs := []bridge.Message{textMsg("m1", "sorry, wrong chat"), textMsg("long", strings.Repeat("panjang sekali ", 270))} // ~4,000 characters
	refs, err := hs.s.PostMessages(ctx, ref, testHeader, msgs)
	if err != nil || len(refs) != 2 || refs[0] != refs[1] {
		t.Fatalf("PostMessages = %v, %v; want both in the first post", refs, err)
	}
	thread := hs.api.ThreadMessages(inbox, mustAtoi(ref.ID))
	if len(thread) != 2 {
		t.Fatalf("%d posts, want the long message to go on in a second", len(thread))
	}
	second := thread[1]
	msgs[0].Recalled = true
	if err := hs.s.UpdateMessages(ctx, ref, refs[0], testHeader, msgs); err != nil {
		t.Fatal(err)
	}
	first, _ := hs.api.Message(inbox, mustAtoi(refs[0].ID))
	if first.Edits != 1 || !strings.Contains(first.Text, "Recalled by the buyer") || !strings.HasSuffix(first.Text, "\n…") {
		t.Fatalf("edited post (%d edits) ends %q", first.Edits, first.Text[len(first.Text)-40:])
	}
	if after, _ := hs.api.Message(inbox, second.ID); after.Edits != 0 || after.Text != second.Text {
		t.Errorf("the next post changed")
	}
}
