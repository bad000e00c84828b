package sqlstore

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state"
)

const responseColumns = `store, conversation, reply_id, agent_id, agent_name, awaiting_since, responded_at`

func scanResponse(row Row) (bridge.ResponseEvent, error) {
	var (
		r                  bridge.ResponseEvent
		store, conv        string
		reply              int64
		awaiting, answered int64
	)
	if err := row.Scan(&store, &conv, &reply, &r.AgentID, &r.AgentName, &awaiting, &answered); err != nil {
		return bridge.ResponseEvent{}, err
	}
	r.Store = bridge.StoreID(store)
	r.Conversation = bridge.ConversationID(conv)
	r.Reply = bridge.ReplyID(reply)
	r.AwaitingSince = state.FromUnixNano(awaiting)
	r.RespondedAt = state.FromUnixNano(answered)
	return r, nil
}

// RecordResponse stores a first response. It is idempotent per reply: a
// second event for the same (non-zero) reply is ignored.
func (s *Store) RecordResponse(ctx context.Context, r bridge.ResponseEvent) error {
	_, err := s.conn.Exec(ctx,
		`INSERT INTO responses (`+responseColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		string(r.Store), string(r.Conversation), int64(r.Reply), r.AgentID, r.AgentName,
		state.UnixNano(r.AwaitingSince), state.UnixNano(r.RespondedAt))
	return s.wrapErr(err, "record response to %s/%s", r.Store, r.Conversation)
}

// Responses lists a store's first responses (every store's for "") at or
// after since, oldest first.
func (s *Store) Responses(ctx context.Context, store bridge.StoreID, since time.Time) ([]bridge.ResponseEvent, error) {
	out, err := querySince(ctx, s, scanResponse, responseColumns, "responses", "responded_at", store, since)
	if err != nil {
		return nil, s.wrapErr(err, "list responses of store %q", store)
	}
	return out, nil
}
