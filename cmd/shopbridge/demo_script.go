package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/bots/console"
	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/engine"
	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// demoRun holds what the scripted parts of the demo share.
type demoRun struct {
	sim     *simulator.Simulator
	engine  *engine.Engine
	surface *console.Surface
	out     io.Writer
	log     *slog.Logger

	mu      sync.Mutex
	replied map[bridge.ThreadRef]time.Time
	replies []bridge.ChatMessageRef
	retried map[bridge.ChatMessageRef]bool
	// replyPlatform is the platform of each scripted reply's thread.
	replyPlatform map[bridge.ChatMessageRef]bridge.Platform
	// failRef is the scripted failing reply (zero until it is made) and
	// failFault the simulator fault that fails its sends, cleared when it
	// shows failed, before the agent presses Retry.
	failRef   bridge.ChatMessageRef
	failFault simulator.FaultID
	failSet   bool
}

// outages takes one marketplace down at a time: once at 30% of a timed
// run (--outage-platform), or every --outage-every, rotating through the
// platforms in use. Its API refuses connections and its pushes and
// webhooks are not delivered (Lazada delivers them again later, TikTok's
// are caught by the poll); the other marketplaces keep working.
func (d *demoRun) outages(ctx context.Context, o demoOptions) {
	first := o.every / 2
	if o.duration > 0 {
		first = o.duration * 3 / 10
	}
	platforms := o.shops.platforms()
	next := slices.Index(platforms, bridge.Platform(o.outagePlatform))
	wait := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		p := platforms[next%len(platforms)]
		next++
		fmt.Fprintf(d.out, "demo: simulating a %s outage for %s (the other marketplaces keep working)\n", p, o.outage)
		d.sim.SetFault(simulator.Fault{Kind: simulator.FaultRefuse, Platform: p, For: o.outage})
		d.sim.SetFault(simulator.Fault{Kind: simulator.FaultDropPushes, Platform: p, For: o.outage})
		if o.duration > 0 {
			return
		}
		wait = o.every
	}
}

var demoAnswers = []string{
	"Hi! Thanks for your message, let me check that for you.",
	"Yes, it is in stock and ships within 24 hours.",
	"Your order is on its way; the tracking number is in your order page.",
	"We can offer a 5% voucher for your next order.",
}

// demoFailingAnswer is the scripted reply that fails: the simulator fails
// every send carrying this text (and no other) until the demo clears the
// fault, so nothing else can use the failure up or be hit by it.
const demoFailingAnswer = "Let me ask the warehouse and come back to you within the hour."

// agents answer threads that await a reply, as agents in the chat would.
// The second reply goes to a thread of the failing platform (Shopee, when
// the demo has Shopee shops) as soon as one awaits a reply, and fails on
// every send until it shows failed; then the agent presses Retry and it
// is sent. When the run ends before that reply was made, the settling
// makes it (sayFailing): every run shows one reply failed then retried.
func (d *demoRun) agents(ctx context.Context, o demoOptions) {
	if d.surface == nil {
		return
	}
	failPlatform := o.shops.platforms()[0]
	tick := time.NewTicker(o.agentEvery)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.pressRetryIfFailed(ctx)
		d.mu.Lock()
		failSet := d.failSet
		d.mu.Unlock()
		threads := d.surface.Threads()
		if !failSet && n >= 1 {
			// The failing reply is due: its platform's threads first.
			slices.SortStableFunc(threads, func(a, b console.ThreadInfo) int {
				return boolOrder(a.Header.Store.Platform != failPlatform, b.Header.Store.Platform != failPlatform)
			})
		}
		for _, th := range threads {
			if !th.Header.AwaitingReply {
				continue
			}
			d.mu.Lock()
			last := d.replied[th.Ref]
			d.mu.Unlock()
			if time.Since(last) < o.replyGap {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			n++
			var err error
			if n >= 2 && !failSet && th.Header.Store.Platform == failPlatform {
				err = d.sayFailing(ctx, th)
			} else {
				err = d.say(ctx, th, demoAnswers[n%len(demoAnswers)])
			}
			if err != nil {
				if ctx.Err() == nil {
					d.log.Warn("demo agent could not reply", "err", err)
				}
				continue
			}
			break // one reply per tick, like a person typing
		}
	}
}

// boolOrder sorts false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// say answers the buyer of th with text as the scripted agent.
func (d *demoRun) say(ctx context.Context, th console.ThreadInfo, text string) error {
	ref, err := d.surface.Say(ctx, th.Ref, "agent-ana", text)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.replied[th.Ref] = time.Now()
	d.replies = append(d.replies, ref)
	d.replyPlatform[ref] = th.Header.Store.Platform
	d.mu.Unlock()
	return nil
}

// sayFailing makes the scripted failing reply in th: the simulator fails
// every send carrying its text until the demo clears the fault.
func (d *demoRun) sayFailing(ctx context.Context, th console.ThreadInfo) error {
	fault, err := d.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Contains: demoFailingAnswer})
	if err != nil {
		return fmt.Errorf("demo: script the failing reply: %w", err)
	}
	d.mu.Lock()
	d.failFault = fault
	d.mu.Unlock()
	ref, err := d.surface.Say(ctx, th.Ref, "agent-ana", demoFailingAnswer)
	if err != nil {
		d.sim.ClearFault(fault)
		return err
	}
	d.mu.Lock()
	d.failRef, d.failSet = ref, true
	d.replied[th.Ref] = time.Now()
	d.replies = append(d.replies, ref)
	d.replyPlatform[ref] = th.Header.Store.Platform
	d.mu.Unlock()
	return nil
}

// ensureFailing makes the scripted failing reply now when the run ended
// before the agents made it, in the first thread of the failing platform.
func (d *demoRun) ensureFailing(ctx context.Context, o demoOptions) {
	if d.surface == nil {
		return
	}
	d.mu.Lock()
	done := d.failSet
	d.mu.Unlock()
	if done {
		return
	}
	failPlatform := o.shops.platforms()[0]
	for _, th := range d.surface.Threads() {
		if th.Header.Store.Platform != failPlatform {
			continue
		}
		if err := d.sayFailing(ctx, th); err != nil {
			d.log.Warn("demo: could not make the scripted failing reply", "err", err)
		}
		return
	}
}

// keepFailing installs the scripted reply's fault again after the
// outages' faults were cleared, when that reply has not failed yet: it
// fails and is retried in every run, however short.
func (d *demoRun) keepFailing() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.failSet || d.retried[d.failRef] {
		return
	}
	id, err := d.sim.SetFault(simulator.Fault{Kind: simulator.FaultErrorServer, Contains: demoFailingAnswer})
	if err != nil {
		d.log.Warn("demo: could not keep the scripted reply failing", "err", err)
		return
	}
	d.failFault = id
}

// pressRetryIfFailed presses Retry once on each scripted reply that
// failed; for the scripted failing one it first clears the fault.
func (d *demoRun) pressRetryIfFailed(ctx context.Context) {
	st := d.surface.ReplyStatuses()
	d.mu.Lock()
	var press []bridge.Reply
	for _, ref := range d.replies {
		if r, ok := st[ref]; ok && r.Status == bridge.ReplyFailed && !d.retried[ref] {
			d.retried[ref] = true
			if ref == d.failRef {
				d.sim.ClearFault(d.failFault)
			}
			press = append(press, r)
		}
	}
	d.mu.Unlock()
	for _, r := range press {
		d.surface.Press(ctx, bridge.ActionRetrySend, strconv.FormatInt(int64(r.ID), 10), "agent-ana")
	}
}

// waitReplies waits until every scripted reply ended sent or failed.
func (d *demoRun) waitReplies(ctx context.Context) {
	if d.surface == nil {
		return
	}
	for {
		d.pressRetryIfFailed(ctx)
		pending := 0
		st := d.surface.ReplyStatuses()
		d.mu.Lock()
		for _, ref := range d.replies {
			if r, ok := st[ref]; !ok || !r.Status.Final() || (r.Status == bridge.ReplyFailed && !d.retried[ref]) {
				pending++
			}
		}
		d.mu.Unlock()
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitDeliveries waits until the simulator has no push or webhook left to
// deliver: Lazada's failed pushes are delivered again (every 2 s here),
// TikTok's webhooks retried or dropped.
func (d *demoRun) waitDeliveries(ctx context.Context) {
	for {
		st := d.sim.LazadaPushStats()
		pending := st.Waiting + st.InFlight
		for _, w := range d.sim.TikTokWebhooks() {
			if !w.Delivered && !w.Dropped && !w.GivenUp {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			d.log.Warn("demo: pushes still waiting for delivery", "pending", pending)
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitRecovered waits until no marketplace incident is open: an outage
// that ended just before the run did is being debounced and caught up.
func (d *demoRun) waitRecovered(ctx context.Context, state bridge.State) {
	if d.surface == nil {
		return
	}
	for {
		open := 0
		if incs, err := state.Incidents(ctx, time.Time{}); err == nil {
			for _, in := range incs {
				if in.Scope == "marketplace" && in.EndedAt.IsZero() {
					open++
				}
			}
		}
		if open == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitPosted waits until every recorded message is posted.
func (d *demoRun) waitPosted(ctx context.Context) {
	if d.surface == nil {
		return // Slack or Telegram: nothing is counted, and they may not answer
	}
	for {
		pending := 0
		if backlog, err := d.engine.Backlog(ctx); err == nil {
			for _, b := range backlog {
				pending += b.Pending
			}
		}
		if pending == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// platformCount is the summary of one platform.
type platformCount struct {
	stores, buyerMsgs, threads, sent, lost, dup int
}

// summary counts, per platform, by comparing what the marketplace holds
// with what the chat received, how many buyer messages were lost or
// duplicated.
func (d *demoRun) summary(ctx context.Context, state bridge.State) string {
	counted := d.surface != nil
	per := map[bridge.Platform]*platformCount{}
	var order []bridge.Platform
	platformOf := map[bridge.StoreID]bridge.Platform{}
	count := func(p bridge.Platform) *platformCount {
		if per[p] == nil {
			per[p] = &platformCount{}
			order = append(order, p)
		}
		return per[p]
	}
	var lazadaShops []string
	for _, s := range d.engine.Stores() {
		c := count(s.Platform)
		c.stores++
		platformOf[s.ID] = s.Platform
		if s.Platform == bridge.PlatformLazada {
			lazadaShops = append(lazadaShops, s.ShopID)
		}
		for _, m := range d.sim.Messages(s.ShopID) {
			if m.From != simulator.FromBuyer {
				continue
			}
			c.buyerMsgs++
			if !counted {
				continue
			}
			switch n := d.surface.PostedCount(bridge.MessageID(m.ID)); {
			case n == 0:
				c.lost++
				if c.lost <= 5 {
					d.log.Error("demo: buyer message never reached the chat", "store", s.ID, "conversation", m.ConversationID, "message", m.ID, "type", m.Type, "at", m.CreatedAt)
				}
			case n > 1:
				c.dup += n - 1
			}
		}
	}
	scripted, otherRetried := 0, 0
	if counted {
		for _, th := range d.surface.Threads() {
			count(th.Header.Store.Platform).threads++
		}
		st := d.surface.ReplyStatuses()
		d.mu.Lock()
		for _, ref := range d.replies {
			if r, ok := st[ref]; ok && r.Status == bridge.ReplySent {
				count(d.replyPlatform[ref]).sent++
				switch {
				case d.retried[ref] && ref == d.failRef:
					scripted++
				case d.retried[ref]:
					otherRetried++
				}
			}
		}
		d.mu.Unlock()
	}
	var outages []string
	if incs, err := state.Incidents(ctx, time.Time{}); err == nil {
		for _, in := range incs {
			if in.Scope != "marketplace" || in.EndedAt.IsZero() || in.CatchUpFailed {
				continue
			}
			var names, platforms []string
			for _, id := range in.Stores {
				names = append(names, string(id))
				if p := string(platformOf[id]); !slices.Contains(platforms, p) {
					platforms = append(platforms, p)
				}
			}
			outages = append(outages, fmt.Sprintf("%s outage recovered (alert named %s; %d caught up)",
				strings.Join(platforms, "+"), strings.Join(names, ", "), in.CaughtUp))
		}
	}
	head := fmt.Sprintf("demo: %d stores", len(d.engine.Stores()))
	if len(outages) == 0 {
		head += ", no outage recovered"
	} else {
		head += ", " + strings.Join(outages, ", ")
	}
	if counted {
		head += fmt.Sprintf(", %d reply failed then retried", scripted)
		if otherRetried > 0 {
			head += fmt.Sprintf(" (and %d more failed during the outage, retried)", otherRetried)
		}
	}
	if p := d.sim.LazadaPushStats(); p.Redelivered > 0 {
		head += fmt.Sprintf(", %d Lazada pushes delivered again", p.Redelivered)
	}
	parts := []string{head}
	for _, p := range order {
		c := per[p]
		stores := "stores"
		if c.stores == 1 {
			stores = "store"
		}
		if !counted {
			parts = append(parts, fmt.Sprintf("%s %d %s: %d buyer messages", p, c.stores, stores, c.buyerMsgs))
			continue
		}
		part := fmt.Sprintf("%s %d %s: %d buyer messages in %d threads, %d replies sent", p, c.stores, stores, c.buyerMsgs, c.threads, c.sent)
		if p == bridge.PlatformLazada {
			calls := 0
			for _, shop := range lazadaShops {
				calls += d.sim.LazadaPolling(shop).ListCalls
			}
			part += fmt.Sprintf(", %d IM list calls (history import only)", calls)
		}
		parts = append(parts, part+fmt.Sprintf(", lost %d, duplicated %d", c.lost, c.dup))
	}
	if !counted {
		parts = append(parts, "lost/duplicated are counted on the console surface only")
	}
	return strings.Join(parts, "; ")
}

// lockedWriter serialises writes of several goroutines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
