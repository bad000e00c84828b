package slack

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// A combined post of three messages whose middle one is recalled is edited
// once: the recalled message shows recalled, the others unchanged, and the
// metadata still names all three (FindPosted finds them).
func TestUpdateMessagesShowsARecallInItsCombinedPost(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	h := lazadaHeader("c1")
	ref, err := f.s.OpenThread(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []bridge.Message{textMsg("m-1", "first <b>"), textMsg("m-2", "wrong size, sorry"), textMsg("m-3", "I meant M")}
	refs, err := f.s.PostMessages(ctx, ref, h, msgs)
	if err != nil || len(refs) != 3 || refs[0] != refs[1] || refs[1] != refs[2] {
		t.Fatalf("PostMessages = %v, %v; want one post for three", refs, err)
	}
	before, _ := f.fake.Message(ref.Channel, refs[0].ID)
	beforeText := topText(before.Blocks)

	msgs[1].Recalled = true
	if err := f.s.UpdateMessages(ctx, ref, refs[0], h, msgs); err != nil {
		t.Fatalf("UpdateMessages: %v", err)
	}
	if n := len(f.fake.Calls("chat.update")); n != 1 {
		t.Fatalf("%d chat.update calls, want exactly one", n)
	}
	after, _ := f.fake.Message(ref.Channel, refs[0].ID)
	if after.Updates != 1 || len(f.fake.Thread(ref.Channel, ref.ID)) != 1 {
		t.Fatalf("updates %d, thread has %d posts; want the one post edited once", after.Updates, len(f.fake.Thread(ref.Channel, ref.ID)))
	}
	if !slices.Equal(after.MarketplaceIDs(), []string{"m-1", "m-2", "m-3"}) || after.Metadata.EventType != "shopbridge_message" {
		t.Fatalf("metadata after the update: %+v", after.Metadata)
	}
	afterText := topText(after.Blocks)
	// sender, m-1, recall line, m-2 greyed, m-3
	want := []string{beforeText[0], beforeText[1], "", "wrong size, sorry", beforeText[3]}
	if len(afterText) != 5 || afterText[0] != want[0] || afterText[1] != want[1] || !strings.Contains(afterText[2], "Recalled by the buyer") ||
		afterText[3] != want[3] || afterText[4] != want[4] {
		t.Fatalf("post after the recall:\n%q\nbefore:\n%q", afterText, beforeText)
	}
	if types := blockTypes(after.Blocks); !slices.Equal(types, []string{"context", "section", "section", "context", "section"}) {
		t.Errorf("block types %v: the recalled message should be greyed (context), the others sections", types)
	}
	if !strings.Contains(afterText[1], "first &lt;b&gt;") {
		t.Errorf("escaping lost in the update: %q", afterText[1])
	}
	found, err := f.s.FindPosted(ctx, ref, []bridge.MessageID{"m-1", "m-2", "m-3"})
	if err != nil || len(found) != 3 || found["m-2"] != refs[0] {
		t.Fatalf("FindPosted after the update = %v, %v", found, err)
	}
}

// A post deleted in Slack cannot show the recall: the update is done, not
// an error, and the thread is not taken for gone.
func TestUpdateMessagesOfADeletedPostIsDone(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	ref, h := openThread(t, f, "c1")
	got, err := f.s.PostMessage(ctx, ref, h, textMsg("m-1", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	f.fake.DeleteMessage(ref.Channel, got.ID)
	m := textMsg("m-1", "hello")
	m.Recalled = true
	if err := f.s.UpdateMessages(ctx, ref, got, h, []bridge.Message{m}); err != nil {
		t.Fatalf("UpdateMessages of a deleted post: %v, want nil", err)
	}
	if _, err := f.s.PostMessage(ctx, ref, h, textMsg("m-2", "still here")); err != nil {
		t.Fatalf("posting into the thread after: %v", err)
	}
}

// The first part of a long message keeps its part metadata when updated;
// a rendering that no longer fits one post is cut with "…", not refused.
func TestUpdateMessagesOfALongMessageUpdatesItsFirstPart(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TextLimit = 500; c.MaxBlocks = 4 })
	ctx := context.Background()
	ref, h := openThread(t, f, "c1")
	m := textMsg("m-long", strings.Repeat("word ", 700))
	got, err := f.s.PostMessage(ctx, ref, h, m)
	if err != nil {
		t.Fatal(err)
	}
	parts := f.fake.Thread(ref.Channel, ref.ID)
	m.Recalled = true
	if err := f.s.UpdateMessages(ctx, ref, got, h, []bridge.Message{m}); err != nil {
		t.Fatalf("UpdateMessages: %v", err)
	}
	first, _ := f.fake.Message(ref.Channel, got.ID)
	p := first.Metadata.EventPayload
	if p["part"] != float64(0) || p["parts"] != float64(len(parts)) || !slices.Equal(first.MarketplaceIDs(), []string{"m-long"}) {
		t.Fatalf("metadata of the updated first part: %v (posted in %d parts)", p, len(parts))
	}
	text := blockText(first.Blocks)
	if !strings.Contains(text, "Recalled by the buyer") || !strings.Contains(text, "…") || len(blockTypes(first.Blocks)) > 4 {
		t.Fatalf("updated first part:\n%s", text)
	}
	if rest, _ := f.fake.Message(ref.Channel, parts[1].TS); rest.Updates != 0 {
		t.Errorf("a later part was edited")
	}
	found, err := f.s.FindPosted(ctx, ref, []bridge.MessageID{"m-long"})
	if err != nil || found["m-long"] != got {
		t.Fatalf("FindPosted after the update = %v, %v", found, err)
	}
}
