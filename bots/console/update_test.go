package console

import (
	"context"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var storeSG = bridge.Store{ID: "lazada-sg", Platform: bridge.PlatformLazada, ShopID: "2001", Name: "Lion", Site: "SG"}

func lazadaHeader(buyer string) bridge.ThreadHeader {
	return bridge.ThreadHeader{Store: storeSG, Conversation: "c9", BuyerID: "b9", BuyerName: buyer, AwaitingReply: true}
}

func TestNewMessageFieldLines(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		msg  bridge.Message
		want string
	}{
		{"recalled", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: "wrong size", Recalled: true},
			"[T1 lazada SG Lion · Wei] buyer: ↩️ recalled by the buyer — was: wrong size"},
		{"translation", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: "有货吗？", Translation: "in stock?\nsize M"},
			"[T1 lazada SG Lion · Wei] buyer: 有货吗？\n    translation (Lazada): in stock?\n    size M"},
		{"auto-reply", bridge.Message{ID: "m1", Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "We reply within 24h", AutoReply: true},
			"[T1 lazada SG Lion · Wei] seller (auto-reply): We reply within 24h"},
		{"safety note", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: "call me", SafetyNote: "contact details"},
			"[T1 lazada SG Lion · Wei] buyer: call me\n    ⛔ blocked by Lazada's safety check — only you can see it: contact details"},
		{"refund card", bridge.Message{ID: "m1", Sender: bridge.SenderBuyer, Kind: bridge.KindRefund, Card: &bridge.Card{OrderID: "LZ-9001", Title: "Wrong colour", Price: "SGD 12.90"}},
			`[T1 lazada SG Lion · Wei] buyer: [return/refund request order LZ-9001 "Wrong colour" SGD 12.90]`},
		{"notice with its sender", bridge.Message{ID: "m1", Sender: bridge.SenderSystem, SenderName: "ROBOT", Kind: bridge.KindText, Text: "order shipped"},
			"[T1 lazada SG Lion · Wei] notice (ROBOT): order shipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, out := newSurface(t, Config{})
			h := lazadaHeader("Wei")
			ref, err := s.OpenThread(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			before := len(out.String())
			if _, err := s.PostMessage(ctx, ref, h, tc.msg); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(out.String()[before:], "\n"); got != tc.want {
				t.Errorf("printed\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// Lazada and TikTok Shop stores are tagged like Shopee ones, by the store's
// label.
func TestLazadaAndTikTokTags(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	tiktok := bridge.ThreadHeader{Store: bridge.Store{ID: "tiktok-th", Platform: bridge.PlatformTikTok, Name: "Siam", Site: "TH"}, Conversation: "c2", BuyerName: "Nok", AwaitingReply: true}
	for _, h := range []bridge.ThreadHeader{lazadaHeader("Wei"), tiktok} {
		ref, _ := s.OpenThread(ctx, h)
		if _, err := s.PostMessage(ctx, ref, h, text("m-"+string(h.Conversation), "hello")); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{
		"[T1] new thread: lazada SG Lion — buyer Wei (awaiting reply)", "[T1 lazada SG Lion · Wei] buyer: hello",
		"[T2] new thread: tiktok TH Siam — buyer Nok (awaiting reply)", "[T2 tiktok TH Siam · Nok] buyer: hello",
	} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("printed\n%s\nlacks %q", out.String(), want)
		}
	}
}

// The marketplace's translation and note are cleaned like buyer text.
func TestNewFieldsCannotCorruptTheTerminal(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	h := lazadaHeader("Wei")
	ref, _ := s.OpenThread(ctx, h)
	evil := "ok\r\x1b[2K\n[T9 shopee MY Main · Bob] buyer: forged\x1b]0;x\x07"
	m := bridge.Message{ID: "m1", Sender: bridge.SenderSystem, SenderName: "bot\x1b[31m\n", Kind: bridge.KindText, Text: "hi",
		Translation: evil, SafetyNote: evil}
	if _, err := s.PostMessage(ctx, ref, h, m); err != nil {
		t.Fatal(err)
	}
	m.Recalled = true
	if err := s.UpdateMessages(ctx, ref, bridge.ChatMessageRef{Channel: Channel, ID: "C1"}, h, []bridge.Message{m}); err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexFunc(out.String(), func(r rune) bool {
		return (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f)
	}); i >= 0 {
		t.Fatalf("output holds a control character at %d: %q", i, out.String())
	}
	for _, line := range out.lines() {
		if strings.HasPrefix(line, "[T9") {
			t.Errorf("a forged line: %q", line)
		}
	}
}

// A recall of a posted message prints one line naming its post.
func TestUpdateMessagesPrintsTheRecall(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	h := lazadaHeader("Wei")
	ref, _ := s.OpenThread(ctx, h)
	m := text("m2", "wrong size, sorry")
	post, err := s.PostMessage(ctx, ref, h, m)
	if err != nil {
		t.Fatal(err)
	}
	before := len(out.lines())
	m.Recalled = true
	if err := s.UpdateMessages(ctx, ref, post, h, []bridge.Message{m}); err != nil {
		t.Fatal(err)
	}
	got := out.lines()[before:]
	want := "[T1 lazada SG Lion · Wei] ↩️ the buyer recalled a message (" + post.ID + "): wrong size, sorry"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("printed %q, want %q", got, want)
	}
	// With colour, the original is dim and struck through.
	cs, cout := newSurface(t, Config{Color: true})
	cref, _ := cs.OpenThread(ctx, h)
	if err := cs.UpdateMessages(ctx, cref, post, h, []bridge.Message{m}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cout.String(), "\x1b[2;9mwrong size, sorry\x1b[0m") {
		t.Errorf("coloured line: %q", cout.String())
	}
	// A thread of another surface is not here: nothing is printed.
	n := len(out.String())
	if err := s.UpdateMessages(ctx, bridge.ThreadRef{Channel: "C0SLACK", ID: "1.2"}, post, h, []bridge.Message{m}); err != nil || len(out.String()) != n {
		t.Errorf("an update of a Slack thread: err %v, printed %q", err, out.String()[n:])
	}
}
