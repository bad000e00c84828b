package telegram

import (
	"context"
	"errors"
	"sync"
	"time"
)

// priority orders the calls that post into a chat. Every such call spends
// the group's budget (about 20 a minute), so they all wait in the chat's
// lane and leave in this order, oldest first within a priority.
type priority int

const (
	// prioContent: buyer messages, reply failure notices and answers to
	// people (commands, notices). Reactions do not post (prioFree) and so
	// never wait behind anything.
	prioContent priority = iota
	// prioOpen: new topics and reply-chain roots (a conversation's first
	// post cannot go before them, but posts into existing threads can),
	// header cards of the pin_header option, alerts, reopening a topic.
	prioOpen
	// prioLow: topic renames and header card edits, pins, reports. They
	// only use the group's headroom (allowance.headroom), so they never go
	// ahead of buyer content, not even of content that arrives just after.
	prioLow
	// prioFree: calls that post nothing (reads, reactions, button answers,
	// webhook setup). They skip the lane and are paced globally only.
	prioFree
)

// lane is one chat's queue of calls that post into it. A goroutine runs
// while the queue is not empty (started by the first enqueue, ending when
// it drains), so an idle surface holds no goroutines. The goroutine makes
// the calls one at a time: it waits for the pacer's slot for the most
// urgent job, then runs the most urgent job at that moment. Calls a job
// makes itself (the further posts of a long batch, reopening a closed
// topic) run inline, holding the lane.
type lane struct {
	s    *Surface
	chat int64
	kick chan struct{}

	mu      sync.Mutex
	queue   []*job
	seq     uint64
	running bool
	// parked is set while the goroutine waits for a slot for a job of
	// priority waiting; a more urgent job kicks it.
	parked  bool
	waiting priority
}

// job is one queued call: buyer messages (post) or one API call (fn).
type job struct {
	prio priority
	seq  uint64
	ctx  context.Context
	op   string
	// post is a PostMessages call; queued ones for the same thread leave
	// together.
	post *postJob
	// fn is one API call; done receives its outcome (nil done: nobody
	// waits, the outcome goes to onDone).
	fn     func(ctx context.Context) error
	done   chan error
	onDone func(error)
	taken  bool
}

func (s *Surface) lane(chat int64) *lane {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lanes[chat]
	if l == nil {
		l = &lane{s: s, chat: chat, kick: make(chan struct{}, 1), waiting: prioFree}
		s.lanes[chat] = l
	}
	return l
}

// laneKey marks a context as running inside a chat's lane, so a call made
// from there goes straight to the pacer instead of queueing behind itself.
type laneKey struct{}

func withLane(ctx context.Context, chat int64) context.Context {
	return context.WithValue(ctx, laneKey{}, chat)
}

func inLane(ctx context.Context, chat int64) bool {
	c, ok := ctx.Value(laneKey{}).(int64)
	return ok && c == chat
}

func (l *lane) enqueue(j *job) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	j.seq = l.seq
	l.queue = append(l.queue, j)
	switch {
	case !l.running:
		l.running = true
		go l.run()
	case l.parked && j.prio < l.waiting:
		l.kickLocked()
	}
}

func (l *lane) kickLocked() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// cancel removes a job that has not been taken yet.
func (l *lane) cancel(j *job) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if j.taken {
		return false
	}
	for i, q := range l.queue {
		if q == j {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			break
		}
	}
	if l.parked {
		l.kickLocked()
	}
	return true
}

// queued reports how many jobs wait in chat's lane (for tests and metrics).
func (s *Surface) queued(chat int64) int {
	l := s.lane(chat)
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// bestLocked is the most urgent queued job: lowest priority value, then
// oldest.
func (l *lane) bestLocked() *job {
	var best *job
	for _, j := range l.queue {
		if best == nil || j.prio < best.prio || j.prio == best.prio && j.seq < best.seq {
			best = j
		}
	}
	return best
}

func (l *lane) run() {
	ctx := withLane(context.Background(), l.chat)
	for {
		l.mu.Lock()
		head := l.bestLocked()
		if head == nil {
			l.running = false
			l.mu.Unlock()
			return
		}
		pr := head.prio
		l.parked, l.waiting = true, pr
		l.mu.Unlock()
		// Wait for a slot first: while waiting, more messages of the head's
		// conversation can join and leave in the same post, and a more
		// urgent job can take the slot.
		at, err := l.s.pacer.wait(ctx, l.chat, pr, l.kick)
		l.mu.Lock()
		l.parked, l.waiting = false, prioFree
		if err != nil {
			l.mu.Unlock()
			continue
		}
		j := l.bestLocked()
		if j == nil || j.prio > pr {
			// What the slot was for was cancelled; a less urgent job must
			// get its own (smaller) share of the window.
			l.mu.Unlock()
			l.s.pacer.release(l.chat, pr, at)
			continue
		}
		batch := l.takeLocked(j)
		l.mu.Unlock()
		l.exec(batch, at)
	}
}

// takeLocked takes j and, for buyer messages when combining, every queued
// job for the same thread (in order).
func (l *lane) takeLocked(j *job) []*job {
	batch := []*job{j}
	j.taken = true
	rest := l.queue[:0]
	for _, q := range l.queue {
		switch {
		case q == j:
		case j.post != nil && q.post != nil && l.s.combine && q.post.thread == j.post.thread:
			q.taken = true
			batch = append(batch, q)
		default:
			rest = append(rest, q)
		}
	}
	clear(l.queue[len(rest):])
	l.queue = rest
	return batch
}

// exec runs what the lane took with the slot reserved at at. A job other
// than buyer content that meets a 429 goes back to its place in the queue
// (the pacer holds the chat for the retry_after), so it cannot go ahead of
// content that was queued meanwhile.
func (l *lane) exec(batch []*job, at time.Time) {
	j := batch[0]
	if j.post != nil {
		l.s.deliver(batch, at)
		return
	}
	err := l.s.attempt(withLane(j.ctx, l.chat), j.op, l.chat, j.prio, at, j.prio != prioContent, j.fn)
	var rq requeueError
	if errors.As(err, &rq) {
		if j.ctx.Err() == nil {
			l.mu.Lock()
			j.taken = false
			l.queue = append(l.queue, j)
			l.mu.Unlock()
			return
		}
		err = rq.err // its caller gave up: the 429 is the outcome
	}
	switch {
	case j.done != nil:
		j.done <- err
	case j.onDone != nil:
		j.onDone(err)
	}
}
