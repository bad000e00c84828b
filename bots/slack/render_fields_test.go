package slack

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// lazadaHeader is a thread header of a Lazada store.
func lazadaHeader(conv string) bridge.ThreadHeader {
	st := bridge.Store{ID: "lazada-sg", Platform: bridge.PlatformLazada, ShopID: "2001", Name: "Lion Shop", Site: "SG"}
	return bridge.ThreadHeader{Store: st, Conversation: bridge.ConversationID(conv), BuyerID: "b-" + conv, BuyerName: "Wei Ling", AwaitingReply: true}
}

// postAndGet posts m into a new thread of h and returns the stored post.
func postAndGet(t *testing.T, f *fixture, h bridge.ThreadHeader, m bridge.Message) (blocks json.RawMessage, text string) {
	t.Helper()
	ctx := context.Background()
	ref, err := f.s.OpenThread(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.s.PostMessage(ctx, ref, h, m)
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	posted, ok := f.fake.Message(ref.Channel, got.ID)
	if !ok {
		t.Fatal("post not found")
	}
	return posted.Blocks, posted.Text
}

// blockTypes lists the types of a post's top-level blocks.
func blockTypes(raw json.RawMessage) []string {
	var blocks []map[string]any
	_ = json.Unmarshal(raw, &blocks)
	out := make([]string, len(blocks))
	for i, b := range blocks {
		out[i], _ = b["type"].(string)
	}
	return out
}

// topText is the text of each top-level block (a section's text, a
// context's first element).
func topText(raw json.RawMessage) []string {
	var blocks []map[string]any
	_ = json.Unmarshal(raw, &blocks)
	out := make([]string, len(blocks))
	for i, b := range blocks {
		if t, ok := b["text"].(map[string]any); ok {
			out[i], _ = t["text"].(string)
		}
		if els, ok := b["elements"].([]any); ok && len(els) > 0 {
			if e, ok := els[0].(map[string]any); ok {
				out[i], _ = e["text"].(string)
			}
		}
	}
	return out
}

func TestRenderNewMessageFields(t *testing.T) {
	tests := []struct {
		name string
		msg  bridge.Message
		// wants are in the post's block text; types the top-level blocks.
		wants []string
		types []string
	}{
		{"recalled text stays, greyed", bridge.Message{Kind: bridge.KindText, Text: "wrong size, sorry", Recalled: true},
			[]string{"Recalled by the buyer", "wrong size, sorry"}, []string{"context", "section", "context"}},
		{"recalled by the seller", bridge.Message{Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "oops", Recalled: true},
			[]string{"Recalled by the seller", "oops"}, []string{"context", "section", "context"}},
		{"recalled image becomes a grey link", bridge.Message{Kind: bridge.KindImage, URL: "https://cf.lazada.example/p.jpg", Recalled: true},
			[]string{"Recalled by the buyer", "https://cf.lazada.example/p.jpg|Image"}, []string{"context", "section", "context"}},
		{"translation under the text", bridge.Message{Kind: bridge.KindText, Text: "有货吗？", Translation: "Is it in stock?"},
			[]string{"有货吗？", "Lazada translation:", "Is it in stock?"}, []string{"context", "section", "section"}},
		{"auto-reply", bridge.Message{Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "We reply within 24h", AutoReply: true},
			[]string{":robot_face:", "auto-reply by Lazada", "We reply within 24h"}, []string{"context", "section"}},
		{"safety note", bridge.Message{Kind: bridge.KindText, Text: "call me on 0123", SafetyNote: "Contact details are not allowed"},
			[]string{"call me on 0123", "Blocked by Lazada's safety check — only you can see it", "Contact details are not allowed"}, []string{"context", "section", "section"}},
		{"refund card", bridge.Message{Kind: bridge.KindRefund, Card: &bridge.Card{OrderID: "LZ-9001", Title: "Wrong colour", Price: "SGD 12.90"}},
			[]string{"Return/refund request", "LZ-9001", "Wrong colour", "SGD 12.90"}, []string{"context", "section"}},
		{"refund card without details", bridge.Message{Kind: bridge.KindRefund},
			[]string{"Return/refund request", "no details"}, []string{"context", "section"}},
		{"system notice names the platform and sender", bridge.Message{Sender: bridge.SenderSystem, SenderName: "Lazada Bot", Kind: bridge.KindText, Text: "The buyer confirmed receipt"},
			[]string{"Lazada notice", "Lazada Bot", "The buyer confirmed receipt"}, []string{"context", "section"}},
		{"everything at once", bridge.Message{Kind: bridge.KindText, Text: "hi", Translation: "hello", SafetyNote: "risky", Recalled: true},
			[]string{"Recalled by the buyer", "hi", "hello", "Blocked by Lazada"}, []string{"context", "section", "context", "context", "section"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			m := tt.msg
			m.ID = bridge.MessageID("k" + string(rune('a'+i)))
			if m.Sender == "" {
				m.Sender = bridge.SenderBuyer
			}
			blocks, _ := postAndGet(t, f, lazadaHeader("c1"), m)
			text := blockText(blocks)
			for _, w := range tt.wants {
				if !strings.Contains(text, w) {
					t.Errorf("%q missing from:\n%s", w, text)
				}
			}
			if got := blockTypes(blocks); !slices.Equal(got, tt.types) {
				t.Errorf("blocks %v, want %v:\n%s", got, tt.types, text)
			}
		})
	}
}

// A buyer's translation and safety note are escaped like buyer text.
func TestRenderNewFieldsAreEscaped(t *testing.T) {
	f := newFixture(t, nil)
	evil := "<!channel> pay at <http://evil.example|bank.com> & @everyone"
	m := bridge.Message{ID: "m-evil", Sender: bridge.SenderBuyer, SenderName: "<!here>", Kind: bridge.KindText, Text: "hi",
		Translation: evil, SafetyNote: evil, Recalled: true}
	blocks, fallback := postAndGet(t, f, lazadaHeader("c1"), m)
	for _, txt := range append(topText(blocks), fallback) {
		for _, bad := range []string{"<!channel>", "<!here>", "<http://evil.example|bank.com>", "@everyone"} {
			if strings.Contains(txt, bad) {
				t.Errorf("kept %q: %q", bad, txt)
			}
		}
	}
	if !strings.Contains(blockText(blocks), "&lt;!channel&gt;") {
		t.Errorf("the translation is not shown escaped:\n%s", blockText(blocks))
	}
	for _, obj := range blocksOfType(blocks, "mrkdwn") {
		if obj["verbatim"] != true {
			t.Errorf("text is not verbatim mrkdwn: %v", obj)
		}
	}
}

func TestPlatformNamesInHeaders(t *testing.T) {
	for _, tt := range []struct {
		platform bridge.Platform
		want     string
	}{{bridge.PlatformShopee, "Shopee"}, {bridge.PlatformLazada, "Lazada"}, {bridge.PlatformTikTok, "TikTok Shop"}} {
		h := header(bridge.Store{ID: "s", Platform: tt.platform, Name: "Main", Site: "TH"}, "c1")
		blocks, text := headerBlocks(h)
		raw, _ := json.Marshal(blocks)
		if !strings.Contains(blockText(raw), "*Platform*\n"+tt.want) || !strings.HasPrefix(text, tt.want+" TH Main") {
			t.Errorf("%s: header %q / %q lacks %q", tt.platform, blockText(raw), text, tt.want)
		}
		sys := senderLine(h, bridge.Message{Sender: bridge.SenderSystem, SenderName: "ROBOT"})
		if sys != ":information_source: *"+tt.want+" notice* · ROBOT" {
			t.Errorf("%s: notice line %q", tt.platform, sys)
		}
	}
}
