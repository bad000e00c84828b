package telegram

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
	"github.com/shopbridge/shopbridge/bridge"
)

// conversation is one buyer conversation for the poster driver: its header
// and the messages pending for it.
type conversation struct {
	header bridge.ThreadHeader
	msgs   []bridge.Message
}

// posterRun is what the poster driver got back.
type posterRun struct {
	mu      sync.Mutex
	threads map[bridge.ConversationID]bridge.ThreadRef
	refs    map[bridge.MessageID]bridge.ChatMessageRef
}

// maxPerCall is how many pending messages the core's poster hands over in
// one PostMessages call.
const maxPerCall = 50

// runPoster behaves like the core's poster for one chat destination:
// conversations are served round robin, parallel of them at a time; for
// each, OpenThread when it has no thread yet, then PostMessages with
// everything pending (up to maxPerCall; the rest goes to the back of the
// line). after, when set, is called after each PostMessages, like the
// core queueing a header update off the posting path.
//
// active, when not nil, counts the driver's workers still running.
func runPoster(t testing.TB, s *Surface, convs []conversation, parallel int, after func(bridge.ThreadRef, bridge.ThreadHeader), active *atomic.Int32) *posterRun {
	t.Helper()
	ctx := context.Background()
	run := &posterRun{threads: map[bridge.ConversationID]bridge.ThreadRef{}, refs: map[bridge.MessageID]bridge.ChatMessageRef{}}
	var mu sync.Mutex
	line := make([]conversation, len(convs))
	copy(line, convs)
	next := func() (conversation, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(line) == 0 {
			return conversation{}, false
		}
		c := line[0]
		line = line[1:]
		return c, true
	}
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		if active != nil {
			active.Add(1)
		}
		go func() {
			defer wg.Done()
			if active != nil {
				defer active.Add(-1)
			}
			for {
				c, ok := next()
				if !ok {
					return
				}
				run.mu.Lock()
				ref, has := run.threads[c.header.Conversation]
				run.mu.Unlock()
				if !has {
					var err error
					if ref, err = s.OpenThread(ctx, c.header); err != nil {
						t.Errorf("open %s: %v", c.header.Conversation, err)
						return
					}
					run.mu.Lock()
					run.threads[c.header.Conversation] = ref
					run.mu.Unlock()
				}
				batch := c.msgs
				if len(batch) > maxPerCall {
					batch = batch[:maxPerCall]
				}
				refs, err := s.PostMessages(ctx, ref, c.header, batch)
				if err != nil {
					t.Errorf("post into %s: %v", c.header.Conversation, err)
					return
				}
				run.mu.Lock()
				for i, r := range refs {
					run.refs[batch[i].ID] = r
				}
				run.mu.Unlock()
				if after != nil {
					after(ref, c.header)
				}
				if len(c.msgs) > len(batch) {
					mu.Lock()
					line = append(line, conversation{header: c.header, msgs: c.msgs[len(batch):]})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return run
}

// burstConversations are n new conversations of one store with per buyer
// messages each.
func burstConversations(n, per int) []conversation {
	var out []conversation
	for c := range n {
		conv := bridge.ConversationID(fmt.Sprintf("conv-%02d", c))
		h := bridge.ThreadHeader{Store: testHeader.Store, Conversation: conv, BuyerID: fmt.Sprintf("b%02d", c),
			BuyerName: fmt.Sprintf("Buyer %02d", c), Link: "https://seller.shopee.com.my/chat/" + string(conv),
			AwaitingReply: true, Unread: per}
		var msgs []bridge.Message
		for i := range per {
			msgs = append(msgs, bridge.Message{ID: bridge.MessageID(fmt.Sprintf("%s-m%02d", conv, i)), Conversation: conv,
				Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: fmt.Sprintf("%s message %02d: is it in stock?", conv, i),
				SentAt: time.Date(2025, 5, 1, 8, 59, i, 0, time.UTC)})
		}
		out = append(out, conversation{header: h, msgs: msgs})
	}
	return out
}

// burstFigures are the measures of a burst into one group.
type burstFigures struct {
	messages, conversations int
	// spent are the calls that posted into the group until the last
	// buyer message was visible (topics, posts, pins, edits).
	spent              int
	topics, posts      int
	visible            time.Duration
	refused            int
	lowBeforeLastVisit int
}

// measureBurst checks that every message of convs is in its own topic, in
// order, exactly once, and measures the run.
func measureBurst(t testing.TB, api *telegramtest.Server, chat int64, start time.Time, convs []conversation, run *posterRun) burstFigures {
	t.Helper()
	f := burstFigures{conversations: len(convs)}
	var last time.Time
	all := api.Messages(chat)
	for _, c := range convs {
		ref, ok := run.threads[c.header.Conversation]
		if !ok {
			t.Fatalf("%s has no thread", c.header.Conversation)
		}
		k, _ := parseThread(ref)
		var text strings.Builder
		for _, m := range api.ThreadMessages(chat, k.id) {
			text.WriteString(m.Text + "\n")
		}
		pos := -1
		for _, m := range c.msgs {
			f.messages++
			r, ok := run.refs[m.ID]
			if !ok {
				t.Fatalf("message %s got no ref", m.ID)
			}
			if n := countText(all, m.Text); n != 1 {
				t.Fatalf("%q is in the chat %d times", m.Text, n)
			}
			i := strings.Index(text.String(), m.Text)
			if i < 0 || i < pos {
				t.Fatalf("%s not in its topic, or out of order", m.ID)
			}
			pos = i
			mk, _ := parseMessage(r)
			post, ok := api.Message(chat, mk.id)
			if !ok || !strings.Contains(post.Text, m.Text) {
				t.Fatalf("ref of %s points at %+v", m.ID, post)
			}
			if post.Date.After(last) {
				last = post.Date
			}
		}
	}
	f.visible = last.Sub(start)
	for _, c := range api.GroupCalls(chat, 0) {
		switch {
		case c.Code == 429:
			f.refused++
		case c.Code != 200 || c.At.After(last):
		default:
			f.spent++
			switch c.Method {
			case "createForumTopic":
				f.topics++
			case "sendMessage", "sendPhoto":
				f.posts++
			default:
				f.lowBeforeLastVisit++
			}
		}
	}
	return f
}

// TestBurstIntoNewTopics is the burst that showed only 12 of 60 messages
// after 120 s with a card and a pin per new topic: 60 buyer messages in 15
// new conversations into one forum group that accepts 20 posts a minute
// (the surface is not told), driven like the core's poster, 4
// conversations at a time.
func TestBurstIntoNewTopics(t *testing.T) {
	hs := newHarness(t)
	hs.api.SetGroupLimit(20, time.Minute)
	convs := burstConversations(15, 4)
	start := hs.clock.Now()
	run := runPoster(t, hs.s, convs, 4, nil, nil)
	f := measureBurst(t, hs.api, inbox, start, convs, run)
	t.Logf("%d messages in %d new conversations: %d calls (%d topics, %d posts, %d other) until all visible after %v; %d × 429",
		f.messages, f.conversations, f.spent, f.topics, f.posts, f.lowBeforeLastVisit, f.visible, f.refused)
	// Every call that posted into the group, over the whole run.
	if n := len(hs.api.GroupCalls(inbox, 200)); n > 2*f.conversations {
		t.Errorf("%d calls for %d new conversations, want ≤ 2 each", n, f.conversations)
	}
	if f.topics != 15 || f.posts != 15 {
		t.Errorf("%d topics and %d posts, want one of each per conversation", f.topics, f.posts)
	}
	if f.visible > 95*time.Second {
		t.Errorf("all messages visible after %v, want ≤ 95s", f.visible)
	}
	// The pacer starts at the documented 20/min and may probe above it
	// once the group has been busy for a window; a failed probe is one 429.
	if f.refused > 1 {
		t.Errorf("%d calls refused with 429", f.refused)
	}
}

// TestBurstWithHeaderUpdates runs the same burst while the core's header
// updater (off the posting path) marks every third conversation answered,
// which renames its topic: the renames wait until the burst is through.
// The clock does not jump for a rename while a poster is between two calls
// (see driveClock): in real time that gap is microseconds.
func TestBurstWithHeaderUpdates(t *testing.T) {
	hs := newHarnessClock(t, false)
	var posters atomic.Int32
	hs.driveClock(func() bool { return posters.Load() == 0 || !hs.s.laneParkedFor(inbox, prioLow) })
	hs.api.SetGroupLimit(20, time.Minute)
	convs := burstConversations(15, 4)
	start := hs.clock.Now()
	var headers sync.WaitGroup
	run := runPoster(t, hs.s, convs, 4, func(ref bridge.ThreadRef, h bridge.ThreadHeader) {
		var n int
		fmt.Sscanf(string(h.Conversation), "conv-%d", &n)
		if n%3 != 0 {
			// Unread counts change nothing visible: no call at all.
			if err := hs.s.UpdateThreadHeader(context.Background(), ref, h); err != nil {
				t.Errorf("header of %s: %v", h.Conversation, err)
			}
			return
		}
		h.AwaitingReply, h.Unread = false, 0
		headers.Add(1)
		go func() {
			defer headers.Done()
			if err := hs.s.UpdateThreadHeader(context.Background(), ref, h); err != nil {
				t.Errorf("header of %s: %v", h.Conversation, err)
			}
		}()
	}, &posters)
	f := measureBurst(t, hs.api, inbox, start, convs, run)
	headers.Wait()
	t.Logf("%d messages: all visible after %v; %d renames before that; %d × 429", f.messages, f.visible, f.lowBeforeLastVisit, f.refused)
	if f.visible > 95*time.Second {
		t.Errorf("all messages visible after %v, want ≤ 95s", f.visible)
	}
	if f.lowBeforeLastVisit > 0 || f.spent > 2*f.conversations {
		t.Errorf("%d renames went before the last buyer message (%d calls until then)", f.lowBeforeLastVisit, f.spent)
	}
	if f.refused > 1 {
		t.Errorf("%d calls refused with 429", f.refused)
	}
	renames := 0
	for _, tp := range hs.api.Topics(inbox) {
		renames += tp.Renames
		if strings.HasSuffix(tp.Name, "Buyer 03") && !strings.HasPrefix(tp.Name, markAnswered+" ") {
			t.Errorf("answered conversation's topic is %q", tp.Name)
		}
	}
	if renames != 5 {
		t.Errorf("%d topic renames, want 5 (every third conversation answered)", renames)
	}
}
