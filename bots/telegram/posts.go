package telegram

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// postJob is one waiting PostMessages call.
type postJob struct {
	thread threadKey
	header bridge.ThreadHeader
	msgs   []bridge.Message
	done   chan postResult
}

type postResult struct {
	refs []bridge.ChatMessageRef
	err  error
}

// PostMessage posts one marketplace message into the thread.
func (s *Surface) PostMessage(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, m bridge.Message) (bridge.ChatMessageRef, error) {
	refs, err := s.PostMessages(ctx, t, h, []bridge.Message{m})
	if err != nil {
		return bridge.ChatMessageRef{}, err
	}
	return refs[0], nil
}

// PostMessages posts msgs into the thread through the chat's lane, at the
// highest priority: the call waits in the chat's queue for the pacer, and
// when its turn comes, every queued call for the same thread is combined
// with it into as few posts as the text limit allows. Each message gets
// the reference of the post that carries it. The first post into a topic
// opened by OpenThread starts with the conversation's header.
func (s *Surface) PostMessages(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader, msgs []bridge.Message) ([]bridge.ChatMessageRef, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	k, err := parseThread(t)
	if err != nil {
		return nil, err
	}
	pj := &postJob{thread: k, header: h, msgs: msgs, done: make(chan postResult, 1)}
	j := &job{prio: prioContent, ctx: ctx, op: "post message", post: pj}
	l := s.lane(k.chat)
	l.enqueue(j)
	select {
	case r := <-pj.done:
		return r.refs, r.err
	case <-ctx.Done():
		if l.cancel(j) {
			return nil, &bridge.PlatformError{Kind: bridge.KindTransient, Platform: platform, Op: "post message",
				Message: "stopped while queued for the rate limit", NotDelivered: true, Err: ctx.Err()}
		}
		// Already being sent: its outcome must be known, or it would be
		// posted twice.
		r := <-pj.done
		return r.refs, r.err
	}
}

// deliver posts the messages of a batch (one thread) and hands each job its
// share of the result. The first post uses the slot the lane reserved (at).
func (s *Surface) deliver(jobs []*job, at time.Time) {
	ctx, cancel := interest(jobs)
	defer cancel()
	ctx = withLane(ctx, jobs[0].post.thread.chat)
	var all []bridge.Message
	for _, j := range jobs {
		all = append(all, j.post.msgs...)
	}
	k := jobs[0].post.thread
	h := jobs[len(jobs)-1].post.header
	lead, owed := s.owedHeader(k)
	refs, sent, err := s.postAll(ctx, k, h, all, lead, at)
	if owed && sent > 0 {
		s.owed.del(k)
	}
	if errors.Is(err, bridge.ErrThreadGone) {
		s.owed.del(k)
	}
	if len(jobs) > 1 || len(all) > 1 {
		s.log.Debug("combined buyer messages", "chat", k.chat, "thread", k.id, "calls", len(jobs), "messages", len(all), "posts", sent)
	}
	off := 0
	for _, j := range jobs {
		n := len(j.post.msgs)
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
		j.post.done <- r
	}
}

// interest is a context that ends when every job's caller has given up: a
// multi-post batch stops between posts then, but never inside one.
func interest(jobs []*job) (context.Context, context.CancelFunc) {
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

// postAll lays msgs out as posts (lead, the owed header, at the top of the
// first) and sends them in order, the first with the reservation at. It
// returns the references of the prefix of msgs whose every post went out,
// and how many posts went out.
func (s *Surface) postAll(ctx context.Context, k threadKey, h bridge.ThreadHeader, msgs []bridge.Message, lead htmlText, at time.Time) ([]bridge.ChatMessageRef, int, error) {
	info, err := s.chatInfo(ctx, k.chat)
	if err != nil {
		s.pacer.release(k.chat, prioContent, at)
		return nil, 0, err
	}
	var prefix htmlText
	if !info.forum {
		prefix = chainMarker(k)
		lead = htmlText{} // the chain's root is its header card
	}
	posts := s.render.plan(h, msgs, prefix, lead)
	ids := make([]int, len(posts))
	sent := 0
	var firstErr error
	for i, p := range posts {
		reserved := time.Time{}
		if i == 0 {
			reserved = at
		}
		id, photo, err := s.sendPost(ctx, k, info.forum, p, reserved)
		if err != nil {
			firstErr = err
			break
		}
		ids[i] = id
		sent++
		s.shapes.put(msgKey{k.chat, id}, postShape{lead: i == 0 && lead.vis > 0, photo: photo, combined: len(msgs) > 1, tail: p.tail})
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
	return refs, sent, firstErr
}

// sendPost sends one post into the thread: a photo (falling back to a text
// link when Telegram cannot fetch it) or a text. A closed topic is
// reopened and the post sent again. It reports whether the post went out
// as a photo.
func (s *Surface) sendPost(ctx context.Context, k threadKey, forum bool, p post, at time.Time) (int, bool, error) {
	if p.photo != "" {
		id, err := s.sendPhoto(ctx, k, forum, p, at)
		if err == nil {
			return id, true, nil
		}
		if kindOf(err) != bridge.KindPermanent || errors.Is(err, bridge.ErrThreadGone) {
			return 0, false, err
		}
		s.log.Info("Telegram could not send the photo; posting a link instead", "chat", k.chat, "reason", bridge.ReasonOf(err))
		p = post{text: p.fallback, msgs: p.msgs}
		at = time.Time{}
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
	err := s.attempt(ctx, "post message", k.chat, prioContent, at, false, send)
	if err != nil && forum && isTopicClosed(err) {
		if rerr := s.reopenTopic(ctx, prioContent, k); rerr != nil {
			return 0, false, rerr
		}
		err = s.spend(ctx, prioContent, "post message", k.chat, send)
	}
	if err != nil {
		return 0, false, err
	}
	if !forum {
		s.chains.add(k.chat, msg.ID, k.id)
	}
	return msg.ID, false, nil
}

func (s *Surface) sendPhoto(ctx context.Context, k threadKey, forum bool, p post, at time.Time) (int, error) {
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
	err := s.attempt(ctx, "post photo", k.chat, prioContent, at, false, send)
	if err != nil && forum && isTopicClosed(err) {
		if rerr := s.reopenTopic(ctx, prioContent, k); rerr != nil {
			return 0, rerr
		}
		err = s.spend(ctx, prioContent, "post photo", k.chat, send)
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
