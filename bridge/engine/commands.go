package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// Dispatcher routes command text to commands by their longest matching
// name, enforces permissions and audits admin commands.
type Dispatcher struct {
	audit bridge.AuditLog
	// surface names the chat surface in audit entries of button presses,
	// which carry no surface name.
	surface string
	clock   bridge.Clock
	log     *slog.Logger

	mu   sync.RWMutex
	cmds map[string]bridge.Command
}

func newDispatcher(audit bridge.AuditLog, surface string, clock bridge.Clock, log *slog.Logger) *Dispatcher {
	return &Dispatcher{audit: audit, surface: surface, clock: clock, log: log, cmds: map[string]bridge.Command{}}
}

// register adds commands; a name that is taken refuses them all.
func (d *Dispatcher) register(cmds ...bridge.Command) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, c := range cmds {
		if _, taken := d.cmds[c.Name]; taken {
			return fmt.Errorf("bridge: command %q is registered already", c.Name)
		}
		for _, o := range cmds[:i] {
			if o.Name == c.Name {
				return fmt.Errorf("bridge: command %q is given twice", c.Name)
			}
		}
	}
	for _, c := range cmds {
		d.cmds[c.Name] = c
	}
	return nil
}

// Commands lists the commands sorted by name.
func (d *Dispatcher) Commands() []bridge.Command {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]bridge.Command, 0, len(d.cmds))
	for _, c := range d.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run parses and runs one command.
func (d *Dispatcher) Run(ctx context.Context, req bridge.CommandRequest) bridge.CommandResponse {
	words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(req.Text), "/"))
	if len(words) == 0 {
		words = []string{"help"}
	}
	d.mu.RLock()
	var (
		cmd   bridge.Command
		found bool
		used  int
	)
	for n := min(3, len(words)); n >= 1; n-- {
		if c, ok := d.cmds[strings.ToLower(strings.Join(words[:n], " "))]; ok {
			cmd, found, used = c, true, n
			break
		}
	}
	d.mu.RUnlock()
	if !found {
		return bridge.CommandResponse{Text: fmt.Sprintf("Unknown command %q. Run `help` to see the commands.", strings.Join(words, " ")), Error: true}
	}
	if cmd.Permission == bridge.AdminOnly && !req.Admin {
		d.record(ctx, req, cmd, false, "refused: not an admin")
		return bridge.CommandResponse{Text: bridge.TextNotAdmin, Error: true}
	}
	resp := cmd.Run(ctx, req, words[used:])
	if cmd.Permission == bridge.AdminOnly {
		d.record(ctx, req, cmd, !resp.Error, firstLine(resp.Text))
	}
	return resp
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// record writes an admin command's audit entry.
func (d *Dispatcher) record(ctx context.Context, req bridge.CommandRequest, cmd bridge.Command, ok bool, result string) {
	surface := req.Surface
	if surface == "" {
		surface = d.surface // a button press carries no surface name
	}
	err := d.audit.RecordAudit(context.WithoutCancel(ctx), bridge.AuditEntry{
		At: d.clock.Now(), Surface: surface, UserID: req.UserID, UserName: req.UserName,
		Command: strings.TrimSpace(req.Text), OK: ok, Result: result,
	})
	if err != nil {
		d.log.Error("could not record audit entry", "command", cmd.Name, "err", err)
	}
}

// commands are the engine's own commands.
func (e *Engine) commands() []bridge.Command {
	pause := func(p bool) func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
		return func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
			verb := map[bool]string{true: "pause", false: "resume"}[p]
			if len(args) == 0 {
				return bridge.CommandResponse{Text: fmt.Sprintf("Which store? Usage: %s <store>. Run `stores` to list them.", verb), Error: true}
			}
			id := bridge.StoreID(args[0])
			if _, ok := e.Store(id); !ok {
				return unknownStore(id)
			}
			if err := e.state.SetPaused(ctx, id, p); err != nil {
				return bridge.CommandResponse{Text: fmt.Sprintf("Could not %s %s: %v", verb, id, err), Error: true}
			}
			if !p {
				if sy := e.syncerFor(id); sy != nil {
					sy.wake(syncRequest{reason: "resume"})
				}
				return bridge.CommandResponse{Text: fmt.Sprintf("Store %s resumed: syncing now.", id)}
			}
			return bridge.CommandResponse{Text: fmt.Sprintf("Store %s paused: no syncing until `resume %s`. Replies already queued are still sent.", id, id)}
		}
	}
	return []bridge.Command{
		{Name: "help", Help: "list the commands", Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
			var b strings.Builder
			b.WriteString("Commands:\n")
			for _, c := range e.cmds.Commands() {
				who := ""
				if c.Permission == bridge.AdminOnly {
					who = " (admin)"
				}
				fmt.Fprintf(&b, "  %s %s — %s%s\n", c.Name, c.Args, c.Help, who)
			}
			return bridge.CommandResponse{Text: strings.TrimRight(b.String(), "\n")}
		}},
		{Name: "status", Args: "[public]", Help: "connectivity, last sync, conversations and replies per store", Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
			text, err := e.StatusText(ctx)
			if err != nil {
				return bridge.CommandResponse{Text: "Could not read the status: " + err.Error(), Error: true}
			}
			return bridge.CommandResponse{Text: text, Public: len(args) > 0 && args[0] == "public"}
		}},
		{Name: "stores", Help: "list the stores", Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
			var b strings.Builder
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STORE\tPLATFORM\tSITE\tNAME\tSHOP ID\tSTATE\tAUTH")
			now := e.clock.Now()
			for _, s := range e.Stores() {
				ss, _ := e.state.StoreState(ctx, s.ID)
				state := "active"
				if ss.Paused {
					state = "paused"
				}
				switch h := e.mon.StoreHealth(s.ID); {
				case h.NeedsUpdate:
					state += ", NEEDS UPDATE"
				case h.Down:
					state += ", unreachable"
				}
				auth := "?"
				if sa, err := bridge.StoreAuthStatus(ctx, e.state, s.ID); err == nil {
					auth = sa.Summary(now, e.expiryWarning())
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Platform, s.Site, s.Name, s.ShopID, state, auth)
			}
			tw.Flush()
			return bridge.CommandResponse{Text: strings.TrimRight(b.String(), "\n")}
		}},
		{Name: "sync retry", Args: "[store]", Help: "run a full sync now (all stores whose catch-up failed, or one store)", Permission: bridge.AdminOnly,
			Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
				var store bridge.StoreID
				if len(args) > 0 {
					store = bridge.StoreID(args[0])
					if _, ok := e.Store(store); !ok {
						return unknownStore(store)
					}
				}
				if store == "" && !e.mon.HasFailedCatchUp() {
					// Nothing failed: sync every store now.
					total := 0
					for _, s := range e.Stores() {
						n, err := e.SyncNow(ctx, s.ID)
						total += n
						if err != nil {
							return bridge.CommandResponse{Text: fmt.Sprintf("Sync of %s failed: %s", s.ID, bridge.ReasonOf(err)), Error: true}
						}
					}
					return bridge.CommandResponse{Text: fmt.Sprintf("Synced %d stores: %d messages caught up.", len(e.Stores()), total)}
				}
				n, err := e.RetryCatchUp(ctx, store)
				if err != nil {
					return bridge.CommandResponse{Text: fmt.Sprintf("Sync failed again: %s", bridge.ReasonOf(err)), Error: true}
				}
				return bridge.CommandResponse{Text: fmt.Sprintf("Sync done: %d messages caught up.", n)}
			}},
		{Name: "repair", Args: "<store> <conversation>", Help: "fetch one conversation's recent messages again and post what is missing", Permission: bridge.AdminOnly,
			Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
				if len(args) < 2 {
					return bridge.CommandResponse{Text: "Usage: repair <store> <conversation ID> (the conversation ID is in the thread's header).", Error: true}
				}
				id := bridge.StoreID(args[0])
				if _, ok := e.Store(id); !ok {
					return unknownStore(id)
				}
				n, err := e.RepairConversation(ctx, id, bridge.ConversationID(args[1]))
				if err != nil {
					return bridge.CommandResponse{Text: fmt.Sprintf("Repair of %s failed: %s", args[1], bridge.ReasonOf(err)), Error: true}
				}
				if n == 0 {
					return bridge.CommandResponse{Text: fmt.Sprintf("Conversation %s of %s: nothing was missing.", args[1], id)}
				}
				return bridge.CommandResponse{Text: fmt.Sprintf("Conversation %s of %s: %s missing, being posted.", args[1], id, plural(n, "message"))}
			}},
		{Name: "pause", Args: "<store>", Help: "stop syncing a store", Permission: bridge.AdminOnly, Run: pause(true)},
		{Name: "resume", Args: "<store>", Help: "resume syncing a store", Permission: bridge.AdminOnly, Run: pause(false)},
		// The authorization flow, when registered, runs it; the syntax and the
		// exact answers are the engine's.
		{Name: "store update", Args: "<store> [refresh]", Permission: bridge.AdminOnly,
			Help: "send an authorization link for a store (the shop owner opens it), or refresh its tokens now",
			Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
				if len(args) == 0 {
					return bridge.CommandResponse{Text: bridge.TextNoStoreToUpdate, Error: true}
				}
				s, ok := e.Store(bridge.StoreID(args[0]))
				if !ok {
					return bridge.CommandResponse{Text: bridge.TextNoStoreToUpdate, Error: true}
				}
				if e.authorization == nil {
					e.log.Error("update store: store authorization is not enabled in this bridge", "store", args[0])
					return bridge.CommandResponse{Text: bridge.TextUpdateStoreFailed, Error: true}
				}
				refresh := len(args) > 1 && strings.TrimLeft(strings.ToLower(args[1]), "-") == "refresh"
				return e.authorization.UpdateStore(ctx, req, s, refresh)
			}},
		{Name: "stores refresh", Help: "reload the store list from the config file", Permission: bridge.AdminOnly,
			Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
				if e.loadStores == nil {
					return bridge.CommandResponse{Text: "This bridge was not started from a config file: there is no store list to reload.", Error: true}
				}
				text, err := e.ReloadStores(ctx, e.loadStores)
				if err != nil {
					e.log.Error("stores refresh failed", "err", err)
					return bridge.CommandResponse{Text: "Could not reload the store list; the current one stays in use.\n" + err.Error(), Error: true}
				}
				return bridge.CommandResponse{Text: text}
			}},
		e.auditCommand(),
	}
}

// StoreLoader reads the current store list (cmd reads the config file).
type StoreLoader func(ctx context.Context) ([]bridge.Store, error)

// ReloadStores loads the store list and applies it; it returns a summary
// of what changed.
func (e *Engine) ReloadStores(ctx context.Context, load StoreLoader) (string, error) {
	stores, err := load(ctx)
	if err != nil {
		return "", err
	}
	old := map[bridge.StoreID]bridge.Store{}
	for _, s := range e.Stores() {
		old[s.ID] = s
	}
	var added, changed, removed []string
	for _, s := range stores {
		if o, ok := old[s.ID]; !ok {
			added = append(added, string(s.ID))
		} else if o != s {
			changed = append(changed, string(s.ID))
		}
		delete(old, s.ID)
	}
	for id := range old {
		removed = append(removed, string(id))
	}
	sort.Strings(removed)
	if err := e.SetStores(stores); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Store list reloaded: %d stores.", len(stores))
	if len(added)+len(changed)+len(removed) == 0 {
		b.WriteString(" Nothing changed.")
	}
	for _, part := range []struct {
		what string
		ids  []string
	}{{"added", added}, {"changed", changed}, {"removed", removed}} {
		if len(part.ids) > 0 {
			fmt.Fprintf(&b, " %s: %s.", part.what, strings.Join(part.ids, ", "))
		}
	}
	e.log.Info("store list reloaded", "stores", len(stores), "added", len(added), "changed", len(changed), "removed", len(removed))
	return b.String(), nil
}

func unknownStore(id bridge.StoreID) bridge.CommandResponse {
	return bridge.CommandResponse{Text: fmt.Sprintf("No store %q. Run `stores` to see the store IDs.", id), Error: true}
}

// StatusText renders the per-store status table.
func (e *Engine) StatusText(ctx context.Context) (string, error) {
	var b strings.Builder
	ch := e.mon.ChatHealth()
	chat := "connected"
	if ch.Down {
		chat = fmt.Sprintf("DOWN since %s (%s)", ch.DownSince.UTC().Format("15:04:05"), ch.LastError)
	}
	fmt.Fprintf(&b, "Chat surface %s: %s\n", e.chat.Name(), chat)
	if sh := e.mon.StateHealth(); sh.Down {
		fmt.Fprintf(&b, "State database: FAILING since %s (%s)\n", sh.DownSince.UTC().Format("15:04:05"), sh.LastError)
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STORE\tCONNECTIVITY\tLAST SYNC\tDURATION\tCONVERSATIONS\tPENDING\tFAILED")
	now := e.clock.Now()
	for _, s := range e.Stores() {
		ss, err := e.state.StoreState(ctx, s.ID)
		if err != nil {
			return "", err
		}
		h := e.mon.StoreHealth(s.ID)
		conn := "ok"
		switch {
		case ss.Paused:
			conn = "paused"
		case h.NeedsUpdate:
			conn = fmt.Sprintf("NEEDS UPDATE %s", now.Sub(h.AuthSince).Round(time.Second))
		case !h.PausedUntil.IsZero():
			conn = "PAUSED (quota) until " + h.PausedUntil.UTC().Format("15:04 UTC")
		case h.Down:
			conn = fmt.Sprintf("DOWN %s", now.Sub(h.DownSince).Round(time.Second))
		case h.Failures > 0:
			conn = fmt.Sprintf("%d failures", h.Failures)
		}
		last, dur := "never", "-"
		if !ss.LastSyncAt.IsZero() {
			last = now.Sub(ss.LastSyncAt).Round(time.Second).String() + " ago"
		}
		if sy := e.syncerFor(s.ID); sy != nil {
			sy.mu.Lock()
			if sy.lastDuration > 0 || !sy.lastOK.IsZero() {
				dur = sy.lastDuration.Round(time.Millisecond).String()
			}
			sy.mu.Unlock()
		}
		convs, err := e.state.Conversations(ctx, s.ID)
		if err != nil {
			return "", err
		}
		threads := 0
		for _, c := range convs {
			if !c.Thread.IsZero() {
				threads++
			}
		}
		replies, err := e.state.Replies(ctx, s.ID, time.Time{})
		if err != nil {
			return "", err
		}
		pending, failed := 0, 0
		for _, r := range replies {
			switch r.Status {
			case bridge.ReplyQueued, bridge.ReplySending:
				pending++
			case bridge.ReplyFailed:
				failed++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\n", s.ID, conn, last, dur, threads, pending, failed)
	}
	tw.Flush()
	if backlog, err := e.Backlog(ctx); err == nil {
		if len(backlog) == 0 {
			fmt.Fprintln(&b, "Waiting to be posted: nothing.")
		}
		for _, d := range backlog {
			fmt.Fprintf(&b, "Waiting to be posted to %s: %s in %s, oldest %s.\n", d.Destination,
				plural(d.Pending, "message"), plural(d.Conversations, "conversation"), now.Sub(d.Oldest).Round(time.Second))
		}
	}
	for _, s := range e.Stores() {
		sa, err := bridge.StoreAuthStatus(ctx, e.state, s.ID)
		if err != nil {
			continue
		}
		switch {
		case sa.NeedsUpdate:
			fmt.Fprintf(&b, "Store %s NEEDS UPDATE since %s (%s): run `store update %s`.\n", s.ID, sa.Since.UTC().Format("2006-01-02 15:04 MST"), sa.Reason, s.ID)
		case sa.ExpiresWithin(now, e.expiryWarning()):
			fmt.Fprintf(&b, "Store %s authorization expires %s: run `store update %s`.\n", s.ID, sa.RefreshExpiresAt.UTC().Format("2006-01-02 15:04 MST"), s.ID)
		}
	}
	e.writeReplicas(ctx, &b)
	return strings.TrimRight(b.String(), "\n"), nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
