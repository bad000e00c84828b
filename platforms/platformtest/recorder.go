package platformtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/bridge/engine"
)

// Recorder is the engine side of a push-driven Env's bridge.Pushes: what
// the platform's pushes carry reaches it exactly as in the bridge. Pushes
// attaches its sink only from inside package bridge, so the Recorder runs
// the real engine.Engine (on state/sqlite ":memory:", the fake chat and a
// clock of its own that never moves, so it never imports or checks health
// on its own) over a state that records every inbound message the queue
// stores: a message recorded once shows once, a recall shows as a second,
// recalled version.
type Recorder struct {
	mu       sync.Mutex
	versions map[bridge.MessageID][]bridge.Message
	order    []bridge.MessageID
	changed  chan struct{}
	state    bridge.State
}

// OpenState opens a fresh, empty bridge.State (SQLite in memory, say) for
// the Recorder's engine; the Recorder closes it when the test ends.
type OpenState func(ctx context.Context) (bridge.State, error)

// AttachRecorder starts the recording engine on pushes for stores, on the
// state open opens; it is stopped, and the state closed, when the test
// ends.
func AttachRecorder(t testing.TB, pushes *bridge.Pushes, open OpenState, stores ...bridge.Store) *Recorder {
	t.Helper()
	ctx := context.Background()
	if open == nil {
		t.Fatal("platformtest: AttachRecorder needs an OpenState for the recording engine's state")
	}
	db, err := open(ctx)
	if err != nil {
		t.Fatalf("platformtest: open the recorder's state: %v", err)
	}
	r := &Recorder{versions: map[bridge.MessageID][]bridge.Message{}, changed: make(chan struct{})}
	r.state = recordingState{State: db, r: r}
	clock := bridgetest.NewClock(Start)
	mps := map[bridge.Platform]bridge.Marketplace{}
	for _, s := range stores {
		if mps[s.Platform] == nil {
			mps[s.Platform] = bridgetest.NewPushMarketplace(s.Platform, clock, pushes)
		}
	}
	var list []bridge.Marketplace
	for _, m := range mps {
		list = append(list, m)
	}
	never := 100 * 365 * 24 * time.Hour
	eng := engine.New(engine.Config{PollInterval: never, HealthInterval: never, ImportDelay: never, PollJitter: 0.0001},
		engine.Deps{State: r.state, Chat: bridgetest.NewChat(), Marketplaces: list, Stores: stores, Clock: clock, Pushes: pushes})
	if err := eng.Start(ctx); err != nil {
		db.Close()
		t.Fatalf("platformtest: start the recording engine: %v", err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng.Stop(sctx)
		db.Close()
	})
	return r
}

// recordingState is the engine's state, recording what RecordInbound stored.
type recordingState struct {
	bridge.State
	r *Recorder
}

func (s recordingState) RecordInbound(ctx context.Context, b bridge.InboundBatch) ([]bridge.MessageID, error) {
	changed, err := s.State.RecordInbound(ctx, b)
	if err != nil || len(changed) == 0 {
		return changed, err
	}
	in := map[bridge.MessageID]bool{}
	for _, id := range changed {
		in[id] = true
	}
	s.r.mu.Lock()
	for _, m := range b.Messages {
		if !in[m.Message.ID] {
			continue
		}
		if len(s.r.versions[m.Message.ID]) == 0 {
			s.r.order = append(s.r.order, m.Message.ID)
		}
		s.r.versions[m.Message.ID] = append(s.r.versions[m.Message.ID], m.Message)
	}
	close(s.r.changed)
	s.r.changed = make(chan struct{})
	s.r.mu.Unlock()
	return changed, nil
}

// Count is how many distinct messages were recorded.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// Times is how many times message id was stored (inserted, then changed
// by a recall).
func (r *Recorder) Times(id bridge.MessageID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.versions[id])
}

// Message returns the latest recorded version of message id.
func (r *Recorder) Message(id bridge.MessageID) (bridge.Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.versions[id]
	if len(v) == 0 {
		return bridge.Message{}, false
	}
	return v[len(v)-1], true
}

// Messages returns the latest version of every recorded message, in the
// order they were first recorded.
func (r *Recorder) Messages() []bridge.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]bridge.Message, 0, len(r.order))
	for _, id := range r.order {
		v := r.versions[id]
		out = append(out, v[len(v)-1])
	}
	return out
}

// Changed is closed at the next recording.
func (r *Recorder) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// Conversation returns the bridge's record of a conversation.
func (r *Recorder) Conversation(store bridge.StoreID, conv bridge.ConversationID) (bridge.ConversationRecord, error) {
	return r.state.Conversation(context.Background(), store, conv)
}

// WaitFor waits (in real time, bounded) until cond holds, re-checking at
// each recording.
func (r *Recorder) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	bridgetest.Eventually(t, what, cond, r.Changed)
}
