package engine_test

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// What a marketplace message carries beside its content reaches the thread:
// the engine posts the messages it reads back from the inbound queue, so the
// queue must keep a Lazada cross-border translation, the auto-reply mark and
// the safety check's note for the surfaces to show them.
func TestTranslationAutoReplyAndSafetyNoteReachTheThread(t *testing.T) {
	s := testStores[1] // lazada-sg
	if s.Platform != bridge.PlatformLazada {
		t.Fatalf("testStores[1] is %s, want the Lazada store", s.Platform)
	}
	h := newHarness(t, s)
	h.start()
	h.clock.Advance(time.Second)
	m := h.mp(s)
	want := []bridge.Message{
		m.AddMessage(s.ShopID, "Mei", bridge.Message{Conversation: "c1", Sender: bridge.SenderBuyer, SenderName: "Mei",
			Kind: bridge.KindText, Text: "这个有货吗？", Translation: "Is this in stock?"}),
		m.AddMessage(s.ShopID, "Mei", bridge.Message{Conversation: "c1", Sender: bridge.SenderSeller,
			Kind: bridge.KindText, Text: "We reply within 24 hours.", AutoReply: true, SentAt: h.clock.Now().Add(time.Millisecond)}),
		m.AddMessage(s.ShopID, "Mei", bridge.Message{Conversation: "c1", Sender: bridge.SenderBuyer, SenderName: "Mei",
			Kind: bridge.KindText, Text: "加我微信 mei123", Translation: "Add my WeChat mei123",
			SafetyNote: "This message may violate Lazada's policy and was not sent to the seller's customer.",
			SentAt:     h.clock.Now().Add(2 * time.Millisecond)}),
	}
	h.syncAll()

	th := h.thread(s, "c1")
	if len(th.Posts) != len(want) {
		t.Fatalf("thread has %d posts, want %d: %+v", len(th.Posts), len(want), th.Posts)
	}
	for i, w := range want {
		got := th.Posts[i].Message
		if got.ID != w.ID || got.Translation != w.Translation || got.AutoReply != w.AutoReply || got.SafetyNote != w.SafetyNote {
			t.Errorf("post %d: %s with translation %q, auto-reply %v, safety note %q; want %s with %q, %v, %q",
				i, got.ID, got.Translation, got.AutoReply, got.SafetyNote, w.ID, w.Translation, w.AutoReply, w.SafetyNote)
		}
	}
}
