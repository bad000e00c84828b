package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/bridge/templates"
)

// templateStores: two stores on site MY and one on SG, all answered by the
// same kind of scripted marketplace.
var templateStores = []bridge.Store{
	{ID: "shopee-my", Platform: bridge.PlatformShopee, ShopID: "1001", Name: "Main", Site: "MY"},
	{ID: "shopee-my2", Platform: bridge.PlatformShopee, ShopID: "1002", Name: "Outlet", Site: "MY"},
	{ID: "lazada-sg", Platform: bridge.PlatformLazada, ShopID: "2002", Name: "SG Shop", Site: "SG"},
}

// templateHarness opens one conversation thread per store.
func templateHarness(t *testing.T) (*harness, map[bridge.StoreID]bridgetest.Thread) {
	h := newHarness(t, templateStores...)
	h.beforeStart = func(e *engine.Engine) {
		book := templates.New(templates.Deps{State: h.state, Store: e.Store, Clock: h.clock})
		if err := e.Register(book); err != nil {
			t.Fatal(err)
		}
	}
	h.start()
	h.clock.Advance(time.Second)
	threads := map[bridge.StoreID]bridgetest.Thread{}
	for _, s := range templateStores {
		h.mp(s).BuyerSays(s.ShopID, "c-"+bridge.ConversationID(s.ID), "Gina", "hello?")
	}
	h.syncAll()
	for _, s := range templateStores {
		threads[s.ID] = h.thread(s, "c-"+bridge.ConversationID(s.ID))
	}
	return h, threads
}

func (h *harness) admin(text string) bridge.CommandResponse {
	h.t.Helper()
	resp, err := h.chat.Command(context.Background(), text, "UADMIN", true)
	if err != nil {
		h.t.Fatal(err)
	}
	if resp.Error {
		h.t.Fatalf("%q: %s", text, resp.Text)
	}
	return resp
}

// replyAndWait sends an agent reply and waits until it is sent; it returns
// what the buyer got.
func (h *harness) replyAndWait(s bridge.Store, th bridgetest.Thread, text string) string {
	h.t.Helper()
	before := len(sellerTexts(h, s, th.Header.Conversation))
	ref, err := h.chat.AgentSays(context.Background(), th.Ref, "agent", text)
	if err != nil {
		h.t.Fatal(err)
	}
	waitStatus(h.t, h, ref, bridge.ReplySent)
	got := sellerTexts(h, s, th.Header.Conversation)
	if len(got) != before+1 {
		h.t.Fatalf("buyer got %d new messages, want 1: %q", len(got)-before, got)
	}
	return got[len(got)-1]
}

func TestTemplateExpansion(t *testing.T) {
	h, threads := templateHarness(t)
	s := templateStores[0]
	th := threads[s.ID]
	h.admin("template add greeting Hello! Thanks for writing to us.")
	cases := []struct{ reply, want string }{
		{"!greeting", "Hello! Thanks for writing to us."},
		{"!GREETING   Your parcel ships today.", "Hello! Thanks for writing to us. Your parcel ships today."},
		{"!greeting\nTracking: MY123", "Hello! Thanks for writing to us.\nTracking: MY123"},
		{"!!greeting is a command word", "!greeting is a command word"},
		{"! not a template", "! not a template"},
	}
	for _, tc := range cases {
		if got := h.replyAndWait(s, th, tc.reply); got != tc.want {
			t.Errorf("reply %q reached the buyer as %q, want %q", tc.reply, got, tc.want)
		}
	}
	// The outbox row holds the expanded text, as sent.
	replies, _ := h.state.Replies(context.Background(), s.ID, time.Time{})
	if len(replies) != len(cases) || replies[0].Text != "Hello! Thanks for writing to us." {
		t.Fatalf("outbox rows: %+v", replies)
	}
}

func TestTemplateUnknownNameIsAnsweredPrivately(t *testing.T) {
	h, threads := templateHarness(t)
	s := templateStores[0]
	th := threads[s.ID]
	h.admin("template add greeting Hello!")
	ctx := context.Background()
	ref, err := h.chat.AgentSays(ctx, th.Ref, "agent", "!refund-policy please see")
	if err != nil {
		t.Fatal(err)
	}
	notices := h.chat.Notices()
	if len(notices) != 1 || notices[0].UserID != "agent" || notices[0].Thread != th.Ref ||
		!strings.Contains(notices[0].Text, `No quick reply template "!refund-policy"`) ||
		!strings.Contains(notices[0].Text, "nothing was sent to the buyer") || !strings.Contains(notices[0].Text, "!greeting") {
		t.Fatalf("notices: %+v", notices)
	}
	if _, err := h.state.ReplyByChatMessage(ctx, ref); err == nil {
		t.Fatal("an unknown template was queued for the buyer")
	}
	if got := sellerTexts(h, s, th.Header.Conversation); len(got) != 0 {
		t.Fatalf("the buyer got %q", got)
	}
	if _, ok := h.chat.LastStatus(ref); ok {
		t.Fatal("an unknown template got a reply status")
	}
}

func TestTemplateVariantsPerSiteAndStore(t *testing.T) {
	h, threads := templateHarness(t)
	h.admin("template add thanks Thank you!")
	h.admin("template add thanks --site my Terima kasih!")
	h.admin("template add thanks --store=shopee-my2 Terima kasih dari Outlet!")
	want := map[bridge.StoreID]string{
		"shopee-my":  "Terima kasih!",             // site MY
		"shopee-my2": "Terima kasih dari Outlet!", // its own variant beats the site's
		"lazada-sg":  "Thank you!",                // default
	}
	for _, s := range templateStores {
		if got := h.replyAndWait(s, threads[s.ID], "!thanks"); got != want[s.ID] {
			t.Errorf("%s: buyer got %q, want %q", s.ID, got, want[s.ID])
		}
	}
	h.admin("template remove thanks --site MY")
	if got := h.replyAndWait(templateStores[0], threads["shopee-my"], "!thanks"); got != "Thank you!" {
		t.Errorf("after removing the MY variant: %q", got)
	}

	// A template with only a site variant has nothing for other sites.
	h.admin("template add salam --site MY Salam!")
	if got := h.replyAndWait(templateStores[0], threads["shopee-my"], "!salam"); got != "Salam!" {
		t.Errorf("MY variant: %q", got)
	}
	if _, err := h.chat.AgentSays(context.Background(), threads["lazada-sg"].Ref, "agent", "!salam"); err != nil {
		t.Fatal(err)
	}
	n := h.chat.Notices()
	if len(n) != 1 || !strings.Contains(n[0].Text, `"!salam" has no text for lazada-sg (site SG)`) {
		t.Fatalf("notices: %+v", n)
	}
}

func TestTemplateCommands(t *testing.T) {
	h, threads := templateHarness(t)
	ctx := context.Background()
	if resp, _ := h.chat.Command(ctx, "template list", "agent", false); resp.Error || !strings.Contains(resp.Text, "No quick reply templates yet") {
		t.Fatalf("empty list: %+v", resp)
	}
	h.admin("template add greeting Hello!")
	// Line breaks and spacing of the text are kept.
	h.admin("template add   returns  Returns within 7 days:\n1. open the order\n2. tap  Return")
	resp := h.admin("template add greeting Hi there!")
	if !strings.Contains(resp.Text, "replaced (default)") {
		t.Fatalf("replacing: %q", resp.Text)
	}
	h.admin("template add greeting --site SG Hello lah!")
	list, _ := h.chat.Command(ctx, "template list", "agent", false)
	for _, want := range []string{"!greeting\n    default: Hi there!\n    site SG: Hello lah!", "!returns\n    default: Returns within 7 days: 1. open the order 2. tap Return"} {
		if !strings.Contains(list.Text, want) {
			t.Fatalf("list:\n%s\nmissing:\n%s", list.Text, want)
		}
	}
	if got := h.replyAndWait(templateStores[0], threads["shopee-my"], "!returns"); got != "Returns within 7 days:\n1. open the order\n2. tap  Return" {
		t.Fatalf("multi-line template sent as %q", got)
	}

	refusals := []struct {
		text, admin, want string
	}{
		{"template add x hi", "", bridge.TextNotAdmin},
		{"template remove greeting", "", bridge.TextNotAdmin},
		{"template add", "y", "Usage: template add"},
		{"template add greeting", "y", "needs a text"},
		{"template add Bad/Name hi", "y", "is not a template name"},
		{"template add hi --site Malaysia hello", "y", "not a site code"},
		{"template add hi --store nope hello", "y", `no store "nope"`},
		{"template add hi --site MY --store shopee-my hello", "y", "not both"},
		{"template add hi --lang ms hello", "y", "unknown option --lang"},
		{"template remove nope", "y", "No template !nope"},
		{"template remove greeting --site MY", "y", "has no site MY variant"},
	}
	for _, r := range refusals {
		resp, _ := h.chat.Command(ctx, r.text, "U1", r.admin != "")
		if !resp.Error || !strings.Contains(resp.Text, r.want) {
			t.Errorf("%q: got error=%v %q, want %q", r.text, resp.Error, resp.Text, r.want)
		}
	}
	resp = h.admin("template remove greeting")
	if !strings.Contains(resp.Text, "with all its variants") {
		t.Fatalf("remove: %q", resp.Text)
	}
	list, _ = h.chat.Command(ctx, "template list", "agent", false)
	if strings.Contains(list.Text, "greeting") {
		t.Fatalf("removed template still listed:\n%s", list.Text)
	}

	// Templates survive a restart (they live in the state).
	h.restart()
	list, _ = h.chat.Command(ctx, "template list", "agent", false)
	if !strings.Contains(list.Text, "!returns") {
		t.Fatalf("after a restart:\n%s", list.Text)
	}
}
