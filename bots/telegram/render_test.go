package telegram

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

var testHeader = bridge.ThreadHeader{
	Store:        bridge.Store{ID: "shopee-my", Platform: bridge.PlatformShopee, Site: "MY", Name: "Main Store"},
	Conversation: "c1", BuyerID: "b1", BuyerName: "Aisyah", Link: "https://seller.shopee.com.my/chat/c1",
}

func textMsg(id, text string) bridge.Message {
	return bridge.Message{ID: bridge.MessageID(id), Conversation: "c1", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: text,
		SentAt: time.Date(2025, 5, 1, 9, 30, 0, 0, time.UTC)}
}

// mustParse checks every post the way Telegram would.
func mustParse(t *testing.T, posts []post) []string {
	t.Helper()
	var texts []string
	for i, p := range posts {
		text, _, err := telegramtest.ParseHTML(p.text.html)
		if err != nil {
			t.Fatalf("post %d refused: %v\n%s", i, err, p.text.html)
		}
		limit := maxTextLen
		if p.photo != "" {
			limit = maxCaptionLen
		}
		if n := visibleLen(text); n > limit || n != p.text.vis {
			t.Fatalf("post %d: visible %d (computed %d), limit %d", i, n, p.text.vis, limit)
		}
		texts = append(texts, text)
	}
	return texts
}

func TestPlanKinds(t *testing.T) {
	r := renderer{loc: time.UTC}
	tests := []struct {
		name  string
		msg   bridge.Message
		photo bool
		want  []string
	}{
		{"text", textMsg("1", "hello <3"), false, []string{"Aisyah", "hello <3"}},
		{"image alone is a photo", bridge.Message{ID: "2", Kind: bridge.KindImage, URL: "https://cf.shopee/img.jpg", Text: "this one"}, true, []string{"Aisyah", "this one"}},
		{"image with a bad url is a line", bridge.Message{ID: "3", Kind: bridge.KindImage, URL: "ftp://x"}, false, []string{"🖼 Photo"}},
		{"item card", bridge.Message{ID: "4", Kind: bridge.KindItem, Card: &bridge.Card{ItemID: "99", Title: "Batik <shirt>", Price: "RM 45", Link: "https://shopee.com.my/i/99"}}, false, []string{"🛒 Product 99", "Batik <shirt>", "RM 45", "Open"}},
		{"order card", bridge.Message{ID: "5", Kind: bridge.KindOrder, Card: &bridge.Card{OrderID: "2405ABC"}}, false, []string{"📦 Order 2405ABC"}},
		{"voucher card", bridge.Message{ID: "6", Kind: bridge.KindVoucher, Card: &bridge.Card{Voucher: "RAYA10"}}, false, []string{"🎟 Voucher RAYA10"}},
		{"unsupported", bridge.Message{ID: "7", Kind: bridge.KindUnsupported, UnsupportedType: "live_stream_card"}, false, []string{"Unsupported message type “live_stream_card”", "Open in Seller Centre"}},
		{"seller centre", bridge.Message{ID: "8", Sender: bridge.SenderSeller, SenderName: "Ops", Kind: bridge.KindText, Text: "done"}, false, []string{"Ops", "sent from Seller Centre", "done"}},
		{"empty", bridge.Message{ID: "9", Kind: bridge.KindText}, false, []string{"(empty message)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts := r.plan(testHeader, []bridge.Message{tt.msg}, htmlText{}, htmlText{})
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			if (posts[0].photo != "") != tt.photo {
				t.Fatalf("photo = %q, want photo %v", posts[0].photo, tt.photo)
			}
			text := mustParse(t, posts)[0]
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("post %q lacks %q", text, w)
				}
			}
		})
	}
}

func TestPlanCombinesAndSplits(t *testing.T) {
	r := renderer{loc: time.UTC}
	var msgs []bridge.Message
	for i := range 10 {
		msgs = append(msgs, textMsg(fmt.Sprint(i), fmt.Sprintf("message number %d", i)))
	}
	posts := r.plan(testHeader, msgs, htmlText{}, htmlText{})
	if len(posts) != 1 || len(posts[0].msgs) != 10 {
		t.Fatalf("10 short messages: %d posts (first carries %d), want 1 carrying 10", len(posts), len(posts[0].msgs))
	}
	if text := mustParse(t, posts)[0]; !strings.Contains(text, "09:30") || !strings.Contains(text, "message number 9") {
		t.Errorf("combined post lacks times or text: %q", text)
	}

	long := textMsg("L", strings.Repeat("panjang sekali ", 700)) // ~10,500 chars
	posts = r.plan(testHeader, []bridge.Message{textMsg("a", "before"), long, textMsg("b", "after")}, htmlText{}, htmlText{})
	texts := mustParse(t, posts)
	if len(posts) < 3 {
		t.Fatalf("a 10,500-character message fit in %d posts", len(posts))
	}
	joined := strings.Join(texts, "\n")
	if strings.Count(joined, "panjang") != 700 || strings.Count(joined, "sekali") != 700 {
		t.Errorf("split lost words: %d and %d of 700", strings.Count(joined, "panjang"), strings.Count(joined, "sekali"))
	}
	if posts[0].msgs[0] != 0 || posts[len(posts)-1].msgs[len(posts[len(posts)-1].msgs)-1] != 2 {
		t.Errorf("message order not kept: %v … %v", posts[0].msgs, posts[len(posts)-1].msgs)
	}
}

func TestPlanImagesInCombinedPost(t *testing.T) {
	r := renderer{loc: time.UTC}
	msgs := []bridge.Message{
		textMsg("1", "is this broken?"),
		{ID: "2", Kind: bridge.KindImage, URL: "https://cf.shopee/a.jpg", SentAt: time.Now()},
		{ID: "3", Kind: bridge.KindImage, URL: "https://cf.shopee/b.jpg", SentAt: time.Now()},
	}
	posts := r.plan(testHeader, msgs, htmlText{}, htmlText{})
	if len(posts) != 1 || posts[0].photo != "" {
		t.Fatalf("got %d posts (photo %q), want one text post", len(posts), posts[0].photo)
	}
	if posts[0].preview != "https://cf.shopee/a.jpg" {
		t.Errorf("preview = %q, want the first image", posts[0].preview)
	}
	mustParse(t, posts)
}

func TestPlanLongCaption(t *testing.T) {
	r := renderer{loc: time.UTC}
	m := bridge.Message{ID: "p", Kind: bridge.KindImage, URL: "https://cf.shopee/a.jpg", Text: strings.Repeat("x", 3000)}
	posts := r.plan(testHeader, []bridge.Message{m}, htmlText{}, htmlText{})
	if len(posts) != 2 || posts[0].photo == "" || posts[1].photo != "" {
		t.Fatalf("want a photo then its text, got %d posts", len(posts))
	}
	texts := mustParse(t, posts)
	if strings.Count(texts[1], "x") != 3000 {
		t.Errorf("text after the photo has %d of 3000 characters", strings.Count(texts[1], "x"))
	}
	if _, _, err := telegramtest.ParseHTML(posts[0].fallback.html); err != nil {
		t.Errorf("fallback refused: %v", err)
	}
}

func TestTopicName(t *testing.T) {
	h := testHeader
	h.Store.Name = strings.Repeat("Kedai Batik Sutera ", 10)
	h.BuyerName = strings.Repeat("名字", 100)
	name := topicName(h, "")
	if n := len([]rune(name)); n > maxTopicName || visibleLen(name) > maxTopicName {
		t.Errorf("topic name is %d runes / %d units: %q", n, visibleLen(name), name)
	}
	for _, w := range []string{"Shopee MY", "Kedai Batik", "名字"} {
		if !strings.Contains(name, w) {
			t.Errorf("topic name %q lacks %q", name, w)
		}
	}
	if got := topicName(testHeader, ""); got != "Shopee MY · Main Store · Aisyah" {
		t.Errorf("topicName = %q", got)
	}
}

func TestHeaderCard(t *testing.T) {
	h := testHeader
	h.AwaitingReply, h.Unread, h.Continued = true, 3, true
	h.BuyerName = "<script>@admin"
	text, _, err := telegramtest.ParseHTML(headerCard(h, true).html)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Shopee · MY · Main Store", "Awaiting reply · 3 unread", "earlier topic was deleted", "Open in Seller Centre", "<script>@"} {
		if !strings.Contains(text, w) {
			t.Errorf("header lacks %q:\n%s", w, text)
		}
	}
}
