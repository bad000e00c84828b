package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// postKey names one marketplace message in one thread.
type postKey struct {
	thread bridge.ThreadRef
	id     bridge.MessageID
}

// postState is what the surface remembers of one message between calls:
// the parts of a long message already in the thread (a post that failed
// half-way, or found by FindPosted after a crash), and whether a post
// carrying it had an unknown outcome (a timeout after sending).
type postState struct {
	parts     []bridge.ChatMessageRef
	uncertain bool
}

// postBook is the surface's memory of posts between calls, so a retried
// PostMessages neither duplicates nor loses anything. It is only an
// optimisation over the thread itself (FindPosted reads the metadata), so
// its bounded cache may forget.
type postBook struct {
	m *boundedMap[postKey, postState]
}

const postBookMax = 10000

func newPostBook() *postBook {
	return &postBook{m: newBoundedMap[postKey, postState](postBookMax)}
}

func (b *postBook) get(k postKey) postState { v, _ := b.m.get(k); return v }

func (b *postBook) setUncertain(k postKey) {
	b.m.update(k, func(v *postState) { v.uncertain = true })
}

func (b *postBook) addPart(k postKey, ref bridge.ChatMessageRef) {
	b.m.update(k, func(v *postState) { v.parts = append(v.parts, ref) })
}

// setParts records the parts of a long message found in the thread.
func (b *postBook) setParts(k postKey, parts []bridge.ChatMessageRef) {
	b.m.update(k, func(v *postState) { v.parts = parts; v.uncertain = false })
}

func (b *postBook) done(k postKey) { b.m.delete(k) }

// messageMetadata names the marketplace messages a post carries, so that
// FindPosted can tell after a crash or a timeout what is already in the
// thread. A part of a long message also says which part of how many.
func messageMetadata(h bridge.ThreadHeader, p postPlan) slack.SlackMetadata {
	ids := make([]string, len(p.ids))
	for i, id := range p.ids {
		ids[i] = string(id)
	}
	payload := map[string]any{
		"message_ids":  ids,
		"conversation": string(h.Conversation),
		"store":        string(h.Store.ID),
	}
	if p.parts > 0 {
		payload["part"] = p.part
		payload["parts"] = p.parts
	}
	return slack.SlackMetadata{EventType: metaMessage, EventPayload: payload}
}

// PostMessage posts one marketplace message into the thread: the
// one-message case of PostMessages.
func (s *Surface) PostMessage(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message) (bridge.ChatMessageRef, error) {
	refs, err := s.PostMessages(ctx, t, h, []bridge.Message{m})
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	if len(refs) == 0 {
		return bridge.ChatMessageRef{}, fmt.Errorf("slack: message %s rendered to nothing", m.ID)
	}
	return refs[0], nil
}

// PostMessages posts consecutive messages of one conversation (oldest
// first) into the thread, combined into as few posts as Slack's limits allow
// (see layoutPosts): under a burst, Slack's per-channel limit caps posts,
// not buyer messages. Each post's metadata carries the marketplace message
// IDs it holds. It returns, for a prefix of msgs, the post that carries each
// message (its first part, for a long one); when the prefix is shorter than
// msgs, the error says why. A deleted root makes the error wrap
// bridge.ErrThreadGone. A post whose outcome is unknown is looked for in the
// thread before the next attempt posts again, so a retry never duplicates.
func (s *Surface) PostMessages(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if s.threads.isGone(t) {
		return nil, threadGone(&bridge.PlatformError{Kind: bridge.KindPermanent, Platform: platformName, Op: "post message", Code: codeMessageGone})
	}
	posted := map[bridge.MessageID]bridge.ChatMessageRef{}
	if err := s.settleUncertain(ctx, t, msgs, posted); err != nil {
		return nil, err
	}
	var todo []renderedMessage
	for _, m := range msgs {
		if _, ok := posted[m.ID]; !ok {
			todo = append(todo, s.renderMessage(h, m))
		}
	}
	lim := layout{maxBlocks: s.cfg.MaxBlocks, budget: postTextBudget}
	plans := layoutPosts(todo, lim)
	postedAny := false
	for i := 0; i < len(plans); i++ {
		p := plans[i]
		key := postKey{t, p.ids[0]}
		if p.parts > 0 && p.part < len(s.posts.get(key).parts) {
			// This part reached the thread in an earlier attempt.
			if p.part == p.parts-1 {
				posted[p.ids[0]] = s.posts.get(key).parts[0]
				s.posts.done(key)
			}
			continue
		}
		// A resumed conversation is surfaced with its first post of buyer
		// content (once per episode); later posts stay in the thread.
		broadcast := !postedAny && h.Resumed && p.buyer && p.part == 0 && s.threads.resume(t, true)
		ref, err := s.postOne(ctx, t, h, p, broadcast)
		if err != nil {
			if broadcast {
				s.threads.undoResume(t)
			}
			if isCode(err, codeBlocksTooLong) && len(p.ids) > 1 {
				// Slack's cumulative limit is undocumented: cut the rest of the
				// call into smaller posts and go on.
				lim.budget /= 2
				rest := todo[indexOf(todo, p.ids[0]):]
				plans = append(plans[:i], layoutPosts(rest, lim)...)
				i--
				continue
			}
			return prefix(msgs, posted), err
		}
		postedAny = true
		if p.parts == 0 {
			for _, id := range p.ids {
				posted[id] = ref
				s.posts.done(postKey{t, id})
			}
			continue
		}
		s.posts.addPart(key, ref)
		if p.part == p.parts-1 {
			posted[p.ids[0]] = s.posts.get(key).parts[0]
			s.posts.done(key)
		}
	}
	return prefix(msgs, posted), nil
}

// settleUncertain looks in the thread, with one scan, for the messages
// whose last post had an unknown outcome, and puts those found into posted;
// the parts found of a long message are remembered so posting resumes after
// them. A permanent failure of the scan other than a deleted thread (a
// missing scope, say) is logged and posting goes on: a rare duplicate is
// better than a conversation that can never be posted again.
func (s *Surface) settleUncertain(ctx context.Context, t bridge.ThreadRef, msgs []bridge.Message, posted map[bridge.MessageID]bridge.ChatMessageRef) error {
	var ids []bridge.MessageID
	for _, m := range msgs {
		if s.posts.get(postKey{t, m.ID}).uncertain {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, err := s.FindPosted(ctx, t, ids)
	if err != nil {
		if errors.Is(err, bridge.ErrThreadGone) || bridge.Classify(err) != bridge.KindPermanent {
			return err
		}
		s.log.Warn("could not look for posts of unknown outcome; posting again", "channel", t.Channel, "err", err)
	}
	for _, id := range ids {
		k := postKey{t, id}
		if ref, ok := found[id]; ok {
			posted[id] = ref
			s.posts.done(k)
			continue
		}
		s.posts.m.update(k, func(v *postState) { v.uncertain = false })
	}
	return nil
}

// prefix returns the refs of the longest prefix of msgs that is posted.
func prefix(msgs []bridge.Message, posted map[bridge.MessageID]bridge.ChatMessageRef) []bridge.ChatMessageRef {
	out := make([]bridge.ChatMessageRef, 0, len(msgs))
	for _, m := range msgs {
		ref, ok := posted[m.ID]
		if !ok {
			break
		}
		out = append(out, ref)
	}
	return out
}

func indexOf(msgs []renderedMessage, id bridge.MessageID) int {
	for i, m := range msgs {
		if m.id == id {
			return i
		}
	}
	return 0
}

// postOne makes one post of a PostMessages call. An image block Slack
// refuses is shown as a link instead; a deleted root marks the thread gone;
// an unknown outcome marks the post's messages uncertain.
func (s *Surface) postOne(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, p postPlan, broadcast bool) (bridge.ChatMessageRef, error) {
	opts := []slack.MsgOption{
		slack.MsgOptionTS(t.ID),
		slack.MsgOptionBlocks(p.blocks...),
		slack.MsgOptionText(p.fallback, false),
		slack.MsgOptionMetadata(messageMetadata(h, p)),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	var ch, ts string
	c := call{op: "post message", method: methodPostMessage, channel: t.Channel, prio: prioHigh}
	post := func(ctx context.Context) error {
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, t.Channel, opts...)
		return err
	}
	err := s.do(ctx, c, post)
	if err != nil && isCode(err, codeInvalidBlocks) && hasImage(p.blocks) {
		// Slack could not fetch or accept an image: show it as a link instead.
		s.log.Warn("Slack refused an image block; posting the image as a link", "message", p.ids[0])
		opts[1] = slack.MsgOptionBlocks(imagesAsLinks(p.blocks)...)
		err = s.do(ctx, c, post)
	}
	if err != nil {
		pe := asPlatform(err)
		if pe != nil && isThreadGoneCode(pe.Code) {
			s.threads.markGone(t)
			return bridge.ChatMessageRef{}, threadGone(pe)
		}
		if pe != nil && pe.Kind == bridge.KindTransient && !pe.NotDelivered {
			for _, id := range p.ids {
				s.posts.setUncertain(postKey{t, id})
			}
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
