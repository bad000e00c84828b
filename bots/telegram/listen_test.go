package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

func TestPollingDeliversAgentRepliesAndSkipsTheRest(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	hs.listen()
	if cmds := hs.api.Commands(); len(cmds) != len(Commands) || cmds[2].Command != "sync_retry" {
		t.Errorf("setMyCommands got %+v", cmds)
	}

	// Not relayed: General topic chatter, the bot's own posts (the header),
	// a photo without text (answered), service messages.
	hs.api.Say(inbox, 0, 0, agent, "general chatter")
	hs.api.Push(models.Update{Message: &models.Message{ID: 900, Chat: models.Chat{ID: inbox, Type: "supergroup", IsForum: true},
		From: &models.User{ID: telegramtest.BotID, IsBot: true}, MessageThreadID: k.id, IsTopicMessage: true, Text: "echo"}})
	hs.api.Push(models.Update{Message: &models.Message{ID: 901, Chat: models.Chat{ID: inbox, Type: "supergroup", IsForum: true},
		From: &models.User{ID: agent.ID, FirstName: agent.Name}, MessageThreadID: k.id, IsTopicMessage: true,
		PinnedMessage: &models.MaybeInaccessibleMessage{}}})
	id := hs.api.Say(inbox, k.id, 0, agent, "Hi Aisyah, it ships today")

	hs.waitFor("agent reply", func() bool { return len(hs.h.Replies()) >= 1 })
	replies := hs.h.Replies()
	want := bridge.AgentMessage{Thread: ref, Message: msgKey{inbox, id}.ref(), UserID: strconv.FormatInt(agent.ID, 10), UserName: "Mei", Text: "Hi Aisyah, it ships today"}
	got := replies[0]
	got.At = want.At
	if got != want {
		t.Fatalf("agent reply = %+v\nwant %+v", got, want)
	}
	// An edit is not relayed; the agent is told once.
	hs.api.Edit(inbox, id, "Hi Aisyah, it shipped")
	hs.api.Edit(inbox, id, "Hi Aisyah, it shipped!")
	hs.waitFor("edit notice", func() bool { return countText(hs.api.ThreadMessages(inbox, k.id), "Edits are not sent") == 1 })
	hs.api.Say(inbox, k.id, 0, agent, "one more")
	hs.waitFor("second reply", func() bool { return len(hs.h.Replies()) == 2 })
	if n := countText(hs.api.ThreadMessages(inbox, k.id), "Edits are not sent"); n != 1 {
		t.Errorf("%d edit notices, want 1", n)
	}
	if len(hs.h.Replies()) != 2 {
		t.Errorf("relayed %d messages, want 2: %+v", len(hs.h.Replies()), hs.h.Replies())
	}
}

func countText(msgs []telegramtest.Message, sub string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

func TestCommands(t *testing.T) {
	hs := newHarness(t)
	hs.h.OnCommand(func(c bridge.CommandRequest) bridge.CommandResponse {
		switch {
		case strings.HasPrefix(c.Text, "pause") && !c.Admin:
			return bridge.CommandResponse{Text: "Only admins can pause a store.", Error: true}
		case c.Text == "stores":
			return bridge.CommandResponse{Text: "STORE      STATUS\nshopee-my  ok <1s>\nlazada-sg  paused", Public: true}
		}
		return bridge.CommandResponse{Text: "ok: " + c.Text}
	})
	_, k := hs.openThread(testHeader)
	hs.listen()
	hs.api.Say(inbox, 0, 0, admin, "/sync_retry@"+telegramtest.BotUsername+" shopee-my")
	hs.api.Say(inbox, 0, 0, agent, "/pause shopee-my")
	hs.api.Say(inbox, 0, 0, agent, "/stores")
	hs.api.Say(inbox, 0, 0, agent, "/status@some_other_bot")
	hs.api.Say(inbox, k.id, 0, agent, "/chatid")
	hs.waitFor("four commands answered", func() bool { return hs.api.Count("sendMessage", 200) == 4 }) // a new topic has no post of its own
	cmds := hs.h.Commands()
	if len(cmds) != 3 {
		t.Fatalf("commands = %+v", cmds)
	}
	byText := map[string]bridge.CommandRequest{}
	for _, c := range cmds {
		byText[c.Text] = c
	}
	if c, ok := byText["sync retry shopee-my"]; !ok || !c.Admin || c.Surface != "telegram" || c.Channel != chatString(inbox) {
		t.Errorf("sync retry request = %+v (all: %+v)", c, cmds)
	}
	if c := byText["pause shopee-my"]; c.Admin {
		t.Error("a non-admin was marked admin")
	}
	var refusal, table, ids telegramtest.Message
	for _, m := range hs.api.Messages(inbox) {
		switch {
		case strings.Contains(m.Text, "This chat:"):
			ids = m
		case strings.Contains(m.Text, "Only admins"):
			refusal = m
		case strings.Contains(m.Text, "STORE"):
			table = m
		}
	}
	if !strings.HasPrefix(refusal.Text, "⚠️") || refusal.ReplyTo == 0 {
		t.Errorf("refusal = %+v", refusal)
	}
	if !strings.Contains(table.HTML, "<pre>") || !strings.Contains(table.Text, "ok <1s>") {
		t.Errorf("table answer = %q", table.HTML)
	}
	if want := fmt.Sprintf("This chat: -1001000000001\nThis topic: %d\nYour user id: 7001", k.id); ids.Text != want {
		t.Errorf("/chatid answered %q, want %q", ids.Text, want)
	}
}

func TestButtonsAreAlwaysAnswered(t *testing.T) {
	hs := newHarness(t)
	hs.h.OnAction(func(a bridge.ActionEvent) bridge.CommandResponse {
		if !a.Admin {
			return bridge.CommandResponse{Text: "Only admins can retry a sync.", Error: true}
		}
		return bridge.CommandResponse{Text: "Sync started."}
	})
	hs.listen()
	ref, err := hs.s.PostAlert(context.Background(), bridge.Alert{Severity: bridge.SeverityCritical, Title: "Full sync failed",
		Text: "Network restored, but full session sync failed", Stores: []bridge.StoreID{"shopee-my"},
		Actions: []bridge.Action{{ID: bridge.ActionRetrySync, Label: "Retry", Value: "shopee-my"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := msgKey{inbox, mustAtoi(ref.ID)}
	alert, _ := hs.api.Message(inbox, m.id)
	if alert.Markup == nil || alert.Markup.InlineKeyboard[0][0].CallbackData != "retry_sync:shopee-my" {
		t.Fatalf("alert buttons = %+v", alert.Markup)
	}
	hs.api.Press(inbox, m.id, agent, "retry_sync:shopee-my")
	hs.api.Press(inbox, m.id, admin, "retry_sync:shopee-my")
	hs.api.Press(inbox, m.id, admin, "k:999") // a long action from before a restart
	hs.waitFor("three answers", func() bool { return len(hs.api.Answers()) == 3 })
	answers := map[string]telegramtest.Answer{}
	for _, a := range hs.api.Answers() {
		answers[a.ID] = a
	}
	if a := answers["cb1"]; a.Text != "Only admins can retry a sync." || !a.ShowAlert {
		t.Errorf("non-admin answer = %+v", a)
	}
	if a := answers["cb2"]; a.Text != "Sync started." || a.ShowAlert {
		t.Errorf("admin answer = %+v", a)
	}
	if a := answers["cb3"]; !strings.Contains(a.Text, "expired") {
		t.Errorf("expired button answer = %+v", a)
	}
	// Button presses run concurrently: find the admin's.
	acts := hs.h.Actions()
	var byAdmin bridge.ActionEvent
	for _, a := range acts {
		if a.UserID == strconv.FormatInt(adminID, 10) {
			byAdmin = a
		}
	}
	if len(acts) != 2 || byAdmin.ActionID != bridge.ActionRetrySync || byAdmin.Value != "shopee-my" || !byAdmin.Admin {
		t.Errorf("actions = %+v", acts)
	}
	// Recovered: the alert is edited in place and loses its button.
	if err := hs.s.UpdateAlert(context.Background(), ref, bridge.Alert{Severity: bridge.SeverityResolved, Title: "Restored after 2m", Text: "5 messages caught up"}); err != nil {
		t.Fatal(err)
	}
	alert, _ = hs.api.Message(inbox, m.id)
	if !strings.Contains(alert.Text, "Restored after 2m") || (alert.Markup != nil && len(alert.Markup.InlineKeyboard) > 0) || alert.Edits != 1 {
		t.Errorf("alert after update: %+v", alert)
	}
}

func TestLongActionValuesUseShortKeys(t *testing.T) {
	b := newButtons(10)
	a := bridge.Action{ID: bridge.ActionRetrySync, Value: strings.Repeat("very-long-store-id-", 5)}
	data := b.encode(a)
	if len(data) > maxCallbackData {
		t.Fatalf("callback data %d bytes", len(data))
	}
	if got, ok := b.decode(data); !ok || got.Value != a.Value {
		t.Errorf("decode(%q) = %+v, %v", data, got, ok)
	}
	if got, _ := b.decode("retry_send:42"); got.ID != bridge.ActionRetrySend || got.Value != "42" {
		t.Errorf("decode retry_send = %+v", got)
	}
}

func TestReplyStatusReactionsAndRetry(t *testing.T) {
	hs := newHarness(t)
	ref, k := hs.openThread(testHeader)
	hs.h.OnAction(func(a bridge.ActionEvent) bridge.CommandResponse { return bridge.CommandResponse{Text: "Retrying."} })
	hs.listen()
	id := hs.api.Say(inbox, k.id, 0, agent, "Sudah dikirim")
	hs.waitFor("reply", func() bool { return len(hs.h.Replies()) == 1 })
	r := bridge.Reply{ID: 42, Thread: ref, ChatMessage: hs.h.Replies()[0].Message, Text: "Sudah dikirim", Status: bridge.ReplySending}
	ctx := context.Background()
	reaction := func() string { m, _ := hs.api.Message(inbox, id); return m.Reaction }

	if err := hs.s.SetReplyStatus(ctx, r); err != nil || reaction() != "✍" {
		t.Fatalf("sending: %v, reaction %q", err, reaction())
	}
	r.Status, r.Reason, r.Attempts = bridge.ReplyFailed, "shopee: send message: auth: token expired <store needs update>", 1
	if err := hs.s.SetReplyStatus(ctx, r); err != nil || reaction() != "💔" {
		t.Fatalf("failed: %v, reaction %q", err, reaction())
	}
	msgs := hs.api.ThreadMessages(inbox, k.id)
	notice := msgs[len(msgs)-1]
	if notice.ReplyTo != id || !strings.Contains(notice.Text, "token expired <store needs update>") || notice.Markup == nil ||
		notice.Markup.InlineKeyboard[0][0].CallbackData != "retry_send:42" {
		t.Fatalf("failure notice = %+v", notice)
	}
	hs.api.Press(inbox, notice.ID, agent, "retry_send:42")
	hs.waitFor("retry pressed", func() bool { return len(hs.api.Answers()) == 1 })
	if acts := hs.h.Actions(); len(acts) != 1 || acts[0].ActionID != bridge.ActionRetrySend || acts[0].Value != "42" || acts[0].Thread != ref {
		t.Errorf("retry action = %+v", acts)
	}
	r.Status = bridge.ReplySending
	hs.s.SetReplyStatus(ctx, r)
	r.Status, r.Reason = bridge.ReplySent, ""
	if err := hs.s.SetReplyStatus(ctx, r); err != nil || reaction() != "👌" {
		t.Fatalf("sent: %v, reaction %q", err, reaction())
	}
	notice, _ = hs.api.Message(inbox, notice.ID)
	if !strings.Contains(notice.Text, "Sent to the buyer after a retry") || (notice.Markup != nil && len(notice.Markup.InlineKeyboard) > 0) {
		t.Errorf("notice after success = %+v", notice)
	}
	// The agent deleted their message: nothing to react on, no error.
	hs.api.DeleteMessage(inbox, id)
	r.Status = bridge.ReplyFailed
	r.ID = 43
	r.ChatMessage = msgKey{inbox, id}.ref()
	if err := hs.s.SetReplyStatus(ctx, r); err != nil {
		t.Errorf("status on a deleted message: %v", err)
	}
}

func TestAgentReplyTheBridgeCannotTakeIsFlagged(t *testing.T) {
	hs := newHarness(t)
	_, k := hs.openThread(testHeader)
	hs.h.OnAgentReply(func(bridge.AgentMessage) error { return errors.New("database is locked") })
	hs.listen()
	hs.api.Say(inbox, k.id, 0, agent, "hello")
	hs.waitFor("agent told", func() bool { return countText(hs.api.ThreadMessages(inbox, k.id), "could not be queued") == 1 })
}

func TestWebhook(t *testing.T) {
	const secret = "s3cr3t_token-XYZ"
	hs := newHarness(t, func(c *Config) {
		c.Mode, c.WebhookURL, c.SecretToken = ModeWebhook, "https://bridge.example.com/telegram/webhook", secret
	})
	_, k := hs.openThread(testHeader)
	srv := httptest.NewServer(hs.mux)
	defer srv.Close()
	post := func(secretHeader string, u models.Update) int {
		t.Helper()
		body, _ := jsonMarshal(u)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/telegram/webhook", strings.NewReader(string(body)))
		if secretHeader != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secretHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	msg := func(id int, text string) models.Update {
		return models.Update{ID: int64(id), Message: &models.Message{ID: id, Date: 1, Chat: models.Chat{ID: inbox, Type: "supergroup", IsForum: true},
			From: &models.User{ID: agent.ID, FirstName: agent.Name}, MessageThreadID: k.id, IsTopicMessage: true, Text: text}}
	}
	if code := post(secret, msg(500, "too early")); code != http.StatusServiceUnavailable {
		t.Errorf("before Listen: %d, want 503", code)
	}
	hs.listen()
	if info, got := hs.api.Webhook(); info.URL != "https://bridge.example.com/telegram/webhook" || got != secret || info.MaxConnections != 1 {
		t.Errorf("setWebhook: %+v secret ok %v", info, got == secret)
	}
	if hs.api.Count("getUpdates", 0) != 0 {
		t.Error("webhook mode polled getUpdates")
	}
	for _, wrong := range []string{"", "s3cr3t_token-XYz", "wrong"} {
		if code := post(wrong, msg(501, "forged")); code != http.StatusUnauthorized {
			t.Errorf("secret %q: %d, want 401", wrong, code)
		}
	}
	if code := post(secret, msg(502, "real")); code != http.StatusOK {
		t.Errorf("right secret: %d, want 200", code)
	}
	if code := post(secret, msg(502, "real")); code != http.StatusOK {
		t.Errorf("redelivery: %d, want 200", code)
	}
	hs.h.OnAgentReply(func(m bridge.AgentMessage) error {
		if m.Text == "db down" {
			return errors.New("database is locked")
		}
		return nil
	})
	if code := post(secret, msg(503, "db down")); code != http.StatusInternalServerError {
		t.Errorf("reply the bridge cannot take: %d, want 500 (Telegram redelivers)", code)
	}
	replies := hs.h.Replies()
	if len(replies) != 1 || replies[0].Text != "real" {
		t.Errorf("replies = %+v, want only the one with the right secret, once", replies)
	}
	hs.stopListening()
	if code := post(secret, msg(504, "after stop")); code != http.StatusServiceUnavailable {
		t.Errorf("after Listen: %d, want 503", code)
	}
}

func TestStartCheckReportsMissingRight(t *testing.T) {
	hs := newHarness(t)
	hs.api.SetBotRights(inbox, "administrator", false, true)
	hs.listen()
	hs.waitFor("health report", func() bool { return !lastHealth(hs.h).OK })
	err := lastHealth(hs.h).Err
	if bridge.Classify(err) != bridge.KindAuth || !strings.Contains(err.Error(), `lack "Manage topics"`) || !strings.Contains(err.Error(), "inbox chat") {
		t.Fatalf("health error = %v", err)
	}
	if !strings.Contains(hs.logs.String(), "can_manage_topics") {
		t.Error("the missing right is not logged")
	}
	// An admin fixes it; the periodic check notices.
	hs.api.SetBotRights(inbox, "administrator", true, true)
	hs.clock.Advance(hs.s.cfg.HealthCheckInterval)
	hs.waitFor("healthy again", func() bool { return lastHealth(hs.h).OK })

	hs.api.SetBotRights(inbox, "member", false, false)
	hs.s.recheck(context.Background(), inbox)
	if err := lastHealth(hs.h).Err; err == nil || !strings.Contains(err.Error(), "not an administrator") {
		t.Errorf("member bot: %v", err)
	}
}

func TestBotRemovedAndTokenRevoked(t *testing.T) {
	hs := newHarness(t)
	ref, _ := hs.openThread(testHeader)
	hs.listen()
	hs.api.RemoveBot(inbox)
	hs.waitFor("surface down", func() bool { return !lastHealth(hs.h).OK })
	_, err := hs.s.PostMessage(context.Background(), ref, testHeader, textMsg("1", "still there?"))
	if bridge.Classify(err) != bridge.KindAuth {
		t.Errorf("post after the bot was removed: %v, want auth", err)
	}
	hs.stopListening()

	hs2 := newHarness(t)
	hs2.api.BreakToken(true)
	hs2.stop, hs2.done = nil, nil
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hs2.s.Listen(ctx, hs2.h) }()
	hs2.waitFor("401 reported", func() bool { return !lastHealth(hs2.h).OK })
	if err := lastHealth(hs2.h).Err; bridge.Classify(err) != bridge.KindAuth || !strings.Contains(err.Error(), "token was rejected") {
		t.Errorf("revoked token: %v", err)
	}
	hs2.api.BreakToken(false)
	hs2.waitFor("recovered", func() bool { return lastHealth(hs2.h).OK && hs2.s.active.Load() != nil })
	cancel()
	<-done
}

func TestPollingHealthFollowsGetUpdates(t *testing.T) {
	hs := newHarness(t)
	hs.listen()
	hs.api.Fail(telegramtest.Fault{Method: "getUpdates", Times: 2, Code: 502, Description: "Bad Gateway"})
	hs.api.Say(inbox, 0, 0, agent, "ends the current long poll")
	hs.waitFor("poll failure reported", func() bool { return !lastHealth(hs.h).OK })
	if err := lastHealth(hs.h).Err; bridge.Classify(err) != bridge.KindTransient {
		t.Errorf("502: %v", err)
	}
	hs.waitFor("poll success reported", func() bool { return lastHealth(hs.h).OK })
}

// 2,000 webhook requests with a wrong secret token make one log line, not
// one each, and are all counted.
func TestWebhookForgedFloodLogsBoundedLines(t *testing.T) {
	const secret = "s3cr3t_token-XYZ"
	hs := newHarness(t, func(c *Config) {
		c.Mode, c.WebhookURL, c.SecretToken = ModeWebhook, "https://bridge.example.com/telegram/webhook", secret
	})
	srv := httptest.NewServer(hs.mux)
	defer srv.Close()
	hs.listen()
	before := len(strings.Split(hs.logs.String(), "\n"))
	for i := range 2000 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/telegram/webhook", strings.NewReader(`{"update_id":`+strconv.Itoa(i)+`}`))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "forged-"+strconv.Itoa(i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged request %d: %d, want 401", i, resp.StatusCode)
		}
	}
	newLines := strings.Split(hs.logs.String(), "\n")[before-1:]
	if n := countContaining(newLines, WebhookEndpoint); n != 1 {
		t.Errorf("2,000 forged requests logged %d refusal lines, want 1", n)
	}
	if len(newLines) > 20 {
		t.Errorf("2,000 forged requests made %d log lines", len(newLines))
	}
	if n := hs.s.refusals.Total(WebhookEndpoint, "bad_secret"); n != 2000 {
		t.Errorf("counted %d, want 2000", n)
	}
	if n := len(hs.h.Replies()); n != 0 {
		t.Errorf("forged updates reached the bridge %d times", n)
	}
}

func countContaining(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}
