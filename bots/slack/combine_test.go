package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

func textMsgs(prefix string, n int, text func(i int) string) []bridge.Message {
	out := make([]bridge.Message, n)
	for i := range out {
		out[i] = textMsg(fmt.Sprintf("%s-%03d", prefix, i), text(i))
	}
	return out
}

func ids(msgs []bridge.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.ID)
	}
	return out
}

func numBlocks(raw json.RawMessage) int {
	var blocks []any
	_ = json.Unmarshal(raw, &blocks)
	return len(blocks)
}

func TestPostMessagesCombinesAConversationIntoOnePost(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	msgs := textMsgs("m", 30, func(i int) string { return fmt.Sprintf("question %d: is the blue kettle in stock? <!here>", i) })
	refs, err := f.s.PostMessages(context.Background(), ref, h, msgs)
	if err != nil {
		t.Fatalf("PostMessages: %v", err)
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	if len(thread) != 1 {
		t.Fatalf("%d posts for 30 short messages, want 1", len(thread))
	}
	post := thread[0]
	if got := post.MarketplaceIDs(); !slices.Equal(got, ids(msgs)) {
		t.Fatalf("metadata message_ids = %v, want the 30 IDs in order", got)
	}
	if len(refs) != 30 {
		t.Fatalf("%d refs, want 30", len(refs))
	}
	for i, r := range refs {
		if r.ID != post.TS || r.Channel != ref.Channel {
			t.Fatalf("ref %d = %v, want the post %s", i, r, post.TS)
		}
	}
	text := blockText(post.Blocks)
	for i := range 30 {
		if !strings.Contains(text, fmt.Sprintf("question %d:", i)) {
			t.Fatalf("question %d missing from the post", i)
		}
	}
	if strings.Contains(text, "<!here>") || strings.Contains(post.Text, "<!here>") {
		t.Error("buyer text not escaped in a combined post")
	}
	// One sender line for the run of one buyer's messages, a section each.
	if n := numBlocks(post.Blocks); n != 31 {
		t.Errorf("%d blocks, want 31 (the sender line and one section per message)", n)
	}
	if n := utf8.RuneCountInString(post.Text); n > fallbackRunes || !strings.Contains(post.Text, "+29 more") {
		t.Errorf("fallback text (%d chars) = %q, want a short summary naming how many more", n, post.Text)
	}
	if post.Metadata.EventPayload["conversation"] != "c1" || post.Metadata.EventPayload["store"] != "shop-a" {
		t.Errorf("metadata payload %v lacks the conversation and store", post.Metadata.EventPayload)
	}
}

// TestPostMessagesSplitsAtSlacksLimits: 200 long messages, and a few far
// longer than one post, go out within Slack's limits (the fake refuses
// more than 50 blocks, a section over 3,000 characters, more than 12,000
// characters of block text): every message exactly once, each post's
// metadata naming exactly the messages it shows, each ref the post that
// carries (the start of) its message.
func TestPostMessagesSplitsAtSlacksLimits(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	msgs := textMsgs("m", 200, func(i int) string {
		if i%50 == 7 {
			return fmt.Sprintf("#%03d# ", i) + strings.Repeat("very long complaint & more ", 1400) // ~38,000 characters
		}
		return fmt.Sprintf("#%03d# ", i) + strings.Repeat("word ", 200+i*3)
	})
	refs, err := f.s.PostMessages(context.Background(), ref, h, msgs)
	if err != nil {
		t.Fatalf("PostMessages: %v", err)
	}
	if len(refs) != 200 {
		t.Fatalf("%d refs, want 200", len(refs))
	}
	for _, c := range f.fake.Calls("chat.postMessage") {
		if c.Error != "" {
			t.Fatalf("Slack refused a post: %s", c.Error)
		}
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	carriers := map[string][]fakeslack.Message{}
	for _, p := range thread {
		text := blockText(p.Blocks)
		for _, id := range p.MarketplaceIDs() {
			carriers[id] = append(carriers[id], p)
			if n := strings.Count(text, "#"+strings.TrimPrefix(id, "m-")+"#"); n > 1 {
				t.Errorf("post %s shows message %s %d times", p.TS, id, n)
			}
		}
		if n := numBlocks(p.Blocks); n > fakeslack.MaxBlocks {
			t.Errorf("post with %d blocks", n)
		}
	}
	for i, m := range msgs {
		posts := carriers[string(m.ID)]
		if len(posts) == 0 {
			t.Fatalf("message %s is in no post's metadata", m.ID)
		}
		if refs[i].ID != posts[0].TS {
			t.Errorf("ref of %s = %s, want its first post %s", m.ID, refs[i].ID, posts[0].TS)
		}
		// The text is all there, in the posts that name it.
		var all strings.Builder
		for _, p := range posts {
			all.WriteString(blockText(p.Blocks))
		}
		want := strings.Count(escapeText(m.Text), "word") + strings.Count(escapeText(m.Text), "complaint")
		if got := strings.Count(all.String(), "word") + strings.Count(all.String(), "complaint"); got < want {
			t.Errorf("message %s: %d of %d words posted", m.ID, got, want)
		}
		if len(posts) > 1 {
			for j, p := range posts {
				if p.Metadata.EventPayload["part"] != float64(j) || p.Metadata.EventPayload["parts"] != float64(len(posts)) {
					t.Errorf("part %d of %s: metadata %v", j, m.ID, p.Metadata.EventPayload)
				}
			}
		}
	}
	t.Logf("200 long messages in %d posts", len(thread))
	if len(thread) >= 150 {
		t.Errorf("%d posts for 200 messages: not combined", len(thread))
	}
}

func TestPostMessagesNewSenderLineOnChange(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	msgs := []bridge.Message{
		textMsg("m-1", "hello"),
		textMsg("m-2", "anyone?"),
		{ID: "m-3", Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "Shipped today"},
		textMsg("m-4", "thanks"),
	}
	if _, err := f.s.PostMessages(context.Background(), ref, h, msgs); err != nil {
		t.Fatal(err)
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	if len(thread) != 1 {
		t.Fatalf("%d posts, want 1", len(thread))
	}
	if n := len(blocksOfType(thread[0].Blocks, "context")); n != 3 {
		t.Fatalf("%d sender lines, want 3 (buyer, seller, buyer)", n)
	}
	if !strings.Contains(blockText(thread[0].Blocks), "sent from Seller Centre") {
		t.Error("the seller's message is not marked")
	}
}

// TestFindPostedReadsCombinedAndSingleIDPosts: one scan finds IDs in a
// combined post and in posts of the earlier single-ID format.
func TestFindPostedReadsCombinedAndSingleIDPosts(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	old := func(id string, part int) string {
		_, ts, err := f.s.api.PostMessageContext(ctx, ref.Channel, slack.MsgOptionTS(ref.ID), slack.MsgOptionText("old", false),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metaMessage, EventPayload: map[string]any{"message_id": id, "part": part, "conversation": "c1", "store": "shop-a"}}))
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	oldTS := old("old-1", 0)
	old("old-1", 1)
	old("old-2", 1) // a continuation without its first part
	refs, err := f.s.PostMessages(ctx, ref, h, textMsgs("new", 3, func(i int) string { return "text" }))
	if err != nil {
		t.Fatal(err)
	}
	calls := len(f.fake.Calls("conversations.replies"))
	got, err := f.s.FindPosted(ctx, ref, []bridge.MessageID{"old-1", "old-2", "new-000", "new-002", "never"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[bridge.MessageID]bridge.ChatMessageRef{
		"old-1":   {Channel: ref.Channel, ID: oldTS},
		"new-000": refs[0],
		"new-002": refs[2],
	}
	if len(got) != len(want) {
		t.Fatalf("FindPosted = %v, want %v", got, want)
	}
	for id, r := range want {
		if got[id] != r {
			t.Fatalf("FindPosted[%s] = %v, want %v", id, got[id], r)
		}
	}
	if n := len(f.fake.Calls("conversations.replies")) - calls; n != 1 {
		t.Errorf("%d conversations.replies calls for 5 IDs, want one scan", n)
	}
}

func TestFindPostedPagesThroughLongThreads(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	var last []bridge.ChatMessageRef
	for i := range 450 {
		refs, err := f.s.PostMessages(ctx, ref, h, []bridge.Message{textMsg(fmt.Sprintf("m-%03d", i), "x")})
		if err != nil {
			t.Fatal(err)
		}
		last = refs
	}
	got, err := f.s.FindPosted(ctx, ref, []bridge.MessageID{"m-449", "m-000"})
	if err != nil || got["m-449"] != last[0] || got["m-000"].IsZero() {
		t.Fatalf("FindPosted = %v, %v; want m-449 at %v and m-000", got, err, last[0])
	}
}

// TestPostMessagesPartialFailureReturnsThePrefix: the second post fails;
// the refs of the first post's messages come back with the error, and a
// retry of the rest posts it once.
func TestPostMessagesPartialFailureReturnsThePrefix(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBlocks = 11 }) // 10 messages per post
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	msgs := textMsgs("m", 25, func(i int) string { return fmt.Sprintf("message %d", i) })
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Error: "invalid_arguments", Skip: 1, Times: 1})
	refs, err := f.s.PostMessages(ctx, ref, h, msgs)
	if err == nil || bridge.Classify(err) != bridge.KindPermanent {
		t.Fatalf("err = %v, want the second post's permanent error", err)
	}
	if len(refs) != 10 {
		t.Fatalf("%d refs, want the first post's 10", len(refs))
	}
	more, err := f.s.PostMessages(ctx, ref, h, msgs[len(refs):])
	if err != nil || len(more) != 15 {
		t.Fatalf("retry: %d refs, %v; want 15", len(more), err)
	}
	seen := map[string]int{}
	for _, p := range f.fake.Thread(ref.Channel, ref.ID) {
		for _, id := range p.MarketplaceIDs() {
			seen[id]++
		}
	}
	for _, m := range msgs {
		if seen[string(m.ID)] != 1 {
			t.Errorf("%s posted %d times", m.ID, seen[string(m.ID)])
		}
	}
}

// TestPostMessagesAfterTimeoutNeverDuplicates: the second post reaches
// Slack but its answer is lost; the core retries the whole run, and the
// surface looks (one scan) before posting again.
func TestPostMessagesAfterTimeoutNeverDuplicates(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBlocks = 11; c.Pacing.TransientRetries = 0 })
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	msgs := textMsgs("m", 25, func(i int) string { return fmt.Sprintf("message %d", i) })
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusBadGateway, Skip: 1, Times: 1, Applied: true})
	refs, err := f.s.PostMessages(ctx, ref, h, msgs)
	if bridge.Classify(err) != bridge.KindTransient || len(refs) != 10 {
		t.Fatalf("%d refs, err %v; want 10 and a transient error", len(refs), err)
	}
	all, err := f.s.PostMessages(ctx, ref, h, msgs[len(refs):])
	if err != nil || len(all) != 15 {
		t.Fatalf("retry: %d refs, %v", len(all), err)
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	if len(thread) != 3 {
		t.Fatalf("%d posts, want 3 (the lost answer's post is not repeated)", len(thread))
	}
	if all[0].ID != thread[1].TS {
		t.Errorf("the retried messages' ref %v, want the post that reached Slack %s", all[0], thread[1].TS)
	}
}

// TestLongMessageResumesAfterARestart: a long message's second part failed;
// a new process (no memory) is told by FindPosted that it is not posted,
// and PostMessages then posts only the missing parts.
func TestLongMessageResumesAfterARestart(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TextLimit = 500; c.MaxBlocks = 4 })
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	long := textMsg("m-long", strings.Repeat("word ", 700)) // 3 parts
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Error: "invalid_arguments", Skip: 1, Times: 1})
	if _, err := f.s.PostMessages(ctx, ref, h, []bridge.Message{long}); err == nil {
		t.Fatal("the failed part did not fail the call")
	}
	restarted, err := New(f.s.cfg, Deps{Clock: f.clock, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	found, err := restarted.FindPosted(ctx, ref, []bridge.MessageID{"m-long"})
	if err != nil || len(found) != 0 {
		t.Fatalf("FindPosted = %v, %v; a message missing parts is not posted", found, err)
	}
	refs, err := restarted.PostMessages(ctx, ref, h, []bridge.Message{long})
	if err != nil {
		t.Fatal(err)
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	if len(thread) != 3 || refs[0].ID != thread[0].TS {
		t.Fatalf("%d posts (ref %v), want the 3 parts once, the ref the first", len(thread), refs)
	}
	for i, p := range thread {
		if p.Metadata.EventPayload["part"] != float64(i) {
			t.Errorf("post %d is part %v", i, p.Metadata.EventPayload["part"])
		}
	}
}

func TestPostMessagesIntoDeletedThread(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	f.fake.DeleteMessage(ref.Channel, ref.ID)
	refs, err := f.s.PostMessages(context.Background(), ref, h, textMsgs("m", 3, func(int) string { return "hi" }))
	if !errors.Is(err, bridge.ErrThreadGone) || len(refs) != 0 {
		t.Fatalf("%v, %v; want no refs and ErrThreadGone", refs, err)
	}
}

func TestResumedBroadcastsTheFirstPostOnly(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBlocks = 3 }) // 2 messages per post
	ref, h := openThread(t, f, "c1")
	h.Resumed = true
	if _, err := f.s.PostMessages(context.Background(), ref, h, textMsgs("m", 4, func(int) string { return "back again" })); err != nil {
		t.Fatal(err)
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	if len(thread) != 2 || !thread[0].Broadcast || thread[1].Broadcast {
		t.Fatalf("%d posts, broadcast %v/%v; want the first of 2 broadcast", len(thread), thread[0].Broadcast, thread[len(thread)-1].Broadcast)
	}
}

func TestRefusedImageInACombinedPostFallsBackToLinks(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Error: "invalid_blocks", Times: 1})
	msgs := []bridge.Message{textMsg("m-1", "look"), {ID: "img-1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://cf.shopee.example/broken.jpg"}}
	refs, err := f.s.PostMessages(context.Background(), ref, h, msgs)
	if err != nil || len(refs) != 2 {
		t.Fatalf("%v, %v", refs, err)
	}
	m, _ := f.fake.Message(ref.Channel, refs[1].ID)
	if len(blocksOfType(m.Blocks, "image")) != 0 || !strings.Contains(blockText(m.Blocks), "broken.jpg|Image") {
		t.Fatalf("image not shown as a link: %s", m.Blocks)
	}
}

// TestLayoutPosts checks the cutting rules without Slack.
func TestLayoutPosts(t *testing.T) {
	msg := func(id string, blocks int, chars int) renderedMessage {
		var bs []slack.Block
		for range blocks {
			bs = append(bs, section(strings.Repeat("x", chars)))
		}
		return renderedMessage{id: bridge.MessageID(id), sender: "*Bea*", blocks: bs, summary: "Bea: x"}
	}
	lim := layout{maxBlocks: 10, budget: 1000}
	plans := layoutPosts([]renderedMessage{msg("a", 3, 100), msg("b", 3, 100), msg("c", 4, 100), msg("d", 25, 100), msg("e", 1, 100)}, lim)
	var got []string
	for _, p := range plans {
		got = append(got, fmt.Sprintf("%v/%d/%d", p.ids, p.part, p.parts))
		if len(p.blocks) > lim.maxBlocks || p.chars > lim.budget {
			t.Errorf("plan %v over the limits: %d blocks, %d chars", p.ids, len(p.blocks), p.chars)
		}
	}
	// a+b fit (7 blocks); c does not (11), starts a new post; d is split
	// alone (9 blocks of 100 chars each fit the budget with the sender line);
	// e follows in its own post.
	want := []string{"[a b]/0/0", "[c]/0/0", "[d]/0/3", "[d]/1/3", "[d]/2/3", "[e]/0/0"}
	if !slices.Equal(got, want) {
		t.Fatalf("layout = %v, want %v", got, want)
	}
}

// TestBlocksTooLongRecutsTheRest: Slack's cumulative block limit is not
// documented; when it refuses a combined post anyway, the rest of the call
// is cut into smaller posts instead of failing.
func TestBlocksTooLongRecutsTheRest(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Error: "msg_blocks_too_long", Times: 1})
	msgs := textMsgs("m", 30, func(i int) string { return strings.Repeat("long text ", 50) })
	refs, err := f.s.PostMessages(context.Background(), ref, h, msgs)
	if err != nil || len(refs) != 30 {
		t.Fatalf("%d refs, %v; want all 30 posted", len(refs), err)
	}
	seen := map[string]int{}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	for _, p := range thread {
		for _, id := range p.MarketplaceIDs() {
			seen[id]++
		}
	}
	for _, m := range msgs {
		if seen[string(m.ID)] != 1 {
			t.Errorf("%s posted %d times", m.ID, seen[string(m.ID)])
		}
	}
	t.Logf("30 messages of 500 characters in %d posts after one refusal", len(thread))
}
