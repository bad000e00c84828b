package slack

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bots/slack/fakeslack"
	"github.com/shopbridge/shopbridge/bridge"
)

func openThread(t *testing.T, f *fixture, conv string) (bridge.ThreadRef, bridge.ThreadHeader) {
	t.Helper()
	h := header(store("shop-a", "TH", ""), conv)
	ref, err := f.s.OpenThread(context.Background(), h)
	if err != nil {
		t.Fatalf("OpenThread: %v", err)
	}
	return ref, h
}

func TestPostMessageIsAThreadReplyWithMetadata(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	got, err := f.s.PostMessage(context.Background(), ref, h, textMsg("m-1", "Is this in stock?"))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	m, ok := f.fake.Message(ref.Channel, got.ID)
	if !ok {
		t.Fatalf("posted message %v not found", got)
	}
	if m.ThreadTS != ref.ID {
		t.Errorf("thread_ts = %q, want the root %q", m.ThreadTS, ref.ID)
	}
	if !strings.Contains(blockText(m.Blocks), "Is this in stock?") || !strings.Contains(blockText(m.Blocks), "Bea Buyer") {
		t.Errorf("message text or sender missing:\n%s", blockText(m.Blocks))
	}
	if m.Metadata == nil || m.Metadata.EventType != "shopbridge_message" || !slices.Equal(m.MarketplaceIDs(), []string{"m-1"}) {
		t.Errorf("metadata = %+v, want event shopbridge_message with message_ids [m-1]", m.Metadata)
	}
	if m.Broadcast {
		t.Errorf("an ordinary message was broadcast to the channel")
	}
}

func TestPostMessageEscapesBuyerText(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	evil := "<!channel> <!here> <@U0ADMIN> pay at <http://evil.example|bank.com> & @everyone"
	got, err := f.s.PostMessage(context.Background(), ref, h, textMsg("m-1", evil))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := f.fake.Message(ref.Channel, got.ID)
	for _, txt := range []string{blockText(m.Blocks), m.Text} {
		for _, bad := range []string{"<!channel>", "<!here>", "<@U0ADMIN>", "<http://evil.example|bank.com>", "@everyone"} {
			if strings.Contains(txt, bad) {
				t.Errorf("buyer text kept %q: %q", bad, txt)
			}
		}
	}
	for _, sec := range blocksOfType(m.Blocks, "mrkdwn") {
		if sec["verbatim"] != true {
			t.Errorf("buyer text is not verbatim mrkdwn: %v", sec)
		}
	}
}

func TestPostMessageContentKinds(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	tests := []struct {
		name  string
		msg   bridge.Message
		wants []string
		block string
	}{
		{"image", bridge.Message{Kind: bridge.KindImage, URL: "https://cf.shopee.example/img/1.jpg"}, nil, "image"},
		{"image without url", bridge.Message{Kind: bridge.KindImage}, []string{"Image without a usable link"}, ""},
		{"item card", bridge.Message{Kind: bridge.KindItem, Card: &bridge.Card{ItemID: "777", Title: "Blue Kettle 1.7L", Price: "RM 59.00", Link: "https://shopee.example/item/777", ImageURL: "https://cf.shopee.example/k.jpg"}},
			[]string{"Product", "Blue Kettle 1.7L", "RM 59.00", "777"}, "image"},
		{"order card", bridge.Message{Kind: bridge.KindOrder, Card: &bridge.Card{OrderID: "240301ABC", Title: "2 items", Price: "RM 118.00"}},
			[]string{"Order", "240301ABC", "RM 118.00"}, ""},
		{"voucher", bridge.Message{Kind: bridge.KindVoucher, Card: &bridge.Card{Voucher: "SAVE10", Title: "10% off"}},
			[]string{"Voucher", "SAVE10", "10% off"}, ""},
		{"unsupported", bridge.Message{Kind: bridge.KindUnsupported, UnsupportedType: "live_stream_share"},
			[]string{"Unsupported message type", "live_stream_share", "Open in Seller Centre"}, ""},
		{"seller from seller centre", bridge.Message{Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "Shipped today"},
			[]string{"sent from Seller Centre", "Shipped today"}, ""},
		{"empty text is not dropped", bridge.Message{Kind: bridge.KindText}, []string{"empty message"}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg
			m.ID = bridge.MessageID("k-" + tt.name)
			if m.Sender == "" {
				m.Sender = bridge.SenderBuyer
			}
			got, err := f.s.PostMessage(context.Background(), ref, h, m)
			if err != nil {
				t.Fatalf("PostMessage: %v", err)
			}
			posted, _ := f.fake.Message(ref.Channel, got.ID)
			text := blockText(posted.Blocks)
			for _, w := range tt.wants {
				if !strings.Contains(text, w) {
					t.Errorf("case %d: %q missing from:\n%s", i, w, text)
				}
			}
			if tt.block != "" && len(blocksOfType(posted.Blocks, tt.block)) == 0 {
				t.Errorf("no %s block in %s", tt.block, posted.Blocks)
			}
		})
	}
}

func TestPostMessageSplitsLongText(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TextLimit = 500; c.MaxBlocks = 4 })
	ref, h := openThread(t, f, "c1")
	long := strings.Repeat("word ", 700) // 3500 characters: 7 blocks of 500, 3 per message
	got, err := f.s.PostMessage(context.Background(), ref, h, textMsg("m-long", long))
	if err != nil {
		t.Fatal(err)
	}
	replies := f.fake.Thread(ref.Channel, ref.ID)
	if len(replies) != 3 {
		t.Fatalf("%d messages, want 3 parts", len(replies))
	}
	if replies[0].TS != got.ID {
		t.Errorf("returned ref is not the first part")
	}
	var all strings.Builder
	for i, r := range replies {
		if !slices.Equal(r.MarketplaceIDs(), []string{"m-long"}) || r.Metadata.EventPayload["part"] != float64(i) || r.Metadata.EventPayload["parts"] != float64(3) {
			t.Errorf("part %d metadata = %v", i, r.Metadata.EventPayload)
		}
		for _, sec := range blocksOfType(r.Blocks, "section") {
			txt := sec["text"].(map[string]any)["text"].(string)
			if len([]rune(txt)) > 500 {
				t.Errorf("a block has %d characters, limit 500", len([]rune(txt)))
			}
			all.WriteString(txt)
		}
	}
	if strings.Count(all.String(), "word") != 700 {
		t.Fatalf("split lost text: %d of 700 words", strings.Count(all.String(), "word"))
	}
}

func TestPostMessageIntoDeletedThreadIsThreadGone(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	f.fake.DeleteMessage(ref.Channel, ref.ID)
	_, err := f.s.PostMessage(context.Background(), ref, h, textMsg("m-1", "hello?"))
	if !errors.Is(err, bridge.ErrThreadGone) {
		t.Fatalf("err = %v, want ErrThreadGone", err)
	}
	if bridge.Classify(err) != bridge.KindPermanent {
		t.Errorf("kind = %v, want permanent", bridge.Classify(err))
	}
}

func TestFindPostedUsesMetadata(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	var want bridge.ChatMessageRef
	for i, id := range []string{"m-1", "m-2", "m-3"} {
		got, err := f.s.PostMessage(ctx, ref, h, textMsg(id, "text "+id))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			want = got
		}
	}
	got, err := f.s.FindPosted(ctx, ref, []bridge.MessageID{"m-2", "m-9"})
	if err != nil || len(got) != 1 || got["m-2"] != want {
		t.Fatalf("FindPosted(m-2, m-9) = %v, %v; want only m-2 at %v", got, err, want)
	}
	f.fake.DeleteMessage(ref.Channel, ref.ID)
	if _, err := f.s.FindPosted(ctx, ref, []bridge.MessageID{"m-2"}); !errors.Is(err, bridge.ErrThreadGone) {
		t.Fatalf("FindPosted in a deleted thread: err = %v, want ErrThreadGone", err)
	}
}

func TestPostMessageAfterUncertainFailureDoesNotDuplicate(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Pacing.TransientRetries = 0 })
	ref, h := openThread(t, f, "c1")
	ctx := context.Background()
	// The post reaches Slack but its answer is a 502: the outcome is unknown.
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Status: http.StatusBadGateway, Times: 1, Applied: true})
	_, err := f.s.PostMessage(ctx, ref, h, textMsg("m-1", "first"))
	if bridge.Classify(err) != bridge.KindTransient {
		t.Fatalf("err = %v, want a transient error", err)
	}
	// The core retries: the surface looks before posting again.
	got, err := f.s.PostMessage(ctx, ref, h, textMsg("m-1", "first"))
	if err != nil {
		t.Fatal(err)
	}
	thread := f.fake.Thread(ref.Channel, ref.ID)
	if len(thread) != 1 || thread[0].TS != got.ID {
		t.Fatalf("%d messages in the thread, want exactly the first post (no duplicate)", len(thread))
	}
}

func TestRefusedImageBlockFallsBackToLink(t *testing.T) {
	f := newFixture(t, nil)
	ref, h := openThread(t, f, "c1")
	f.fake.Inject(fakeslack.Fault{Method: "chat.postMessage", Error: "invalid_blocks", Times: 1})
	got, err := f.s.PostMessage(context.Background(), ref, h, bridge.Message{ID: "img-1", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://cf.shopee.example/unreachable.jpg"})
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	m, _ := f.fake.Message(ref.Channel, got.ID)
	if len(blocksOfType(m.Blocks, "image")) != 0 || !strings.Contains(blockText(m.Blocks), "unreachable.jpg|Image") {
		t.Fatalf("image not shown as a link: %s", m.Blocks)
	}
}
