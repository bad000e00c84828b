package telegram

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// BatchPoster is the optional capability of a surface to post several
// messages of one conversation in one call, so a backlog can be combined
// into few posts. The engine uses it, when the surface has it, for the new
// messages of a conversation it found in one sync.
//
// PostMessages posts msgs (oldest first) into the thread. It returns the
// chat message of each message for a prefix of msgs: when it returns fewer
// refs than messages, err says why the rest was not posted (an error
// wrapping bridge.ErrThreadGone included), and the caller records only the
// posted prefix.
type BatchPoster interface {
	PostMessages(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error)
}

// PostMessage posts one marketplace message into the thread.
func (s *Surface) PostMessage(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message) (bridge.ChatMessageRef, error) {
	refs, err := s.PostMessages(ctx, t, h, []bridge.Message{m})
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	return refs[0], nil
}

// PostMessages posts msgs into the thread through the chat's lane: the
// call waits in the chat's queue for the pacer, and when its turn comes,
// every queued call for the same thread is combined with it into as few
// posts as the text limit allows. Each message gets the reference of the
// post that carries it.
func (s *Surface) PostMessages(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	k, err := parseThread(t)
	if err != nil {
		return nil, err
	}
	job := &postJob{ctx: ctx, thread: k, header: h, msgs: msgs, done: make(chan postResult, 1)}
	l := s.lane(k.chat)
	l.enqueue(job)
	select {
	case r := <-job.done:
		return r.refs, r.err
	case <-ctx.Done():
		if l.cancel(job) {
			return nil, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: "post message",
				Message: "stopped while queued for the rate limit", NotDelivered: true, Err: ctx.Err()}
		}
		// Already being sent: its outcome must be known, or it would be
		// posted twice.
		r := <-job.done
		return r.refs, r.err
	}
}

// lane is one chat's queue of posts. A goroutine runs while the queue is
// not empty (started by the first enqueue, ending when it drains), so an
// idle surface holds no goroutines.
type lane struct {
	s    *Surface
	chat int64
	kick chan struct{}

	mu      sync.Mutex
	queue   []*postJob
	running bool
}

// postJob is one waiting PostMessages call.
type postJob struct {
	ctx    context.Context
	thread threadKey
	header bridge.ThreadHeader
	msgs   []bridge.Message
	done   chan postResult
	taken  bool
}

type postResult struct {
	refs []bridge.ChatMessageRef
	err  error
}

func (s *Surface) lane(chat int64) *lane {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lanes[chat]
	if l == nil {
		l = &lane{s: s, chat: chat, kick: make(chan struct{}, 1)}
		s.lanes[chat] = l
	}
	return l
}

func (l *lane) enqueue(j *postJob) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue = append(l.queue, j)
	if !l.running {
		l.running = true
		go l.run()
	}
}

// cancel removes a job that has not been taken yet.
func (l *lane) cancel(j *postJob) bool {
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
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return true
}

// Queued reports how many posts wait in chat's lane (for tests and metrics).
func (s *Surface) queued(chat int64) int {
	l := s.lane(chat)
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

func (l *lane) run() {
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		// Wait for a slot first: while waiting, more messages of the head's
		// conversation can join and leave in the same post.
		if err := l.s.pacer.wait(context.Background(), l.chat, true, l.kick); errors.Is(err, errKicked) {
			continue
		}
		l.mu.Lock()
		batch := l.takeLocked()
		l.mu.Unlock()
		if len(batch) > 0 {
			l.s.deliver(batch)
		}
	}
}

// takeLocked takes the head job and, when combining, every later job of
// the same thread.
func (l *lane) takeLocked() []*postJob {
	if len(l.queue) == 0 {
		return nil
	}
	head := l.queue[0]
	batch := []*postJob{head}
	head.taken = true
	rest := l.queue[:0]
	for _, j := range l.queue[1:] {
		if l.s.combine && j.thread == head.thread {
			j.taken = true
			batch = append(batch, j)
			continue
		}
		rest = append(rest, j)
	}
	clear(l.queue[len(rest):])
	l.queue = rest
	return batch
}

// deliver posts the messages of a batch (one thread) and hands each job its
// share of the result. The first post uses the slot the lane reserved.
func (s *Surface) deliver(jobs []*postJob) {
	ctx, cancel := interest(jobs)
	defer cancel()
	var all []bridge.Message
	for _, j := range jobs {
		all = append(all, j.msgs...)
	}
	h := jobs[len(jobs)-1].header
	refs, err := s.postAll(ctx, jobs[0].thread, h, all, true)
	if len(jobs) > 1 || len(all) > 1 {
		s.log.Debug("combined buyer messages", "chat", jobs[0].thread.chat, "thread", jobs[0].thread.id, "calls", len(jobs), "messages", len(all))
	}
	off := 0
	for _, j := range jobs {
		n := len(j.msgs)
		var r postResult
		switch {
		case len(refs) >= off+n:
			r.refs = refs[off : off+n]
		case len(refs) > off:
			r.refs, r.err = refs[off:], err
		default:
			r.err = err
		}
		off += n
		j.done <- r
	}
}

// interest is a context that ends when every job's caller has given up: a
// multi-post batch stops between posts then, but never inside one.
func interest(jobs []*postJob) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(jobs[0].ctx))
	var mu sync.Mutex
	left := len(jobs)
	stops := make([]func() bool, 0, len(jobs))
	for _, j := range jobs {
		stops = append(stops, context.AfterFunc(j.ctx, func() {
			mu.Lock()
			left--
			if left == 0 {
				cancel()
			}
			mu.Unlock()
		}))
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// postAll lays msgs out as posts and sends them in order. It returns the
// references of the prefix of msgs whose every post went out.
func (s *Surface) postAll(ctx context.Context, k threadKey, h bridge.ThreadHeader, msgs []bridge.Message, reserved bool) ([]bridge.ChatMessageRef, error) {
	info, err := s.chatInfo(ctx, k.chat)
	if err != nil {
		return nil, err
	}
	var prefix htmlText
	if !info.forum {
		prefix = chainMarker(k)
	}
	posts := s.render.plan(h, msgs, prefix)
	ids := make([]int, len(posts))
	sent := 0
	var firstErr error
	for i, p := range posts {
		id, err := s.sendPost(ctx, k, info.forum, p, reserved && i == 0)
		if err != nil {
			firstErr = err
			break
		}
		ids[i] = id
		sent++
	}
	// A message is posted when every post carrying a part of it is.
	firstPost := make([]int, len(msgs))
	lastPost := make([]int, len(msgs))
	for i := range msgs {
		firstPost[i], lastPost[i] = -1, -1
	}
	for pi, p := range posts {
		for _, mi := range p.msgs {
			if firstPost[mi] < 0 {
				firstPost[mi] = pi
			}
			lastPost[mi] = pi
		}
	}
	refs := make([]bridge.ChatMessageRef, 0, len(msgs))
	for mi := range msgs {
		if firstPost[mi] < 0 || lastPost[mi] >= sent {
			break
		}
		refs = append(refs, msgKey{k.chat, ids[firstPost[mi]]}.ref())
	}
	if len(refs) < len(msgs) && firstErr == nil {
		firstErr = bridge.Permanent(platform, "post message", fmt.Sprintf("message %s produced no post", msgs[len(refs)].ID))
	}
	return refs, firstErr
}

// sendPost sends one post into the thread: a photo (falling back to a text
// link when Telegram cannot fetch it) or a text. A closed topic is
// reopened and the post sent again.
func (s *Surface) sendPost(ctx context.Context, k threadKey, forum bool, p post, reserved bool) (int, error) {
	if p.photo != "" {
		id, err := s.sendPhoto(ctx, k, forum, p, reserved)
		if err == nil {
			return id, nil
		}
		if kindOf(err) != bridge.KindPermanent || errors.Is(err, bridge.ErrThreadGone) {
			return 0, err
		}
		s.log.Info("Telegram could not send the photo; posting a link instead", "chat", k.chat, "reason", bridge.ReasonOf(err))
		p = post{text: p.fallback, msgs: p.msgs}
		reserved = false
	}
	var preview *models.LinkPreviewOptions
	if p.preview != "" {
		u := p.preview
		preview = &models.LinkPreviewOptions{URL: &u, PreferLargeMedia: bot.True()}
	} else {
		preview = previewOff()
	}
	params := &bot.SendMessageParams{ChatID: k.chat, Text: p.text.html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: preview}
	placeInThread(params, k, forum)
	var msg *models.Message
	send := func(ctx context.Context) error {
		var err error
		msg, err = s.bot.SendMessage(ctx, params)
		return err
	}
	err := s.callReserved(ctx, "post message", k.chat, true, reserved, send)
	if err != nil && forum && isTopicClosed(err) {
		if rerr := s.reopenTopic(ctx, k); rerr != nil {
			return 0, rerr
		}
		err = s.call(ctx, "post message", k.chat, true, send)
	}
	if err != nil {
		return 0, err
	}
	if !forum {
		s.chains.add(k.chat, msg.ID, k.id)
	}
	return msg.ID, nil
}

func (s *Surface) sendPhoto(ctx context.Context, k threadKey, forum bool, p post, reserved bool) (int, error) {
	params := &bot.SendPhotoParams{ChatID: k.chat, Photo: &models.InputFileString{Data: p.photo}, Caption: p.text.html, ParseMode: models.ParseModeHTML}
	if forum {
		params.MessageThreadID = k.id
	} else {
		params.ReplyParameters = &models.ReplyParameters{MessageID: k.id}
	}
	var msg *models.Message
	send := func(ctx context.Context) error {
		var err error
		msg, err = s.bot.SendPhoto(ctx, params)
		return err
	}
	err := s.callReserved(ctx, "post photo", k.chat, true, reserved, send)
	if err != nil && forum && isTopicClosed(err) {
		if rerr := s.reopenTopic(ctx, k); rerr != nil {
			return 0, rerr
		}
		err = s.call(ctx, "post photo", k.chat, true, send)
	}
	if err != nil {
		return 0, err
	}
	if !forum {
		s.chains.add(k.chat, msg.ID, k.id)
	}
	return msg.ID, nil
}

// placeInThread puts a message into the topic (forum) or, in a reply
// chain, makes it a reply to the header, which fails once the header is
// deleted (the thread is gone).
func placeInThread(p *bot.SendMessageParams, k threadKey, forum bool) {
	if forum {
		p.MessageThreadID = k.id
		return
	}
	p.ReplyParameters = &models.ReplyParameters{MessageID: k.id}
}
