package telegram

import (
	"context"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// postShape is what the surface remembers of a post of buyer messages it
// made, so that UpdateMessages lays the post out again the same way. It is
// kept in memory only (bounded): after a restart, or for a post forgotten
// since, the layout is inferred from the messages the post carries.
type postShape struct {
	// lead: the post was a new topic's first, opening with its header.
	lead bool
	// photo: the post went out as a photo, its text a caption.
	photo bool
	// combined: the post was part of a batch of several messages (times
	// in the heads, images as links).
	combined bool
	// tail is the end of a message begun in the previous post, which the
	// post started with.
	tail htmlText
}

// cutMark ends an edited post whose new rendering goes on beyond it.
const cutMark = "\n…"

// UpdateMessages renders a post again (bridge.MessageUpdater): ref is a
// post PostMessages made, msgs every message whose post it is, oldest
// first, a recalled one marked as such. The post is laid out as it was
// posted — after the topic's header if it opened the topic, after the end
// of a long message it started with, combined or alone, with the 🧵 marker
// in a reply chain — and edited with one call: editMessageText, or
// editMessageCaption for a photo. The edit posts into the group, so it
// spends the group's budget: it waits in the chat's lane at the lowest
// priority (like a topic rename), never ahead of buyer content, and a 429
// puts it back in its place (never dropped; a wait over max_retry_after
// goes back to the core, which retries).
//
// What the post looked like is remembered in memory only (postShape).
// After a restart the post is laid out from msgs alone: a topic's first
// post loses its header, and a post that began with the end of a message
// from the post before loses that end (the message's start, in the post
// before, is unchanged); a lone image is taken for a photo, and if the
// post turns out to be the text it fell back to, it is edited as that
// text. Only the post ref is edited: a rendering that goes on beyond it
// (a recall adds a line; a long message continues in the next post) is
// cut to it, ending with "…", rather than refused, and the posts after it
// keep their text as it was.
//
// A post deleted since (or one Telegram will not edit) is done: there is
// nothing left to show the change on. "Message is not modified" is done too.
func (s *Surface) UpdateMessages(ctx context.Context, t bridge.ThreadRef, ref bridge.ChatMessageRef, h bridge.ThreadHeader, msgs []bridge.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	k, err := parseThread(t)
	if err != nil {
		return err
	}
	mk, err := parseMessage(ref)
	if err != nil {
		return err
	}
	info, err := s.chatInfo(ctx, mk.chat)
	if err != nil {
		return err
	}
	shape, known := s.shapes.get(mk)
	// The posts' budget is the one they were laid out with, so long texts
	// are cut into the same pieces; the "…" of a cut post goes in only
	// where it fits.
	o := planOpts{combined: shape.combined}
	if !info.forum {
		o.prefix = chainMarker(k)
	}
	switch {
	case shape.tail.vis > 0:
		o.lead = shape.tail
	case shape.lead && info.forum:
		o.lead = headerLead(h)
	}
	posts := s.render.planWith(h, msgs, o)
	if len(posts) == 0 {
		return nil
	}
	photo := posts[0].photo != ""
	if known && shape.photo != photo {
		photo = shape.photo
		if photo {
			// Remembered as a photo, laid out as text now (not for the same
			// messages): a caption's room, then.
			o.budget = maxCaptionLen - visibleLen(cutMark)
			posts = s.render.planWith(h, msgs, o)
		}
	}
	p := posts[0]
	cut := len(posts) > 1
	if !photo && p.photo != "" {
		// It went out as the text a photo falls back to.
		p = post{text: p.fallback, msgs: p.msgs}
	}
	err = s.editPost(ctx, mk, p, photo, cut)
	if err != nil && !known && photo && strings.Contains(description(err), "no caption") {
		// A restart forgot the post: it was the text a photo fell back to.
		err = s.editPost(ctx, mk, post{text: posts[0].fallback, msgs: p.msgs}, false, cut)
	}
	switch {
	case err == nil, isNotModified(err):
		return nil
	case isEditTargetGone(err):
		s.log.Info("a post to update is gone or cannot be edited; the change is not shown", "chat", mk.chat, "message", mk.id)
		return nil
	}
	return err
}

// editPost edits one post in place at the lowest priority: its text (a
// text post, with its link preview) or its caption (a photo), ending with
// "…" when cut.
func (s *Surface) editPost(ctx context.Context, mk msgKey, p post, photo, cut bool) error {
	text := p.text
	limit := maxTextLen
	if photo {
		limit = maxCaptionLen
	}
	if cut && text.vis+visibleLen(cutMark) <= limit {
		text = concat("", text, plain(cutMark))
	}
	if photo {
		return s.spend(ctx, prioLow, "update message", mk.chat, func(ctx context.Context) error {
			_, err := s.bot.EditMessageCaption(ctx, &bot.EditMessageCaptionParams{
				ChatID: mk.chat, MessageID: mk.id, Caption: text.html, ParseMode: models.ParseModeHTML,
			})
			return err
		})
	}
	preview := previewOff()
	if p.preview != "" {
		u := p.preview
		preview = &models.LinkPreviewOptions{URL: &u, PreferLargeMedia: bot.True()}
	}
	return s.spend(ctx, prioLow, "update message", mk.chat, func(ctx context.Context) error {
		_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{
			ChatID: mk.chat, MessageID: mk.id, Text: text.html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: preview,
		})
		return err
	})
}
