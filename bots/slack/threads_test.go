package slack

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// blockText returns every text in a message's blocks, one per line.
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
			for k, c := range t {
				if k != "text" {
					walk(c)
				} else if _, ok := c.(string); !ok {
					walk(c)
				}
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

// blocksOfType returns the blocks (and accessories/elements) of a type.
func blocksOfType(raw json.RawMessage, typ string) []map[string]any {
	var v any
	_ = json.Unmarshal(raw, &v)
	var out []map[string]any
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if t["type"] == typ {
				out = append(out, t)
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
	return out
}

func TestOpenThreadRoutesAndDescribesTheConversation(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	tests := []struct {
		name    string
		store   bridge.Store
		channel string
	}{
		{"store channel wins", store("shop-a", "MY", chStore), chStore},
		{"site channel", store("shop-b", "MY", ""), chSiteMY},
		{"inbox otherwise", store("shop-c", "TH", ""), chInbox},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := header(tt.store, "conv-"+string(tt.store.ID))
			ref, err := f.s.OpenThread(ctx, h)
			if err != nil {
				t.Fatalf("OpenThread: %v", err)
			}
			if ref.Channel != tt.channel || ref.ID == "" {
				t.Fatalf("thread = %+v, want a root in %s", ref, tt.channel)
			}
			root, ok := f.fake.Message(tt.channel, ref.ID)
			if !ok || root.ThreadTS != "" {
				t.Fatalf("root message missing or not top-level: %+v", root)
			}
			text := blockText(root.Blocks)
			for _, want := range []string{"Shopee", "Main Store", tt.store.Site, "Bea Buyer", "Awaiting reply", "1 unread", "Open in Seller Centre", "seller.shopee.com.my/webchat/conversations/conv-"} {
				if !strings.Contains(text, want) {
					t.Errorf("header lacks %q:\n%s", want, text)
				}
			}
			if root.Metadata == nil || root.Metadata.EventType != metaThread || root.Metadata.EventPayload["conversation"] != string(h.Conversation) {
				t.Errorf("header metadata = %+v, want the conversation", root.Metadata)
			}
		})
	}
}

func TestOpenThreadContinued(t *testing.T) {
	f := newFixture(t, nil)
	h := header(store("shop-a", "TH", ""), "c1")
	h.Continued = true
	ref, err := f.s.OpenThread(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := f.fake.Message(ref.Channel, ref.ID)
	if !strings.Contains(blockText(root.Blocks), "Continues a conversation whose earlier thread was deleted") {
		t.Fatalf("continued header does not say so:\n%s", blockText(root.Blocks))
	}
	// The core's later updates do not repeat Continued; the header keeps it.
	h.Continued, h.AwaitingReply = false, false
	if err := f.s.UpdateThreadHeader(context.Background(), ref, h); err != nil {
		t.Fatal(err)
	}
	root, _ = f.fake.Message(ref.Channel, ref.ID)
	if !strings.Contains(blockText(root.Blocks), "Continues a conversation") || !strings.Contains(blockText(root.Blocks), "Answered") {
		t.Fatalf("update dropped the continued note or status:\n%s", blockText(root.Blocks))
	}
}

func TestHeaderEscapesBuyerName(t *testing.T) {
	f := newFixture(t, nil)
	h := header(store("shop-a", "TH", ""), "c1")
	h.BuyerName = "<!channel> <@U0ADMIN>"
	ref, err := f.s.OpenThread(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := f.fake.Message(ref.Channel, ref.ID)
	for _, txt := range []string{blockText(root.Blocks), root.Text} {
		if strings.Contains(txt, "<!channel>") || strings.Contains(txt, "<@U0ADMIN>") {
			t.Fatalf("buyer name injected markup: %q", txt)
		}
	}
}

func TestUpdateThreadHeaderEditsInPlaceAndSurfacesResumedOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	h := header(store("shop-a", "TH", ""), "c1")
	ref, err := f.s.OpenThread(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	h.AwaitingReply, h.Unread = false, 0
	if err := f.s.UpdateThreadHeader(ctx, ref, h); err != nil {
		t.Fatalf("UpdateThreadHeader: %v", err)
	}
	root, _ := f.fake.Message(chInbox, ref.ID)
	if root.Updates != 1 || !strings.Contains(blockText(root.Blocks), "Answered") {
		t.Fatalf("header not edited to answered (updates=%d):\n%s", root.Updates, blockText(root.Blocks))
	}
	if n := len(f.fake.Roots(chInbox)); n != 1 {
		t.Fatalf("%d top-level messages after a plain update, want 1", n)
	}

	h.AwaitingReply, h.Unread, h.Resumed = true, 1, true
	for i := 0; i < 2; i++ { // the same episode, reported twice
		if err := f.s.UpdateThreadHeader(ctx, ref, h); err != nil {
			t.Fatal(err)
		}
	}
	roots := f.fake.Roots(chInbox)
	if len(roots) != 2 {
		t.Fatalf("%d top-level messages, want the header and one resumed notice", len(roots))
	}
	notice := blockText(roots[1].Blocks)
	if !strings.Contains(notice, "wrote again") || !strings.Contains(notice, "archives/"+chInbox) {
		t.Fatalf("resumed notice lacks text or thread link:\n%s", notice)
	}
	// A new episode after the conversation went quiet again.
	h.Resumed = false
	_ = f.s.UpdateThreadHeader(ctx, ref, h)
	h.Resumed = true
	_ = f.s.UpdateThreadHeader(ctx, ref, h)
	if n := len(f.fake.Roots(chInbox)); n != 3 {
		t.Fatalf("%d top-level messages after a second resume, want 3", n)
	}
}

func TestUpdateThreadHeaderOfDeletedRootIsThreadGone(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	h := header(store("shop-a", "TH", ""), "c1")
	ref, _ := f.s.OpenThread(ctx, h)
	f.fake.DeleteMessage(ref.Channel, ref.ID)
	err := f.s.UpdateThreadHeader(ctx, ref, h)
	if !errors.Is(err, bridge.ErrThreadGone) {
		t.Fatalf("err = %v, want ErrThreadGone", err)
	}
}
