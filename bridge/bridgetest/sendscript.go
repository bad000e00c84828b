package bridgetest

import (
	"context"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// SendScript says how the fake marketplace takes sends, on the fake clock,
// so tests can put a crash anywhere in a send's life: before the request
// arrives, while it is processed, after the client gave up but before the
// marketplace applied it, after it answered.
type SendScript struct {
	// Apply is how long after the request arrives the marketplace adds the
	// message to the conversation, whatever the client does meanwhile (a
	// server keeps processing a request whose client went away); negative:
	// never (the request is lost).
	Apply time.Duration
	// Answer is how long after the request arrives the client gets the
	// answer: the message if it was applied by then, else a timeout. A
	// client that gives up earlier (its context ends) gets its own error.
	Answer time.Duration
	// OnAnswer, if set, runs just before a successful answer is returned
	// (e.g. to make the state fail before the send is recorded).
	OnAnswer func()
}

// applies tracks the scheduled server-side applications of sends, and the
// scripted sends waiting for their answer.
type applies struct {
	mu      sync.Mutex
	pending []time.Time
	changed chan struct{}
	waiting int
}

// SendsWaiting is how many scripted sends wait for their answer.
func (m *Marketplace) SendsWaiting() int {
	m.applies.mu.Lock()
	defer m.applies.mu.Unlock()
	return m.applies.waiting
}

// ScriptSends makes every later send follow s (nil: answer at once).
func (m *Marketplace) ScriptSends(s *SendScript) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.script = s
}

// WaitApplied waits until every send the marketplace applies at or before
// the fake clock's now has been applied (the applications run in their own
// goroutines once the clock reaches them), or ctx ends.
func (m *Marketplace) WaitApplied(ctx context.Context) error {
	for {
		now := m.clock.Now()
		m.applies.mu.Lock()
		due := false
		for _, at := range m.applies.pending {
			if !at.After(now) {
				due = true
				break
			}
		}
		if m.applies.changed == nil {
			m.applies.changed = make(chan struct{})
		}
		ch := m.applies.changed
		m.applies.mu.Unlock()
		if !due {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// sendScripted runs a send under the script.
func (m *Marketplace) sendScripted(ctx context.Context, sc SendScript, store bridge.Store, conv bridge.Conversation, text string) (bridge.Message, error) {
	p := string(m.platform)
	type result struct{ msg bridge.Message }
	applied := make(chan result, 1)
	if sc.Apply >= 0 {
		at := m.clock.Now().Add(sc.Apply)
		m.applies.mu.Lock()
		m.applies.pending = append(m.applies.pending, at)
		m.applies.mu.Unlock()
		apply := func() {
			msg := m.add(store.ShopID, conv.ID, "", bridge.SenderSeller, text)
			applied <- result{msg}
			m.applies.mu.Lock()
			for i, x := range m.applies.pending {
				if x.Equal(at) {
					m.applies.pending = append(m.applies.pending[:i], m.applies.pending[i+1:]...)
					break
				}
			}
			if m.applies.changed != nil {
				close(m.applies.changed)
				m.applies.changed = nil
			}
			m.applies.mu.Unlock()
		}
		if tc, ok := m.clock.(bridge.TimerClock); ok {
			tc.AfterFunc(sc.Apply, apply)
		} else {
			go func() { <-m.clock.After(sc.Apply); apply() }()
		}
	}
	answer := m.clock.After(sc.Answer)
	m.applies.mu.Lock()
	m.applies.waiting++
	m.applies.mu.Unlock()
	defer func() {
		m.applies.mu.Lock()
		m.applies.waiting--
		m.applies.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: p, Op: "send message", Message: "request cancelled", Err: ctx.Err()}
	case <-answer:
	}
	if sc.Apply < 0 || sc.Apply > sc.Answer {
		return bridge.Message{}, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: p, Op: "send message", Message: "timeout awaiting response"}
	}
	// Applied by the time of the answer (its goroutine may still be running).
	r := <-applied
	if sc.OnAnswer != nil {
		sc.OnAnswer()
	}
	return r.msg, nil
}
