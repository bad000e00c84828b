package tiktok_test

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/platforms/simulator"
	"github.com/shopbridge/shopbridge/platforms/tiktok"
)

func TestPagesThroughManyConversationsExactlyOnce(t *testing.T) {
	e := newEnv(t)
	for i := range 60 {
		e.say(t, buyer(i), "hi")
		e.clock.Advance(time.Second)
	}
	e.sim.ResetCalls()
	convs, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 60 {
		t.Fatalf("%d conversations, want 60", len(convs))
	}
	seen := map[bridge.ConversationID]bool{}
	for i, c := range convs {
		if seen[c.ID] {
			t.Fatalf("conversation %s listed twice", c.ID)
		}
		seen[c.ID] = true
		if i > 0 && c.LatestMessageAt.After(convs[i-1].LatestMessageAt) {
			t.Errorf("not newest first at %d", i)
		}
		if c.BuyerID == "" || c.BuyerName == "" || c.LatestMessageID == "" {
			t.Errorf("conversation %+v lacks its buyer or latest message", c)
		}
	}
	if n := e.calls(callConvs); n != 3 {
		t.Errorf("%d list calls for 60 conversations, want 3 pages of 20", n)
	}
}

func TestIdleStoreCostsOneListCall(t *testing.T) {
	e := newEnv(t)
	for i := range 50 {
		e.say(t, buyer(i), "hi")
		e.clock.Advance(time.Second)
	}
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	e.sim.ResetCalls()
	convs, err := e.client.ListConversations(ctxT(t), e.store, e.clock.Now().Add(-10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 0 || e.sim.TotalCalls() != 1 {
		t.Fatalf("idle poll: %d conversations, %d calls (%v); want 0 and 1", len(convs), e.sim.TotalCalls(), e.sim.Calls())
	}
	// One buyer writes: still one page.
	e.say(t, buyer(3), "again")
	e.sim.ResetCalls()
	convs, err = e.client.ListConversations(ctxT(t), e.store, e.clock.Now().Add(-10*time.Second))
	if err != nil || len(convs) != 1 || e.sim.TotalCalls() != 1 {
		t.Fatalf("one active: %v, %d conversations, %d calls", err, len(convs), e.sim.TotalCalls())
	}
}

func TestPagesThroughManyMessagesInOrderWithoutInvisibleOnes(t *testing.T) {
	e := newEnv(t)
	b := buyer(1)
	var visible []string
	for i := range 40 {
		if i%8 == 7 {
			// The rating request and other messages TikTok says not to show.
			if _, err := e.sim.AddTikTokMessage(shopID, b, simulator.FromSystem, "NOTIFICATION", map[string]any{"content": "Rate this chat"}, false); err != nil {
				t.Fatal(err)
			}
			continue
		}
		visible = append(visible, e.say(t, b, "m").ID)
		if i%3 == 0 {
			e.clock.Advance(time.Second)
		}
	}
	conv := e.conversationOf(t, b)
	e.sim.ResetCalls()
	msgs, err := e.client.ListMessages(ctxT(t), e.store, conv, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(msgs)
	if !slices.Equal(got, visible) {
		t.Fatalf("messages\n got %v\nwant %v (visible ones, oldest first)", got, visible)
	}
	if n := e.calls(callMsgs); n != 4 {
		t.Errorf("%d message pages for 40 messages, want 4 of 10", n)
	}
	// After a known message: only what follows, stopping at it.
	e.sim.ResetCalls()
	msgs, err = e.client.ListMessages(ctxT(t), e.store, conv, bridge.MessageID(visible[29]), 100)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(msgs), visible[30:]) {
		t.Fatalf("after %s: %v, want %v", visible[29], ids(msgs), visible[30:])
	}
	if n := e.calls(callMsgs); n != 1 {
		t.Errorf("%d pages to reach a recent mark, want 1", n)
	}
	// With a limit and no mark: the newest limit, oldest first.
	msgs, err = e.client.ListMessages(ctxT(t), e.store, conv, "", 5)
	if err != nil || !slices.Equal(ids(msgs), visible[len(visible)-5:]) {
		t.Fatalf("newest 5: %v %v", ids(msgs), err)
	}
}

func TestInvisibleLatestMessageIsNeverAWatermark(t *testing.T) {
	e := newEnv(t)
	m := e.say(t, buyer(1), "thanks, bye")
	if _, err := e.sim.AddTikTokMessage(shopID, buyer(1), simulator.FromSystem, "NOTIFICATION", nil, false); err != nil {
		t.Fatal(err)
	}
	convs, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
	if err != nil || len(convs) != 1 {
		t.Fatal(err, convs)
	}
	if convs[0].LatestMessageID != "" {
		t.Errorf("LatestMessageID %q is an invisible message; want empty so the engine fetches", convs[0].LatestMessageID)
	}
	msgs, err := e.client.ListMessages(ctxT(t), e.store, convs[0].ID, "", 10)
	if err != nil || !slices.Equal(ids(msgs), []string{m.ID}) {
		t.Fatalf("messages %v (%v), want only the buyer's", ids(msgs), err)
	}
}

func TestOutOfOrderAndRepeatedPagesLoseAndRepeatNothing(t *testing.T) {
	e := newEnv(t)
	b := buyer(2)
	var all []string
	for range 35 {
		all = append(all, e.say(t, b, "x").ID)
	}
	conv := e.conversationOf(t, b)
	for _, kind := range []simulator.FaultKind{simulator.FaultShufflePages, simulator.FaultRepeatPages} {
		if _, err := e.sim.SetFault(simulator.Fault{Kind: kind}); err != nil {
			t.Fatal(err)
		}
		msgs, err := e.client.ListMessages(ctxT(t), e.store, conv, bridge.MessageID(all[3]), 100)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(msgs), all[4:]) {
			t.Errorf("%s: got %v", kind, ids(msgs))
		}
		e.sim.ClearFaults()
	}
	for i := range 45 {
		e.say(t, buyer(100+i), "y")
		e.clock.Advance(time.Second)
	}
	for _, kind := range []simulator.FaultKind{simulator.FaultShufflePages, simulator.FaultRepeatPages} {
		if _, err := e.sim.SetFault(simulator.Fault{Kind: kind}); err != nil {
			t.Fatal(err)
		}
		convs, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[bridge.ConversationID]int{}
		for _, c := range convs {
			seen[c.ID]++
		}
		if len(seen) != 46 || len(convs) != 46 {
			t.Errorf("%s: %d conversations (%d distinct), want 46", kind, len(convs), len(seen))
		}
		e.sim.ClearFaults()
	}
}

func TestSystemAndRobotMessagesAreShownAsSuch(t *testing.T) {
	e := newEnv(t)
	b := buyer(3)
	e.say(t, b, "hello?")
	add := func(from simulator.Sender, typ string, content map[string]any) {
		if _, err := e.sim.AddTikTokMessage(shopID, b, from, typ, content, true); err != nil {
			t.Fatal(err)
		}
	}
	add(simulator.FromRobot, "TEXT", map[string]any{"content": "We usually reply within an hour."})
	add(simulator.FromSystem, "ALLOCATED_SERVICE", map[string]any{"content": "Agent Ann joined"})
	add(simulator.FromBuyer, "BUYER_ENTER_FROM_ORDER", map[string]any{"order_id": "576000000000000042"})
	add(simulator.FromBuyer, "RETURN_REFUND_CARD", nil)
	add(simulator.FromSellerCentre, "text", map[string]any{"text": "Hi, Ann here"})
	msgs, err := e.client.ListMessages(ctxT(t), e.store, e.conversationOf(t, b), "", 20)
	if err != nil || len(msgs) != 6 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	want := []struct {
		sender bridge.Sender
		kind   bridge.MessageKind
		name   string
		text   string
	}{
		{bridge.SenderBuyer, bridge.KindText, "", "hello?"},
		{bridge.SenderSystem, bridge.KindText, "TikTok Shop robot (auto-reply)", "We usually reply within an hour."},
		{bridge.SenderSystem, bridge.KindText, "TikTok Shop system", "Agent Ann joined"},
		{bridge.SenderSystem, bridge.KindText, "TikTok Shop system", "576000000000000042"},
		{bridge.SenderBuyer, bridge.KindRefund, "", "Return/refund request"},
		{bridge.SenderSeller, bridge.KindText, "TT Shop agent", "Hi, Ann here"},
	}
	for i, w := range want {
		m := msgs[i]
		if m.Sender != w.sender || m.Kind != w.kind || (w.name != "" && m.SenderName != w.name) || !strings.Contains(m.Text, w.text) {
			t.Errorf("message %d: %s/%s %q %q; want %s/%s %q containing %q", i, m.Sender, m.Kind, m.SenderName, m.Text, w.sender, w.kind, w.name, w.text)
		}
	}
	if !msgs[1].AutoReply {
		t.Error("the robot's message is not marked as an auto-reply")
	}
}

func TestMessageKinds(t *testing.T) {
	e := newEnv(t)
	b := buyer(4)
	want := map[string]bridge.MessageKind{
		"image": bridge.KindImage, "video": bridge.KindVideo, "sticker": bridge.KindSticker, "item": bridge.KindItem,
		"order": bridge.KindOrder, "voucher": bridge.KindVoucher, "faq_liveagent": bridge.KindUnsupported,
	}
	var order []string
	for typ := range want {
		order = append(order, typ)
	}
	slices.Sort(order)
	for _, typ := range order {
		if _, err := e.sim.BuyerSends(shopID, b, typ, nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := e.client.ListMessages(ctxT(t), e.store, e.conversationOf(t, b), "", 20)
	if err != nil || len(msgs) != len(order) {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	for i, typ := range order {
		m := msgs[i]
		if m.Kind != want[typ] {
			t.Errorf("%s: kind %s, want %s", typ, m.Kind, want[typ])
		}
		switch m.Kind {
		case bridge.KindImage, bridge.KindVideo, bridge.KindSticker:
			if m.URL == "" {
				t.Errorf("%s without URL", typ)
			}
		case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher:
			if m.Card == nil || m.Card.ItemID+m.Card.OrderID+m.Card.Voucher == "" {
				t.Errorf("%s without card ID: %+v", typ, m.Card)
			}
		case bridge.KindUnsupported:
			if m.UnsupportedType != "OTHER" || m.Text == "" {
				t.Errorf("%s: %+v", typ, m)
			}
		}
	}
}

func TestSendGetsTheMessageIDBack(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(5), "is it in stock?")
	conv := e.conversationOf(t, buyer(5))
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	msg, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, "Yes, ships today.")
	if err != nil {
		t.Fatal(err)
	}
	held := e.sim.Messages(shopID)
	last := held[len(held)-1]
	if string(msg.ID) != last.ID || last.Text != "Yes, ships today." || last.From != simulator.FromSellerAPI || msg.Sender != bridge.SenderSeller {
		t.Fatalf("sent %+v, simulator holds %+v", msg, last)
	}
	if e.calls(callSend) != 1 || e.sim.TotalCalls() != 1 {
		t.Errorf("calls %v, want only the send (can_send_message came from the listed conversation)", e.sim.Calls())
	}
	// The echo, listed, is the same message as a seller message.
	msgs, _ := e.client.ListMessages(ctxT(t), e.store, conv, "", 10)
	if got := msgs[len(msgs)-1]; got.ID != msg.ID || got.Sender != bridge.SenderSeller || got.Text != msg.Text {
		t.Errorf("listed echo %+v", got)
	}
	if err := e.client.MarkRead(ctxT(t), e.store, conv, msg.ID); err != nil || e.calls(callRead) != 1 {
		t.Errorf("mark read: %v, %v", err, e.sim.Calls())
	}
}

// TestLongReplyIsRefusedBeforeAnyCall: the documented choice for replies
// over TikTok's 2,000 characters (see SendText).
func TestLongReplyIsRefusedBeforeAnyCall(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(6), "tell me everything")
	conv := e.conversationOf(t, buyer(6))
	e.sim.ResetCalls()
	long := strings.Repeat("All about the product. ", 109)[:2500]
	_, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, long)
	if kindOf(err) != bridge.KindPermanent {
		t.Fatalf("2,500 characters: %v, want a permanent error", err)
	}
	reason := bridge.ReasonOf(err)
	for _, want := range []string{"2,500 characters", "at most 2,000", "shorter replies", "nothing was sent"} {
		if !strings.Contains(reason, want) {
			t.Errorf("reason %q does not say %q", reason, want)
		}
	}
	if n := e.sim.TotalCalls(); n != 0 {
		t.Errorf("%d calls for a refused reply", n)
	}
	if len(e.sim.Messages(shopID)) != 1 {
		t.Error("part of the reply reached the buyer")
	}
	// Exactly the limit is sent; emoji count twice (UTF-16).
	if _, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, strings.Repeat("a", 2000)); err != nil {
		t.Errorf("2,000 characters refused: %v", err)
	}
	if _, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, strings.Repeat("😀", 1001)); kindOf(err) != bridge.KindPermanent {
		t.Errorf("1,001 emoji (2,002 UTF-16 units): %v, want refused", err)
	}
}

func TestCannotSendIsRefusedBeforeSending(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(7), "hello")
	conv := e.conversationOf(t, buyer(7))
	e.sim.SetTikTokCanSend(string(conv), false)
	// Listed by a poll: refused with no call at all.
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	_, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, "hi")
	if kindOf(err) != bridge.KindPermanent || !strings.Contains(bridge.ReasonOf(err), "can_send_message is false") {
		t.Fatalf("err %v, want a permanent refusal naming can_send_message", err)
	}
	if e.sim.TotalCalls() != 0 {
		t.Errorf("calls %v, want none", e.sim.Calls())
	}
	// A conversation the client has not seen: one list call, no send.
	fresh := newEnvSharing(t, e)
	e.sim.ResetCalls()
	if _, err := fresh.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, "hi"); kindOf(err) != bridge.KindPermanent {
		t.Fatalf("unseen conversation: %v", err)
	}
	if e.calls(callSend) != 0 || e.calls(callConvs) != 1 {
		t.Errorf("calls %v, want one list call and no send", e.sim.Calls())
	}
	// A stale "false" is checked again; TikTok allows it now.
	e.sim.SetTikTokCanSend(string(conv), true)
	e.clock.Advance(2 * time.Minute)
	if _, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, "hi"); err != nil {
		t.Fatalf("after the recheck: %v", err)
	}
	// Listed as allowed but refused by TikTok's rules: permanent, with the reason.
	e.sim.SetTikTokCanSend(string(conv), false)
	_, err = e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: conv}, "hi again")
	if kindOf(err) != bridge.KindPermanent || !strings.Contains(bridge.ReasonOf(err), "conversation rules") {
		t.Errorf("45109001: %v", err)
	}
}

func TestSendErrorsAreClassified(t *testing.T) {
	e := newEnv(t, func(_ *tiktokConfig, s *simTikTokConfig) { s.SensitiveWords = []string{"forbidden"} })
	e.say(t, buyer(8), "hello")
	conv := bridge.Conversation{ID: e.conversationOf(t, buyer(8))}
	if _, err := e.client.SendText(ctxT(t), e.store, conv, "a forbidden word"); kindOf(err) != bridge.KindPermanent || !strings.Contains(bridge.ReasonOf(err), "rephrase") {
		t.Errorf("sensitive content: %v", err)
	}
	if _, err := e.client.SendText(ctxT(t), e.store, conv, "  "); kindOf(err) != bridge.KindPermanent {
		t.Errorf("empty reply: %v", err)
	}
	// A 5xx on a send is "maybe delivered" and never retried by the client.
	if _, err := e.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Path: "/messages", Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	_, err := e.client.SendText(ctxT(t), e.store, conv, "ok")
	var pe *bridge.PlatformError
	if kindOf(err) != bridge.KindTransient || !errors.As(err, &pe) || pe.NotDelivered || e.calls(callSend) != 1 {
		t.Errorf("5xx on send: %v, %d attempts", err, e.calls(callSend))
	}
	// Reads are retried.
	if _, err := e.sim.SetFault(simulator.Fault{Kind: simulator.FaultHTTP5xx, Path: "/conversations", Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.pump(t)
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Errorf("a read after one 503: %v", err)
	}
	// A rate limit with Retry-After.
	if _, err := e.sim.SetFault(simulator.Fault{Kind: simulator.FaultHTTP429, RetryAfter: 30 * time.Second, Count: 5}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.ListConversations(ctxT(t), e.store, time.Time{})
	if kindOf(err) != bridge.KindRateLimited || bridge.RetryAfterOf(err) != 30*time.Second {
		t.Errorf("429: %v (retry after %s)", err, bridge.RetryAfterOf(err))
	}
}

func TestTokensRefreshWithAbsoluteExpiries(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(9), "hi")
	if err := e.sim.ExpireAccessToken(shopID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	cur, _ := e.sim.Tokens(shopID)
	saves := e.tokens.Saves()
	if cur.Refreshes != 1 || len(saves) != 1 {
		t.Fatalf("%d refreshes, %d saves; want 1 and 1", cur.Refreshes, len(saves))
	}
	s := saves[0]
	if s.AccessToken != cur.AccessToken || s.RefreshToken != cur.RefreshToken ||
		!s.AccessExpiresAt.Equal(cur.AccessExpiresAt) || !s.RefreshExpiresAt.Equal(cur.RefreshExpiresAt) {
		t.Errorf("saved %+v, simulator issued %+v", s, cur)
	}
	if want := e.clock.Now().Add(7 * 24 * time.Hour).Truncate(time.Second); !s.AccessExpiresAt.Equal(want) {
		t.Errorf("access expires %s, want %s (the absolute timestamp, not now + it)", s.AccessExpiresAt, want)
	}
	// Ahead of expiry (within token_refresh_margin): refreshed first.
	e.clock.Set(cur.AccessExpiresAt.Add(-10 * time.Minute))
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := e.sim.Tokens(shopID); cur.Refreshes != 2 {
		t.Errorf("%d refreshes, want 2 (ahead of expiry)", cur.Refreshes)
	}
}

func TestConcurrentCallsRefreshOnce(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(10), "hi")
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.ExpireAccessToken(shopID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.client.ListConversations(ctxT(t), e.store, time.Time{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if cur, _ := e.sim.Tokens(shopID); cur.Refreshes != 1 || e.calls(callRefresh) != 1 {
		t.Errorf("%d refreshes (%d calls) for 8 concurrent calls, want 1", cur.Refreshes, e.calls(callRefresh))
	}
}

func TestNewTokenUnusedUntilSaved(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(11), "hi")
	if err := e.sim.ExpireAccessToken(shopID); err != nil {
		t.Fatal(err)
	}
	e.tokens.FailSaves(true)
	_, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
	var se *bridge.StateError
	if !errors.As(err, &se) {
		t.Fatalf("with saves failing: %v, want a state error", err)
	}
	e.sim.ResetCalls()
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); !errors.As(err, &se) || e.sim.TotalCalls() != 0 {
		t.Fatalf("still failing: %v, %d calls; want no call with the unsaved token", err, e.sim.TotalCalls())
	}
	e.tokens.FailSaves(false)
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if cur, _ := e.sim.Tokens(shopID); cur.Refreshes != 1 || e.tokens.Saves()[0].RefreshToken != cur.RefreshToken {
		t.Errorf("%d refreshes; the saved pair is not the issued one", cur.Refreshes)
	}
}

func TestRevokedStoreIsAuthError(t *testing.T) {
	e := newEnv(t)
	if err := e.sim.RevokeTokens(shopID); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
	if kindOf(err) != bridge.KindAuth || !strings.Contains(bridge.ReasonOf(err), "authorize") {
		t.Fatalf("revoked: %v", err)
	}
}

func TestWrongSecretIsPermanent(t *testing.T) {
	e := newEnv(t, func(c *tiktokConfig, _ *simTikTokConfig) { c.AppSecret = "not-the-secret" })
	_, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
	if kindOf(err) != bridge.KindPermanent || !strings.Contains(bridge.ReasonOf(err), "app_secret") {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestStaleShopCipherIsFetchedAgain(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(12), "hi")
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.sim.RotateTikTokShopCipher(shopID)
	e.sim.ResetCalls()
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatalf("after the cipher changed: %v", err)
	}
	if e.calls(callShops) != 1 || e.calls(callConvs) != 2 {
		t.Errorf("calls %v, want one refused list, one shops call, one list", e.sim.Calls())
	}
}

// TestDailyQuotaIsRateLimitedUntilTheReset: 45101004 → rate-limited with
// RetryAfter until 00:00 UTC, and no more calls until then.
func TestDailyQuotaIsRateLimitedUntilTheReset(t *testing.T) {
	e := newEnv(t)
	e.say(t, buyer(13), "hi")
	e.sim.SetTikTokQuotaUsed(shopID, e.sim.TikTok().DailyQuota)
	_, err := e.client.ListConversations(ctxT(t), e.store, time.Time{})
	reset := time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)
	if kindOf(err) != bridge.KindRateLimited || bridge.RetryAfterOf(err) != reset.Sub(e.clock.Now()) {
		t.Fatalf("quota: %v, retry after %s; want rate-limited until %s", err, bridge.RetryAfterOf(err), reset)
	}
	e.sim.ResetCalls()
	e.clock.Advance(time.Hour)
	for _, call := range []func() error{
		func() error { _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); return err },
		func() error {
			_, err := e.client.SendText(ctxT(t), e.store, bridge.Conversation{ID: e.conversationOf(t, buyer(13))}, "hi")
			return err
		},
	} {
		err := call()
		if kindOf(err) != bridge.KindRateLimited || bridge.RetryAfterOf(err) != reset.Sub(e.clock.Now()) {
			t.Errorf("while used up: %v", err)
		}
	}
	if e.sim.TotalCalls() != 0 {
		t.Errorf("calls while the quota is used up: %v", e.sim.Calls())
	}
	e.clock.Set(reset)
	if _, err := e.client.ListConversations(ctxT(t), e.store, time.Time{}); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

func TestAuthorizationLinkAndCodeExchange(t *testing.T) {
	e := newEnv(t)
	link, err := e.client.AuthorizationURL(e.store, "https://bridge.example/auth/tiktok/callback?store="+string(e.store.ID)+"&state=tok123")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.sim.URL()+"/open/authorize?") || !strings.Contains(link, "service_id="+e.sim.TikTok().ServiceID) ||
		!strings.Contains(link, "state="+string(e.store.ID)+"~tok123") {
		t.Fatalf("link %s", link)
	}
	code, _ := e.sim.AuthorizationCode(shopID)
	tokens := newMemTokens()
	c := e.newClient(t, tokens)
	tok, err := c.ExchangeCode(ctxT(t), e.store, code)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := e.sim.Tokens(shopID)
	if tok.AccessToken != cur.AccessToken || !tok.AccessExpiresAt.Equal(cur.AccessExpiresAt) || !tok.RefreshExpiresAt.Equal(cur.RefreshExpiresAt) {
		t.Errorf("exchanged %+v, issued %+v", tok, cur)
	}
	if saved, err := tokens.LoadTokens(ctxT(t), e.store.ID); err != nil || saved.AccessToken != cur.AccessToken {
		t.Errorf("not saved: %v", err)
	}
	if _, err := c.ExchangeCode(ctxT(t), e.store, code); kindOf(err) != bridge.KindAuth {
		t.Errorf("a spent code: %v, want an auth error", err)
	}
	other := e.store
	other.ShopID = "7000000000000000001"
	code2, _ := e.sim.AuthorizationCode(shopID)
	if _, err := c.ExchangeCode(ctxT(t), other, code2); !errors.Is(err, bridge.ErrShopMismatch) {
		t.Errorf("another shop's code: %v, want ErrShopMismatch", err)
	}
}

func ids(ms []bridge.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.ID)
	}
	return out
}

// TestSecretsNeverReachLogsOrErrors: the auth host's URLs carry the app
// secret and refresh token, API calls the access token in a header.
func TestSecretsNeverReachLogsOrErrors(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := tiktok.New(e.cfg, tiktok.Deps{Tokens: e.tokens, InitialTokens: map[bridge.StoreID]bridge.Tokens{e.store.ID: e.initial},
		Clock: e.clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e.say(t, buyer(40), "hi")
	var errs []error
	_, err = c.ListConversations(ctxT(t), e.store, time.Time{})
	errs = append(errs, err)
	// A refused refresh, then the auth host unreachable.
	if err := e.sim.RevokeTokens(shopID); err != nil {
		t.Fatal(err)
	}
	_, err = c.RefreshTokens(ctxT(t), e.store)
	errs = append(errs, err)
	if _, err := e.sim.SetFault(simulator.Fault{Kind: simulator.FaultHTTP5xx}); err != nil {
		t.Fatal(err)
	}
	e.pump(t)
	_, err = c.RefreshTokens(ctxT(t), e.store)
	errs = append(errs, err)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, secret := range []string{e.cfg.AppSecret, e.initial.AccessToken, e.initial.RefreshToken} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a secret:\n%s", out)
		}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q holds a secret", err)
			}
		}
	}
	if !strings.Contains(out, "token refresh refused") {
		t.Errorf("no log line about the refused refresh:\n%s", out)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
