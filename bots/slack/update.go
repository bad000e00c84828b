package slack

import (
	"context"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// cutMarker ends a post whose new rendering no longer fits one post.
const cutMarker = "… _(cut: the rest did not fit this post — open the conversation in Seller Centre)_"

// UpdateMessages renders a post again (bridge.MessageUpdater): ref is a
// thread reply that PostMessages made, msgs every message it carries,
// oldest first, a recalled one marked as such. The post is laid out the
// way PostMessages lays it out (sender lines, sections, the same message
// metadata, so FindPosted still finds every message in it) and edited with
// one chat.update, paced like a header edit (low priority: never ahead of
// buyer content) and never given up on a 429 (the call waits, and past
// Pacing.MaxRateLimitWait returns a rate-limited error that the core
// retries).
//
// The new rendering normally fits (a recall adds a line); when it does not
// it is cut, ending with "…", rather than failing. A post that is the first
// part of a message too long for one post is rendered as that first part
// (the same metadata, part 0 of the same number of parts); its later parts
// stay as they were.
//
// A post deleted in Slack (message_not_found) or one the bot may not edit
// (cant_update_message) is done: there is nothing left to show the change
// on, and the thread itself may well be there (a reply deleted says nothing
// about the root), so the error neither marks the thread gone nor wraps
// bridge.ErrThreadGone.
func (s *Surface) UpdateMessages(ctx context.Context, t bridge.ThreadRef, ref bridge.ChatMessageRef, h bridge.ThreadHeader, msgs []bridge.Message) error {
	if len(msgs) == 0 || ref.ID == "" {
		return nil
	}
	channel := ref.Channel
	if channel == "" {
		channel = t.Channel
	}
	rendered := make([]renderedMessage, len(msgs))
	for i, m := range msgs {
		rendered[i] = s.renderMessage(h, m)
	}
	budget := postTextBudget
	images := true
	for {
		p := s.updatePlan(h, msgs, rendered, layout{maxBlocks: s.cfg.MaxBlocks, budget: budget})
		blocks := p.blocks
		if !images {
			blocks = imagesAsLinks(blocks)
		}
		err := s.do(ctx, call{op: "update message", method: methodUpdate, channel: channel, prio: prioLow, idempotent: true}, func(ctx context.Context) error {
			_, _, _, err := s.api.UpdateMessageContext(ctx, channel, ref.ID,
				slack.MsgOptionBlocks(blocks...),
				slack.MsgOptionText(p.fallback, false),
				slack.MsgOptionMetadata(messageMetadata(h, p)),
			)
			return err
		})
		switch {
		case err == nil:
			return nil
		case images && isCode(err, codeInvalidBlocks) && hasImage(blocks):
			s.log.Warn("Slack refused an image block; showing the image as a link", "message", p.ids[0])
			images = false
		case isCode(err, codeBlocksTooLong) && budget > 1000:
			// Slack's cumulative limit is undocumented: cut smaller.
			budget /= 2
		case isCode(err, codeMessageGone) || isCode(err, codeCantUpdate):
			s.log.Info("a post to update is gone or cannot be edited; the change is not shown",
				"channel", channel, "ts", ref.ID, "code", codeOf(err))
			return nil
		default:
			return err
		}
	}
}

// updatePlan lays msgs out as the one post they were posted in, with the
// metadata naming every one of them. A lone message too long for one post
// is its first part (part 0 of the parts it was posted in); anything else
// that no longer fits is cut to one post ending with cutMarker.
func (s *Surface) updatePlan(h bridge.ThreadHeader, msgs []bridge.Message, rendered []renderedMessage, lim layout) postPlan {
	ids := make([]bridge.MessageID, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	plans := layoutPosts(rendered, lim)
	if len(plans) == 1 && plans[0].parts == 0 {
		plans[0].ids = ids
		plans[0].fallback = fallbackText(plans[0])
		return plans[0]
	}
	// Leave room for the marker, then keep the first post.
	markerChars := utf8.RuneCountInString(cutMarker)
	small := layout{maxBlocks: max(2, lim.maxBlocks-1), budget: max(lim.budget-markerChars, 100)}
	cut := layoutPosts(rendered, small)
	p := cut[0]
	if len(p.blocks) < lim.maxBlocks {
		p.blocks = append(p.blocks, contextLine(cutMarker))
	}
	p.ids = ids
	p.part, p.parts = 0, 0
	if len(msgs) == 1 {
		// A long message was posted in parts: this post is part 0 of as
		// many parts as the message had before it changed.
		orig := msgs[0]
		orig.Recalled = false
		full := layout{maxBlocks: s.cfg.MaxBlocks, budget: postTextBudget}
		if before := layoutPosts([]renderedMessage{s.renderMessage(h, orig)}, full); len(before) > 1 {
			p.parts = len(before)
		}
	}
	p.fallback = fallbackText(p)
	return p
}
