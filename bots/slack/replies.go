package slack

import (
	"context"
	"errors"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// replyBook remembers, per agent message, the status reaction the bridge set
// (so a change removes just that one), the failure notice of each reply (so
// a second failure edits it instead of posting another), and which agent
// messages the bridge took as replies (their edits get a notice).
type replyBook struct {
	reaction *boundedMap[bridge.ChatMessageRef, string]
	notice   *boundedMap[bridge.ReplyID, bridge.ChatMessageRef]
	taken    *boundedMap[bridge.ChatMessageRef, bool]
}

const replyBookMax = 20000

func newReplyBook() *replyBook {
	return &replyBook{
		reaction: newBoundedMap[bridge.ChatMessageRef, string](replyBookMax),
		notice:   newBoundedMap[bridge.ReplyID, bridge.ChatMessageRef](replyBookMax),
		taken:    newBoundedMap[bridge.ChatMessageRef, bool](replyBookMax),
	}
}

func (b *replyBook) take(m bridge.ChatMessageRef) { b.taken.set(m, true) }

func (b *replyBook) wasTaken(m bridge.ChatMessageRef) bool { v, _ := b.taken.get(m); return v }

func (b *replyBook) currentReaction(m bridge.ChatMessageRef) (string, bool) { return b.reaction.get(m) }

func (b *replyBook) setReaction(m bridge.ChatMessageRef, name string) { b.reaction.set(m, name) }

func (b *replyBook) noticeOf(id bridge.ReplyID) (bridge.ChatMessageRef, bool) {
	return b.notice.get(id)
}

func (b *replyBook) setNotice(id bridge.ReplyID, ref bridge.ChatMessageRef) {
	if ref.IsZero() {
		b.notice.delete(id)
		return
	}
	b.notice.set(id, ref)
}

// reactionFor maps a reply status to its reaction name.
func (s *Surface) reactionFor(st bridge.ReplyStatus) string {
	switch st {
	case bridge.ReplySent:
		return s.cfg.Reactions.Sent
	case bridge.ReplyFailed:
		return s.cfg.Reactions.Failed
	}
	return s.cfg.Reactions.Sending
}

// SetReplyStatus shows a reply's status as a reaction on the agent's
// message: queued and sending ⏳, sent ✅, failed ❌ (names configurable),
// replacing the previous one. A failure also gets a short thread reply with
// the reason and a Retry button; a later success edits that reply.
func (s *Surface) SetReplyStatus(ctx context.Context, r bridge.Reply) error {
	msg := r.ChatMessage
	if msg.IsZero() {
		return nil
	}
	s.replies.take(msg)
	var errs []error
	switch r.Status {
	case bridge.ReplyFailed:
		if err := s.postFailureNotice(ctx, r); err != nil {
			errs = append(errs, err)
		}
	case bridge.ReplySent:
		if ref, ok := s.replies.noticeOf(r.ID); ok {
			s.resolveFailureNotice(ctx, r, ref)
		}
	}
	if err := s.setReaction(ctx, msg, s.reactionFor(r.Status)); err != nil {
		errs = append(errs, err)
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// setReaction adds want and then removes the other status reactions (the
// one the bridge set, or all of them when it does not remember), so the
// message never shows no status at all.
func (s *Surface) setReaction(ctx context.Context, msg bridge.ChatMessageRef, want string) error {
	prev, known := s.replies.currentReaction(msg)
	if known && prev == want {
		return nil
	}
	item := slack.ItemRef{Channel: msg.Channel, Timestamp: msg.ID}
	err := s.do(ctx, call{op: "add status reaction", method: methodReactionAdd, channel: msg.Channel, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
		return ignoreCodes(s.api.AddReactionContext(ctx, want, item), codeAlreadyReacted)
	})
	if err != nil {
		return err
	}
	s.replies.setReaction(msg, want)
	var stale []string
	if known {
		stale = []string{prev}
	} else {
		for _, name := range []string{s.cfg.Reactions.Sending, s.cfg.Reactions.Sent, s.cfg.Reactions.Failed} {
			if name != want {
				stale = append(stale, name)
			}
		}
	}
	for _, name := range stale {
		err := s.do(ctx, call{op: "remove status reaction", method: methodReactionDel, channel: msg.Channel, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
			return ignoreCodes(s.api.RemoveReactionContext(ctx, name, item), codeNoReaction)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// failureBlocks is the thread reply of a failed reply: who, why, Retry.
func failureBlocks(r bridge.Reply) ([]slack.Block, string) {
	reason := r.Reason
	if reason == "" {
		reason = "unknown error"
	}
	who := ""
	if userIDPattern.MatchString(r.AuthorID) {
		who = "<@" + r.AuthorID + "> "
	}
	text := ":x: " + who + "your reply was *not sent* to the buyer: " + escapeInline(reason, 500)
	btn := slack.NewButtonBlockElement(bridge.ActionRetrySend, strconv.FormatInt(int64(r.ID), 10),
		slack.NewTextBlockObject(slack.PlainTextType, "Retry", false, false)).WithStyle(slack.StylePrimary)
	return []slack.Block{
		section(text),
		slack.NewActionBlock("retry_send_"+strconv.FormatInt(int64(r.ID), 10), btn),
	}, escapeText("Your reply was not sent to the buyer: " + reason)
}

// postFailureNotice posts (or edits) the failure reply with its Retry button.
func (s *Surface) postFailureNotice(ctx context.Context, r bridge.Reply) error {
	thread := r.Thread
	if thread.IsZero() {
		s.log.Warn("failed reply has no thread; showing only the reaction", "reply", r.ID)
		return nil
	}
	blocks, text := failureBlocks(r)
	if ref, ok := s.replies.noticeOf(r.ID); ok {
		err := s.do(ctx, call{op: "update failure notice", method: methodUpdate, channel: ref.Channel, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
			_, _, _, err := s.api.UpdateMessageContext(ctx, ref.Channel, ref.ID, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
			return err
		})
		if err == nil || !isThreadGoneCode(codeOf(err)) {
			return err
		}
		// The notice was deleted: post a new one.
	}
	var ch, ts string
	err := s.do(ctx, call{op: "post failure notice", method: methodPostMessage, channel: thread.Channel, prio: prioUrgent}, func(ctx context.Context) error {
		var err error
		ch, ts, err = s.api.PostMessageContext(ctx, thread.Channel,
			slack.MsgOptionTS(thread.ID),
			slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionText(text, false),
			slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "shopbridge_reply_failed", EventPayload: map[string]any{"reply_id": int64(r.ID)}}),
		)
		return err
	})
	if err != nil {
		return err
	}
	if ch == "" {
		ch = thread.Channel
	}
	s.replies.setNotice(r.ID, bridge.ChatMessageRef{Channel: ch, ID: ts})
	return nil
}

// resolveFailureNotice edits a failure notice once the reply went out. It is
// cosmetic: errors are only logged.
func (s *Surface) resolveFailureNotice(ctx context.Context, r bridge.Reply, ref bridge.ChatMessageRef) {
	text := ":white_check_mark: The reply was sent to the buyer after a retry."
	err := s.do(ctx, call{op: "resolve failure notice", method: methodUpdate, channel: ref.Channel, prio: prioUrgent, idempotent: true}, func(ctx context.Context) error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, ref.Channel, ref.ID, slack.MsgOptionBlocks(section(text)), slack.MsgOptionText("The reply was sent to the buyer after a retry.", false))
		return err
	})
	if err != nil {
		s.log.Warn("could not update a failure notice", "reply", r.ID, "err", err)
		return
	}
	s.replies.setNotice(r.ID, bridge.ChatMessageRef{})
}
