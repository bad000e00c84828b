package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// thread is what the surface knows of one thread.
type thread struct {
	ref bridge.ThreadRef
	// header is the latest header; known is false for a thread opened
	// before a restart of which no header was seen yet.
	header bridge.ThreadHeader
	known  bool
	posted []bridge.MessageID
	// awaiting and continued are what the last printed line said about the
	// thread; shown is false until a line said whether it awaits a reply (a
	// thread opened for a first message does not say: the message will).
	awaiting  bool
	continued bool
	shown     bool
}

// ThreadInfo is a thread as the surface recorded it.
type ThreadInfo struct {
	Ref bridge.ThreadRef
	// Header is the latest header seen (zero for a thread opened before a
	// restart and not touched since).
	Header bridge.ThreadHeader
	// Posted are the marketplace messages posted into the thread, in order.
	Posted []bridge.MessageID
}

// threadLocked returns the thread of ref, adopting one the surface did not
// open (it was opened before a restart) so later lines carry its tag.
func (s *Surface) threadLocked(ref bridge.ThreadRef) *thread {
	if t, ok := s.threads[ref.ID]; ok {
		return t
	}
	s.threadIDs.seen(ref.ID)
	t := &thread{ref: ref}
	s.threads[ref.ID] = t
	s.order = append(s.order, t)
	return t
}

// OpenThread gives a conversation the next tag (T1, T2, …) and prints it.
func (s *Surface) OpenThread(ctx context.Context, h bridge.ThreadHeader) (bridge.ThreadRef, error) {
	ref := bridge.ThreadRef{Channel: Channel, ID: s.threadIDs.take(ctx)}
	s.mu.Lock()
	t := s.threadLocked(ref)
	t.header, t.known = h, true
	t.awaiting, t.continued, t.shown = h.AwaitingReply, h.Continued, h.AwaitingReply
	line := renderOpened(s.paint, ref.ID, h, s.cfg.ShowHeaders)
	s.notifyLocked()
	s.mu.Unlock()
	s.out.print(line)
	return ref, nil
}

// UpdateThreadHeader prints a header line when the thread changed between
// awaiting reply and answered, resumed, or now continues an earlier thread;
// with ShowHeaders, on every update.
func (s *Surface) UpdateThreadHeader(ctx context.Context, ref bridge.ThreadRef, h bridge.ThreadHeader) error {
	if ref.Channel != Channel {
		return nil
	}
	s.mu.Lock()
	t := s.threadLocked(ref)
	continuedNow := h.Continued && !t.continued
	// The first word on a new thread's state comes with its first message
	// ("buyer: …" says it awaits a reply); later changes get a line.
	changed := t.shown && h.AwaitingReply != t.awaiting
	show := s.cfg.ShowHeaders || !t.known || changed || h.Resumed || continuedNow
	t.header, t.known = h, true
	t.awaiting, t.continued, t.shown = h.AwaitingReply, h.Continued, true
	var line string
	if show {
		line = renderHeader(s.paint, ref.ID, h, continuedNow, s.cfg.ShowHeaders)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if line != "" {
		s.out.print(line)
	}
	return nil
}

// PostMessage prints one marketplace message on a line of its own.
//
// The console deletes nothing, so its own threads never go away; a thread
// reference of another surface (a database that was used with Slack) is
// answered with bridge.ErrThreadGone, so the engine opens a console thread
// for the conversation instead of posting into one nobody here can see.
func (s *Surface) PostMessage(ctx context.Context, ref bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message) (bridge.ChatMessageRef, error) {
	if ref.Channel != Channel {
		return bridge.ChatMessageRef{}, fmt.Errorf("console: post into %s thread %s: %w", ref.Channel, ref.ID, bridge.ErrThreadGone)
	}
	msgRef := bridge.ChatMessageRef{Channel: Channel, ID: s.msgIDs.take(ctx)}
	s.mu.Lock()
	t := s.threadLocked(ref)
	var intro string
	if !t.known {
		// A thread from before a restart: say once what it is about.
		intro = fmt.Sprintf("%s earlier thread: %s (%s)", tagOnly(s.paint, ref.ID), who(h), headerState(h))
		t.awaiting, t.continued, t.shown = h.AwaitingReply, h.Continued, true
	}
	t.header, t.known = h, true
	t.posted = append(t.posted, m.ID)
	s.posted[m.ID]++
	line := renderMessage(s.paint, threadPrefix(s.paint, ref.ID, h, true), h, m)
	s.notifyLocked()
	s.mu.Unlock()
	if intro != "" {
		line = intro + "\n" + line
	}
	s.out.print(line)
	return msgRef, nil
}

// Threads returns the threads in the order they were opened (or, for ones
// opened before a restart, first met).
func (s *Surface) Threads() []ThreadInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ThreadInfo, 0, len(s.order))
	for _, t := range s.order {
		out = append(out, ThreadInfo{Ref: t.ref, Header: t.header, Posted: append([]bridge.MessageID(nil), t.posted...)})
	}
	return out
}

// PostedCount is how many times a marketplace message was posted, across
// all threads. The demo counts duplicates with it.
func (s *Surface) PostedCount(id bridge.MessageID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posted[id]
}

// threadLines lists the threads for the "threads" command.
func (s *Surface) threadLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return []string{"no threads yet"}
	}
	lines := make([]string, 0, len(s.order))
	for _, t := range s.order {
		if !t.known {
			lines = append(lines, fmt.Sprintf("%s (opened before a restart)", t.ref.ID))
			continue
		}
		line := fmt.Sprintf("%s %s — %s, %d message(s) posted", t.ref.ID, who(t.header), headerState(t.header), len(t.posted))
		if l := cleanInline(t.header.Link); l != "" {
			line += " " + l
		}
		lines = append(lines, line)
	}
	return lines
}

// UpdateMessages prints what became of a posted message that changed on
// the marketplace (bridge.MessageUpdater): a printed line cannot be edited,
// so a new line names the post (its C… reference) and shows the message —
// a recalled one as "↩️ the buyer recalled a message (C12): …" with the
// original (dim and struck through with colour). A post of another
// surface's thread is not here: nothing to show.
func (s *Surface) UpdateMessages(ctx context.Context, ref bridge.ThreadRef, post bridge.ChatMessageRef, h bridge.ThreadHeader, msgs []bridge.Message) error {
	if ref.Channel != Channel || len(msgs) == 0 {
		return nil
	}
	s.mu.Lock()
	t := s.threadLocked(ref)
	if !t.known {
		t.header, t.known = h, true
	}
	prefix := threadPrefix(s.paint, ref.ID, h, true)
	s.notifyLocked()
	s.mu.Unlock()
	lines := make([]string, len(msgs))
	for i, m := range msgs {
		lines[i] = renderUpdate(s.paint, prefix, post, h, m)
	}
	s.out.print(strings.Join(lines, "\n"))
	return nil
}
