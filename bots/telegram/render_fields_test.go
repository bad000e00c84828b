package telegram

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

var lazadaHeader = bridge.ThreadHeader{
	Store:        bridge.Store{ID: "lazada-sg", Platform: bridge.PlatformLazada, Site: "SG", Name: "Lion Shop"},
	Conversation: "c9", BuyerID: "b9", BuyerName: "Wei Ling",
}

// entityText is the visible text of every entity of a type.
func entityText(text string, ents []models.MessageEntity, typ models.MessageEntityType) []string {
	var out []string
	for _, e := range ents {
		if e.Type == typ {
			out = append(out, utf16Slice(text, e.Offset, e.Length))
		}
	}
	return out
}

// utf16Slice cuts text by UTF-16 offsets, as entities count.
func utf16Slice(text string, off, n int) string {
	var b strings.Builder
	pos := 0
	for _, r := range text {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if pos >= off && pos < off+n {
			b.WriteRune(r)
		}
		pos += w
	}
	return b.String()
}

func TestPlanNewMessageFields(t *testing.T) {
	r := renderer{loc: time.UTC}
	tests := []struct {
		name   string
		msg    bridge.Message
		want   []string
		struck []string
	}{
		{"recalled text stays, struck", bridge.Message{Kind: bridge.KindText, Text: "wrong size, sorry\nreally", Recalled: true},
			[]string{"↩️ Recalled by the buyer", "wrong size, sorry\nreally"}, []string{"wrong size, sorry\nreally"}},
		{"recalled by the seller", bridge.Message{Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "oops", Recalled: true},
			[]string{"Recalled by the seller", "oops"}, []string{"oops"}},
		{"translation under the text", bridge.Message{Kind: bridge.KindText, Text: "有货吗？", Translation: "Is it in stock?"},
			[]string{"有货吗？\n🌐 Lazada translation: Is it in stock?"}, nil},
		{"recalled translation struck too", bridge.Message{Kind: bridge.KindText, Text: "有货吗？", Translation: "Is it in stock?", Recalled: true},
			[]string{"Lazada translation: Is it in stock?"}, []string{"有货吗？", "Is it in stock?"}},
		{"auto-reply", bridge.Message{Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "We reply within 24h", AutoReply: true},
			[]string{"🤖 Seller · auto-reply by Lazada", "We reply within 24h"}, nil},
		{"safety note", bridge.Message{Kind: bridge.KindText, Text: "call me", SafetyNote: "Contact details are not allowed"},
			[]string{"call me\n⛔ Blocked by Lazada's safety check — only you can see it\nContact details are not allowed"}, nil},
		{"refund card", bridge.Message{Kind: bridge.KindRefund, Card: &bridge.Card{OrderID: "LZ-9001", Title: "Wrong colour", Price: "SGD 12.90"}},
			[]string{"💸 Return/refund request · order LZ-9001", "Wrong colour", "SGD 12.90"}, nil},
		{"refund card without an order", bridge.Message{Kind: bridge.KindRefund},
			[]string{"💸 Return/refund request"}, nil},
		{"system notice names platform and sender", bridge.Message{Sender: bridge.SenderSystem, SenderName: "ROBOT", Kind: bridge.KindText, Text: "Order shipped"},
			[]string{"ℹ️ Lazada notice · ROBOT", "Order shipped"}, nil},
		{"recalled photo keeps the photo, says so", bridge.Message{Kind: bridge.KindImage, URL: "https://cf.lazada/p.jpg", Text: "this", Recalled: true},
			[]string{"Recalled by the buyer", "this"}, []string{"this"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg
			m.ID = bridge.MessageID(rune('a' + i))
			if m.Sender == "" {
				m.Sender = bridge.SenderBuyer
			}
			posts := r.plan(lazadaHeader, []bridge.Message{m}, htmlText{}, htmlText{})
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			text := mustParse(t, posts)[0]
			_, ents, _ := telegramtest.ParseHTML(posts[0].text.html)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("post %q lacks %q", text, w)
				}
			}
			if got := entityText(text, ents, models.MessageEntityTypeStrikethrough); strings.Join(got, "|") != strings.Join(tt.struck, "|") {
				t.Errorf("struck %q, want %q", got, tt.struck)
			}
		})
	}
}

// Translations and safety notes come from the marketplace: escaped and
// defused like buyer text.
func TestPlanNewFieldsAreEscaped(t *testing.T) {
	r := renderer{loc: time.UTC}
	evil := `<a href="tg://x">pay</a> & @everyone /start`
	m := bridge.Message{ID: "e", Sender: bridge.SenderSystem, SenderName: "<b>", Kind: bridge.KindText, Text: "hi",
		Translation: evil, SafetyNote: evil, Recalled: true}
	posts := r.plan(lazadaHeader, []bridge.Message{m}, htmlText{}, htmlText{})
	text := mustParse(t, posts)[0]
	_, ents, _ := telegramtest.ParseHTML(posts[0].text.html)
	if strings.Count(text, `<a href="tg://x">pay</`) != 2 {
		t.Errorf("translation or note not shown as text: %q", text)
	}
	for _, e := range ents {
		switch e.Type {
		case models.MessageEntityTypeTextLink, models.MessageEntityTypeMention, models.MessageEntityTypeBotCommand:
			t.Errorf("marketplace text made a %s entity: %q", e.Type, utf16Slice(text, e.Offset, e.Length))
		}
	}
}

func TestPlatformNamesInHeadersAndTopics(t *testing.T) {
	for _, tt := range []struct {
		platform bridge.Platform
		want     string
	}{{bridge.PlatformShopee, "Shopee"}, {bridge.PlatformLazada, "Lazada"}, {bridge.PlatformTikTok, "TikTok Shop"}} {
		h := testHeader
		h.Store.Platform = tt.platform
		if got := topicName(h, markAwaiting); got != "🟠 "+tt.want+" MY · Main Store · Aisyah" {
			t.Errorf("%s: topic %q", tt.platform, got)
		}
		lead, _, _ := telegramtest.ParseHTML(headerLead(h).html)
		if !strings.HasPrefix(lead, "🛍 "+tt.want+" · MY · Main Store") {
			t.Errorf("%s: header %q", tt.platform, lead)
		}
		head, _, _ := telegramtest.ParseHTML(renderer{loc: time.UTC}.head(h, bridge.Message{Sender: bridge.SenderSystem}, false).html)
		if head != "ℹ️ "+tt.want+" notice" {
			t.Errorf("%s: notice head %q", tt.platform, head)
		}
	}
}

// A topic named before platforms were capitalized is not renamed for the
// case alone: it takes the new name with its next status change.
func TestTopicNamedInLowerCaseIsNotRenamedForCaseAlone(t *testing.T) {
	hs := newHarness(t)
	ctx := context.Background()
	ref, k := hs.openThread(testHeader)
	hs.s.rememberName(ctx, k, "🟢 shopee MY · Main Store · Aisyah")
	if err := hs.s.UpdateThreadHeader(ctx, ref, testHeader); err != nil {
		t.Fatal(err)
	}
	if n := len(hs.api.Calls("editForumTopic")); n != 0 {
		t.Fatalf("%d renames for a change of case only", n)
	}
	waiting := testHeader
	waiting.AwaitingReply = true
	if err := hs.s.UpdateThreadHeader(ctx, ref, waiting); err != nil {
		t.Fatal(err)
	}
	if got := hs.api.Topics(inbox)[0].Name; got != "🟠 Shopee MY · Main Store · Aisyah" {
		t.Fatalf("after a status change the topic is %q", got)
	}
}
