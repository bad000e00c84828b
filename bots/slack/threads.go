package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// Message metadata event types: the header of a thread and each posted
// marketplace message carry the IDs they stand for.
const (
	metaThread  = "shopbridge_thread"
	metaMessage = "shopbridge_message"
)

// threadBook is what the surface remembers about threads between calls. It
// is only a cache: the core's state has the mapping.
type threadBook struct {
	// gone are roots Slack told us were deleted (message_deleted events).
	gone *boundedMap[bridge.ThreadRef, bool]
	// broadcast marks threads whose current "resumed" episode was already
	// surfaced in the channel.
	broadcast *boundedMap[bridge.ThreadRef, bool]
	// continued marks threads opened to replace a deleted one: the core's
	// later header updates do not repeat Continued, the header keeps saying it.
	continued *boundedMap[bridge.ThreadRef, bool]
}

const threadBookMax = 10000

func newThreadBook() *threadBook {
	return &threadBook{
		gone:      newBoundedMap[bridge.ThreadRef, bool](threadBookMax),
		broadcast: newBoundedMap[bridge.ThreadRef, bool](threadBookMax),
		continued: newBoundedMap[bridge.ThreadRef, bool](threadBookMax),
	}
}

func (b *threadBook) markContinued(t bridge.ThreadRef) { b.continued.set(t, true) }

func (b *threadBook) isContinued(t bridge.ThreadRef) bool { v, _ := b.continued.get(t); return v }

func (b *threadBook) markGone(t bridge.ThreadRef) { b.gone.set(t, true) }

func (b *threadBook) isGone(t bridge.ThreadRef) bool { v, _ := b.gone.get(t); return v }

// resume decides whether a resumed conversation still has to be surfaced:
// true once per episode. A header without Resumed ends the episode.
func (b *threadBook) resume(t bridge.ThreadRef, resumed bool) bool {
	if !resumed {
		b.broadcast.delete(t)
		return false
	}
	return b.broadcast.add(t, true)
}

// undoResume forgets a surfacing that failed, so the next call tries again.
func (b *threadBook) undoResume(t bridge.ThreadRef) { b.broadcast.delete(t) }

// threadChannel routes a conversation: the store's own channel, else its
// site's channel, else the inbox.
func (s *Surface) threadChannel(h bridge.ThreadHeader) string {
	return s.Destination(h.Store)
}

// Destination names the channel a new thread of the store opens in (the
// store's own channel, else its site's channel, else the inbox), so the core
// runs one poster per channel: Slack's posting limit is per channel.
//
// It is the configured value. OpenThread returns as ThreadRef.Channel the
// channel ID Slack answers with, which is the same string whenever the
// configuration holds a channel ID — Validate insists on IDs for the inbox,
// alerts, report and site channels. They differ only when a store's own
// channel is configured as a name ("#shop-my"), which Slack also accepts
// for posting: its new threads then carry the ID, and OpenThread logs once
// that the name should be replaced by that ID.
func (s *Surface) Destination(st bridge.Store) string {
	return s.cfg.channelFor(st.Channel, st.Site)
}

// headerBlocks renders a thread's header. It never repeats a buyer message:
// those are posted once, in the thread.
func headerBlocks(h bridge.ThreadHeader) ([]slack.Block, string) {
	status := ":white_check_mark: *Answered*"
	plainStatus := "answered"
	if h.AwaitingReply {
		status = ":large_orange_circle: *Awaiting reply*"
		plainStatus = "awaiting reply"
	}
	if h.Unread > 0 {
		status += fmt.Sprintf(" · %d unread", h.Unread)
		plainStatus += fmt.Sprintf(", %d unread", h.Unread)
	}
	buyer := h.BuyerName
	if buyer == "" {
		buyer = h.BuyerID
	}
	if buyer == "" {
		buyer = "Buyer"
	}
	store := h.Store.Name
	if store == "" {
		store = string(h.Store.ID)
	}
	fields := []*slack.TextBlockObject{
		mrkdwn("*Platform*\n" + platformLabel(h.Store.Platform)),
		mrkdwn("*Store*\n" + escapeInline(store, 100)),
	}
	if h.Store.Site != "" {
		fields = append(fields, mrkdwn("*Site*\n"+escapeInline(h.Store.Site, 20)))
	}
	buyerField := "*Buyer*\n" + escapeInline(buyer, 100)
	if h.BuyerID != "" && h.BuyerName != "" {
		buyerField += " (`" + escapeCode(h.BuyerID) + "`)"
	}
	fields = append(fields, mrkdwn(buyerField))

	blocks := []slack.Block{
		slack.NewSectionBlock(mrkdwn(status), fields, nil),
	}
	ctx := "Conversation `" + escapeCode(string(h.Conversation)) + "`"
	if l := link(h.Link, "Open in Seller Centre"); l != "Open in Seller Centre" {
		ctx += " · " + l
	}
	ctx += " · reply in this thread to answer the buyer"
	blocks = append(blocks, contextLine(ctx))
	if h.Continued {
		blocks = append(blocks, contextLine(":leftwards_arrow_with_hook: Continues a conversation whose earlier thread was deleted."))
	}
	text := fmt.Sprintf("%s %s — %s — %s", platformLabel(h.Store.Platform), strings.TrimSpace(h.Store.Site+" "+store), buyer, plainStatus)
	if h.Continued {
		text += " (continued)"
	}
	return blocks, escapeText(text)
}

func threadMetadata(h bridge.ThreadHeader) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: metaThread, EventPayload: map[string]any{
		"store":        string(h.Store.ID),
		"platform":     string(h.Store.Platform),
		"conversation": string(h.Conversation),
	}}
}

// OpenThread posts the conversation's header as a new root message in the
// routed channel and returns the thread (channel ID and root ts).
func (s *Surface) OpenThread(ctx context.Context, h bridge.ThreadHeader) (bridge.ThreadRef, error) {
	channel := s.threadChannel(h)
	blocks, text := headerBlocks(h)
	var ch, ts string
	err := s.do(ctx, call{op: "open thread", method: methodPostMessage, channel: channel, prio: prioNormal}, func(ctx context.Context) error {
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, channel,
			slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionText(text, false),
			slack.MsgOptionMetadata(threadMetadata(h)),
			slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionDisableMediaUnfurl(),
		)
		return err
	})
	if err != nil {
		return bridge.ThreadRef{}, err
	}
	if ch == "" {
		ch = channel
	}
	if ch != channel && s.renamed.add(channel, true) {
		s.log.Warn("Slack posted into a channel under another name than configured; configure its channel ID so threads and their poster agree",
			"configured", channel, "channel_id", ch, "store", h.Store.ID)
	}
	ref := bridge.ThreadRef{Channel: ch, ID: ts}
	if h.Continued {
		s.threads.markContinued(ref)
	}
	return ref, nil
}

// UpdateThreadHeader edits the header in place (status, unread count),
// keeping the "continues a deleted thread" note of a replacement thread
// (remembered in memory: after a restart the next edit drops it). A
// resumed conversation is surfaced once in the channel with a short notice
// linking to the thread: the core posts the new buyer message before it
// updates the header, so the message itself cannot be broadcast any more,
// and an edited root message does not move in the channel.
func (s *Surface) UpdateThreadHeader(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader) error {
	if s.threads.isGone(t) {
		return threadGone(&bridge.PlatformError{Kind: bridge.KindPermanent, Platform: platformName, Op: "update thread header", Code: codeMessageGone})
	}
	if s.threads.isContinued(t) {
		h.Continued = true
	}
	blocks, text := headerBlocks(h)
	err := s.do(ctx, call{op: "update thread header", method: methodUpdate, channel: t.Channel, prio: prioLow, idempotent: true}, func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, t.Channel, t.ID,
			slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionText(text, false),
			slack.MsgOptionMetadata(threadMetadata(h)),
		)
		return err
	})
	if err != nil {
		if pe := asPlatform(err); pe != nil && (isThreadGoneCode(pe.Code) || pe.Code == codeCantUpdate) {
			s.threads.markGone(t)
			return threadGone(pe)
		}
		return err
	}
	if s.threads.resume(t, h.Resumed) {
		if err := s.postResumeNotice(ctx, t, h); err != nil {
			s.threads.undoResume(t)
			return err
		}
	}
	return nil
}

// postResumeNotice tells the channel that a quiet conversation is active
// again, with a link to its thread.
func (s *Surface) postResumeNotice(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader) error {
	buyer := h.BuyerName
	if buyer == "" {
		buyer = "A buyer"
	}
	where := "the thread"
	var permalink string
	perr := s.do(ctx, call{op: "get permalink", method: methodPermalink, prio: prioLow, idempotent: true}, func(ctx context.Context) error {
		var err error
		permalink, err = s.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: t.Channel, Ts: t.ID})
		return err
	})
	if perr == nil && permalink != "" {
		where = link(permalink, "open the thread")
	}
	store := h.Store.Name
	if store == "" {
		store = string(h.Store.ID)
	}
	text := fmt.Sprintf(":speech_balloon: *%s* wrote again in a quiet conversation · %s %s · %s",
		escapeInline(buyer, 80), platformLabel(h.Store.Platform), escapeInline(strings.TrimSpace(h.Store.Site+" "+store), 100), where)
	return s.do(ctx, call{op: "post resumed notice", method: methodPostMessage, channel: t.Channel, prio: prioLow}, func(ctx context.Context) error {
		_, _, err := s.api.PostMessageContext(ctx, t.Channel,
			slack.MsgOptionBlocks(section(text)),
			slack.MsgOptionText(escapeText(buyer+" wrote again in a quiet conversation"), false),
			slack.MsgOptionDisableLinkUnfurl(),
		)
		return err
	})
}
