package console

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// retry answers "retry N". Only a failed reply (or one queued to be
// retried later) is handed to the bridge's Retry button; the others get a
// precise answer here, because the bridge's own answers do not tell them
// apart: it says "That reply no longer exists." for a number that never
// was a reply, and "Could not retry: …" for one already sent.
//
// What the reply is comes from the state (Deps.Replies) when the console
// has it, else from the statuses this console showed; a reply it knows
// nothing about goes to the bridge as before.
func (s *Surface) retry(ctx context.Context, h bridge.ChatHandler, id bridge.ReplyID) {
	r, known, missing := s.lookupReply(ctx, id)
	answer := func(text string) {
		s.out.print(renderResponse(s.paint, consoleUserID, bridge.CommandResponse{Text: text, Error: true}))
	}
	switch {
	case missing:
		answer(fmt.Sprintf(`There is no reply #%d: nothing to retry. %s`, id, s.retryable(ctx)))
	case known && r.Status == bridge.ReplySent:
		answer(fmt.Sprintf("Reply #%d was already sent ✓: nothing to retry.", id))
	case known && r.Status == bridge.ReplySending:
		answer(fmt.Sprintf("Reply #%d is being sent right now: wait for its status.", id))
	default:
		s.press(ctx, h, bridge.ActionRetrySend, strconv.FormatInt(int64(id), 10), consoleUserID, s.cfg.User)
	}
}

// failedWindow is how far back retryable looks for failed replies in the
// state.
const failedWindow = 7 * 24 * time.Hour

// replyLister is the optional capability of a ReplyStore to list recent
// replies (bridge.State has it).
type replyLister interface {
	Replies(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.Reply, error)
}

// retryable lists the failed console replies, which retry takes, for the
// answer to a number that is not a reply: those of the past week in the
// state when the console can list them, and those it showed.
func (s *Surface) retryable(ctx context.Context) string {
	failed := map[bridge.ReplyID]bool{}
	if l, ok := s.replies.(replyLister); ok {
		rows, err := l.Replies(ctx, "", s.clock.Now().Add(-failedWindow))
		if err != nil {
			s.log.Warn("console: could not list the failed replies", "err", err)
		}
		for _, r := range rows {
			if r.Status == bridge.ReplyFailed && r.Thread.Channel == Channel {
				failed[r.ID] = true
			}
		}
	}
	s.mu.Lock()
	for _, r := range s.statuses {
		if r.Status == bridge.ReplyFailed {
			failed[r.ID] = true
		}
	}
	s.mu.Unlock()
	if len(failed) == 0 {
		return `No reply has failed lately; a failed one shows "reply #12 … FAILED".`
	}
	ids := slices.Sorted(maps.Keys(failed))
	nums := make([]string, len(ids))
	for i, id := range ids {
		nums[i] = "#" + strconv.FormatInt(int64(id), 10)
	}
	return "Failed replies to retry: " + listLatest(nums) + "."
}

// lookupReply finds reply id: in the state when the console has it
// (missing: the state has no such reply), else among the statuses shown.
func (s *Surface) lookupReply(ctx context.Context, id bridge.ReplyID) (r bridge.Reply, known, missing bool) {
	if s.replies != nil {
		r, err := s.replies.Reply(ctx, id)
		switch {
		case err == nil:
			return r, true, false
		case errors.Is(err, bridge.ErrNotFound):
			return bridge.Reply{}, false, true
		}
		s.log.Warn("console: could not look up a reply; asking the bridge", "reply", id, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.statuses {
		if st.ID == id {
			return st, true, false
		}
	}
	return bridge.Reply{}, false, false
}
