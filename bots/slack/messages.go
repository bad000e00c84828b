package slack

import (
	"context"
	"fmt"
	"sync"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// postKey names one marketplace message in one thread.
type postKey struct {
	thread bridge.ThreadRef
	id     bridge.MessageID
}

// postBook remembers, between calls of PostMessage for the same message,
// the parts already posted (a long message that failed half-way) and the
// messages whose post had an unknown outcome (a timeout after sending), so
// a retry neither duplicates nor loses anything.
type postBook struct {
	mu        sync.Mutex
	parts     map[postKey][]bridge.ChatMessageRef
	uncertain map[postKey]bool
}

func newPostBook() *postBook {
	return &postBook{parts: map[postKey][]bridge.ChatMessageRef{}, uncertain: map[postKey]bool{}}
}

const postBookMax = 10000

func (b *postBook) posted(k postKey) []bridge.ChatMessageRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bridge.ChatMessageRef(nil), b.parts[k]...)
}

func (b *postBook) addPart(k postKey, ref bridge.ChatMessageRef) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.parts) >= postBookMax {
		clear(b.parts)
	}
	b.parts[k] = append(b.parts[k], ref)
}

func (b *postBook) setUncertain(k postKey, v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v {
		if len(b.uncertain) >= postBookMax {
			clear(b.uncertain)
		}
		b.uncertain[k] = true
	} else {
		delete(b.uncertain, k)
	}
}

func (b *postBook) isUncertain(k postKey) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.uncertain[k]
}

func (b *postBook) done(k postKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.parts, k)
	delete(b.uncertain, k)
}

func messageMetadata(h bridge.ThreadHeader, m bridge.Message, part int) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: metaMessage, EventPayload: map[string]any{
		"message_id":   string(m.ID),
		"conversation": string(h.Conversation),
		"store":        string(h.Store.ID),
		"part":         part,
	}}
}

// PostMessage posts one marketplace message into the thread (thread_ts is
// the root's ts). Its metadata carries the marketplace message ID. When Slack
// says the root is gone the error wraps bridge.ErrThreadGone.
func (s *Surface) PostMessage(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message) (bridge.ChatMessageRef, error) {
	if s.threads.isGone(t) {
		return bridge.ChatMessageRef{}, threadGone(&bridge.PlatformError{Kind: bridge.KindPermanent, Platform: platformName, Op: "post message", Code: codeMessageGone})
	}
	key := postKey{t, m.ID}
	if s.posts.isUncertain(key) && len(s.posts.posted(key)) == 0 {
		// The last attempt may have reached Slack: look before posting again.
		if ref, found, err := s.findPosted(ctx, t, m.ID); err == nil && found {
			s.posts.done(key)
			return ref, nil
		}
	}
	r := s.renderMessage(h, m)
	already := s.posts.posted(key)
	broadcast := h.Resumed && m.Sender == bridge.SenderBuyer && len(already) == 0 && s.threads.resume(t, true)
	for i, blocks := range r.parts {
		if i < len(already) {
			continue
		}
		ref, err := s.postPart(ctx, t, h, m, i, blocks, r.fallback[i], broadcast && i == 0)
		if err != nil {
			if broadcast && i == 0 {
				s.threads.undoResume(t)
			}
			return bridge.ChatMessageRef{}, err
		}
		s.posts.addPart(key, ref)
	}
	parts := s.posts.posted(key)
	s.posts.done(key)
	if len(parts) == 0 {
		return bridge.ChatMessageRef{}, fmt.Errorf("slack: message %s rendered to nothing", m.ID)
	}
	return parts[0], nil
}

func (s *Surface) postPart(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message, part int, blocks []slack.Block, fallback string, broadcast bool) (bridge.ChatMessageRef, error) {
	key := postKey{t, m.ID}
	opts := []slack.MsgOption{
		slack.MsgOptionTS(t.ID),
		slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionText(fallback, false),
		slack.MsgOptionMetadata(messageMetadata(h, m, part)),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	var ch, ts string
	c := call{op: "post message", method: methodPostMessage, channel: t.Channel, prio: prioHigh}
	err := s.do(ctx, c, func(ctx context.Context) error {
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, t.Channel, opts...)
		return err
	})
	if err != nil && isCode(err, codeInvalidBlocks) && hasImage(blocks) {
		// Slack could not fetch or accept an image: show it as a link instead.
		s.log.Warn("Slack refused an image block; posting the image as a link", "message", m.ID)
		opts[1] = slack.MsgOptionBlocks(imagesAsLinks(blocks)...)
		err = s.do(ctx, c, func(ctx context.Context) error {
			var err error
			ch, ts, err = s.api.PostMessageContext(ctx, t.Channel, opts...)
			return err
		})
	}
	if err != nil {
		pe := asPlatform(err)
		if pe != nil && isThreadGoneCode(pe.Code) {
			s.threads.markGone(t)
			return bridge.ChatMessageRef{}, threadGone(pe)
		}
		if pe != nil && pe.Kind == bridge.KindTransient && !pe.NotDelivered {
			s.posts.setUncertain(key, true)
		}
		return bridge.ChatMessageRef{}, err
	}
	if ch == "" {
		ch = t.Channel
	}
	return bridge.ChatMessageRef{Channel: ch, ID: ts}, nil
}

func hasImage(blocks []slack.Block) bool {
	for _, b := range blocks {
		if _, ok := b.(*slack.ImageBlock); ok {
			return true
		}
		if sb, ok := b.(*slack.SectionBlock); ok && sb.Accessory != nil && sb.Accessory.ImageElement != nil {
			return true
		}
	}
	return false
}

// imagesAsLinks replaces image blocks by links and drops image accessories.
func imagesAsLinks(blocks []slack.Block) []slack.Block {
	out := make([]slack.Block, 0, len(blocks))
	for _, b := range blocks {
		switch v := b.(type) {
		case *slack.ImageBlock:
			out = append(out, section(":frame_with_picture: "+link(v.ImageURL, "Image")))
		case *slack.SectionBlock:
			if v.Accessory != nil && v.Accessory.ImageElement != nil {
				c := *v
				c.Accessory = nil
				out = append(out, &c)
				continue
			}
			out = append(out, v)
		default:
			out = append(out, b)
		}
	}
	return out
}

// FindPosted looks through the thread for the messages whose metadata names
// the marketplace message ids.
func (s *Surface) FindPosted(ctx context.Context, t bridge.ThreadRef, ids []bridge.MessageID) (map[bridge.MessageID]bridge.ChatMessageRef, error) {
	out := map[bridge.MessageID]bridge.ChatMessageRef{}
	for _, id := range ids {
		ref, found, err := s.findPosted(ctx, t, id)
		if err != nil {
			return out, err
		}
		if found {
			out[id] = ref
		}
	}
	return out, nil
}

// findPosted looks through the thread for a message whose metadata names the
// marketplace message id (the first part of it) and returns it.
func (s *Surface) findPosted(ctx context.Context, t bridge.ThreadRef, id bridge.MessageID) (bridge.ChatMessageRef, bool, error) {
	cursor := ""
	for {
		var msgs []slack.Message
		var more bool
		var next string
		err := s.do(ctx, call{op: "find posted message", method: methodReplies, channel: t.Channel, prio: prioHigh, idempotent: true}, func(ctx context.Context) error {
			var err error
			msgs, more, next, err = s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: t.Channel, Timestamp: t.ID, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
			})
			return err
		})
		if err != nil {
			if pe := asPlatform(err); pe != nil && isThreadGoneCode(pe.Code) {
				s.threads.markGone(t)
				return bridge.ChatMessageRef{}, false, threadGone(pe)
			}
			return bridge.ChatMessageRef{}, false, err
		}
		for _, m := range msgs {
			if m.Metadata.EventType != metaMessage {
				continue
			}
			if fmt.Sprint(m.Metadata.EventPayload["message_id"]) != string(id) {
				continue
			}
			if p, ok := m.Metadata.EventPayload["part"].(float64); ok && p != 0 {
				continue
			}
			return bridge.ChatMessageRef{Channel: t.Channel, ID: m.Timestamp}, true, nil
		}
		if !more || next == "" {
			return bridge.ChatMessageRef{}, false, nil
		}
		cursor = next
	}
}
