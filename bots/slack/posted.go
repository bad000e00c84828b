package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// repliesPage is how many thread messages one conversations.replies call
// returns (Slack's recommended page size).
const repliesPage = 200

// sighting is what a scan saw of one marketplace message: the posts that
// carry its parts, and how many parts it has (0: one post, or a post of the
// old single-ID format, which did not say).
type sighting struct {
	parts map[int]bridge.ChatMessageRef
	total int
}

// complete reports whether every part of the message is in the thread.
func (g *sighting) complete() bool {
	if _, ok := g.parts[0]; !ok {
		return false
	}
	for i := 1; i < g.total; i++ {
		if _, ok := g.parts[i]; !ok {
			return false
		}
	}
	return true
}

// contiguous returns the parts present from part 0 on, in order.
func (g *sighting) contiguous() []bridge.ChatMessageRef {
	var out []bridge.ChatMessageRef
	for i := 0; ; i++ {
		ref, ok := g.parts[i]
		if !ok {
			return out
		}
		out = append(out, ref)
	}
}

// FindPosted looks through the thread, in one paged scan of
// conversations.replies with metadata, for the posts that carry ids, and
// returns the one that carries each (the first part of a long message). It
// reads both the combined format (message_ids) and the single-ID format of
// earlier versions (message_id, part). A long message of which only some
// parts are in the thread counts as not posted; its parts are remembered,
// so the next PostMessages posts only the missing ones.
func (s *Surface) FindPosted(ctx context.Context, t bridge.ThreadRef, ids []bridge.MessageID) (map[bridge.MessageID]bridge.ChatMessageRef, error) {
	out := map[bridge.MessageID]bridge.ChatMessageRef{}
	if len(ids) == 0 {
		return out, nil
	}
	seen, err := s.scanPosted(ctx, t, ids)
	if err != nil {
		return out, err
	}
	for _, id := range ids {
		g, ok := seen[id]
		if !ok {
			continue
		}
		if g.complete() {
			out[id] = g.parts[0]
			continue
		}
		if parts := g.contiguous(); len(parts) > 0 {
			s.posts.setParts(postKey{t, id}, parts)
		}
	}
	return out, nil
}

// scanPosted reads the thread until every id was seen complete or the
// thread ends.
func (s *Surface) scanPosted(ctx context.Context, t bridge.ThreadRef, ids []bridge.MessageID) (map[bridge.MessageID]*sighting, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[string(id)] = true
	}
	seen := map[bridge.MessageID]*sighting{}
	completeAll := func() bool {
		for _, id := range ids {
			if g, ok := seen[id]; !ok || !g.complete() {
				return false
			}
		}
		return true
	}
	cursor := ""
	for {
		var msgs []slack.Message
		var more bool
		var next string
		err := s.do(ctx, call{op: "find posted messages", method: methodReplies, channel: t.Channel, prio: prioHigh, idempotent: true}, func(ctx context.Context) error {
			var err error
			msgs, more, next, err = s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: t.Channel, Timestamp: t.ID, Cursor: cursor, Limit: repliesPage, IncludeAllMetadata: true,
			})
			return err
		})
		if err != nil {
			if pe := asPlatform(err); pe != nil && isThreadGoneCode(pe.Code) {
				s.threads.markGone(t)
				return seen, threadGone(pe)
			}
			return seen, err
		}
		for _, m := range msgs {
			if m.Metadata.EventType != metaMessage {
				continue
			}
			ref := bridge.ChatMessageRef{Channel: t.Channel, ID: m.Timestamp}
			for _, c := range carried(m.Metadata.EventPayload) {
				if !want[c.id] {
					continue
				}
				g := seen[bridge.MessageID(c.id)]
				if g == nil {
					g = &sighting{parts: map[int]bridge.ChatMessageRef{}}
					seen[bridge.MessageID(c.id)] = g
				}
				if _, dup := g.parts[c.part]; !dup {
					g.parts[c.part] = ref
				}
				g.total = max(g.total, c.total)
			}
		}
		if completeAll() || !more || next == "" {
			return seen, nil
		}
		cursor = next
	}
}

// carriedID is one marketplace message named by a post's metadata.
type carriedID struct {
	id    string
	part  int
	total int
}

// carried reads the marketplace messages a post's metadata names, in the
// combined format ({"message_ids": [...], "part": p, "parts": n} — part and
// parts only on a part of a long message) or the single-ID format of
// earlier versions ({"message_id": id, "part": p}).
func carried(payload map[string]any) []carriedID {
	part := intOf(payload["part"])
	total := intOf(payload["parts"])
	if list, ok := payload["message_ids"].([]any); ok {
		out := make([]carriedID, 0, len(list))
		for _, v := range list {
			if id, ok := v.(string); ok && id != "" {
				out = append(out, carriedID{id: id, part: part, total: total})
			}
		}
		return out
	}
	if v, ok := payload["message_id"]; ok && v != nil {
		return []carriedID{{id: fmt.Sprint(v), part: part}}
	}
	return nil
}

// intOf reads a JSON number (float64 once decoded) as an int.
func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}
