package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/shopbridge/shopbridge/bridge"
)

// syncStore lists the store's conversations with activity after its cursor
// and fetches each one's new messages into the inbound queue. It returns how
// many new messages it recorded to be posted. The cursor is saved only when
// every conversation was recorded, so a failed sync is repeated and message
// IDs make the repeat record only what is missing.
func (sy *syncer) syncStore(ctx context.Context, st bridge.Store) (int, error) {
	d := sy.d
	if pd, ok := d.mp.(bridge.PushDriven); ok {
		return sy.pushPass(ctx, st, pd)
	}
	ss, err := d.state.StoreState(ctx, st.ID)
	if err != nil {
		return 0, stateErr(false, fmt.Sprintf("load state of store %s", st.ID), err)
	}
	now := d.clock.Now()
	scope := importScope{firstStart: ss.Cursor.IsZero(), since: ss.Cursor.Add(-d.cfg.CursorOverlap)}
	if scope.firstStart {
		scope.since = now.Add(-d.cfg.ImportWindow)
	}
	var convs []bridge.Conversation
	err = retryTransient(ctx, func() (err error) {
		convs, err = d.mp.ListConversations(ctx, st, scope.since)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list conversations of store %s: %w", st.ID, err)
	}
	// Oldest activity first, so threads appear in the order buyers wrote.
	sort.SliceStable(convs, func(i, j int) bool { return convs[i].LatestMessageAt.Before(convs[j].LatestMessageAt) })

	var (
		mu       sync.Mutex
		total    int
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, d.cfg.SyncConcurrency)
		seen     = map[bridge.ConversationID]bool{}
	)
	cursor := ss.Cursor
	if scope.firstStart {
		cursor = scope.since
	}
	for _, c := range convs {
		if c.ID == "" || seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		if c.LatestMessageAt.After(cursor) {
			cursor = c.LatestMessageAt
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return total, ctx.Err()
		}
		wg.Add(1)
		go func(c bridge.Conversation) {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := sy.syncConversationSafely(ctx, st, c, scope)
			mu.Lock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	if firstErr != nil {
		return total, firstErr
	}
	if err := d.state.SaveSyncCursor(ctx, st.ID, cursor, d.clock.Now()); err != nil {
		return total, stateErr(true, fmt.Sprintf("save cursor of store %s", st.ID), err)
	}
	return total, nil
}

// syncConversation fetches the conversation's messages newer than its
// watermark and records them in the inbound queue, under the conversation's
// lock (a reply being sent is never mistaken for a message sent elsewhere).
func (sy *syncer) syncConversation(ctx context.Context, st bridge.Store, c bridge.Conversation, scope importScope) (int, error) {
	d := sy.d
	unlock := d.locks.lock(st.ID, c.ID)
	defer unlock()
	qs := d.queue.state
	rec, err := qs.Conversation(ctx, st.ID, c.ID)
	known := err == nil
	if err != nil && !isNotFound(err) {
		return 0, stateErr(false, fmt.Sprintf("load conversation %s", c.ID), err)
	}
	if known && c.LatestMessageID != "" && rec.WatermarkID == c.LatestMessageID {
		return 0, nil // nothing new
	}
	after := bridge.MessageID("")
	if known {
		after = rec.WatermarkID
	}
	var msgs []bridge.Message
	err = retryTransient(ctx, func() (err error) {
		msgs, err = d.mp.ListMessages(ctx, st, c.ID, after, d.cfg.HistoryLimit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("list messages of conversation %s: %w", c.ID, err)
	}
	// Recording is one short transaction that a superseding sync or a stop
	// does not cut in half.
	return d.queue.recordLocked(context.WithoutCancel(ctx), st, c, msgs, scope)
}
