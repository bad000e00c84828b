package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// Audit output bounds.
const (
	auditDefaultEntries = 10
	auditMaxEntries     = 100
	auditResultRunes    = 120
)

// auditCommand is `audit [n]`: the latest admin actions, newest first.
// The entries themselves are recorded by the dispatcher (every admin
// command, refused ones too, and button presses that run one), by the
// authorization callback and by the CLI.
func (e *Engine) auditCommand() bridge.Command {
	return bridge.Command{Name: "audit", Args: "[n]", Help: fmt.Sprintf("show the latest n admin actions (default %d)", auditDefaultEntries), Permission: bridge.AdminOnly,
		Run: func(ctx context.Context, req bridge.CommandRequest, args []string) bridge.CommandResponse {
			n := auditDefaultEntries
			if len(args) > 0 {
				v, err := strconv.Atoi(args[0])
				if err != nil || v < 1 {
					return bridge.CommandResponse{Text: fmt.Sprintf("Usage: audit [n], with n from 1 to %d.", auditMaxEntries), Error: true}
				}
				n = min(v, auditMaxEntries)
			}
			entries, err := e.state.Audit(ctx, n)
			if err != nil {
				e.log.Error("could not read the audit log", "err", err)
				return bridge.CommandResponse{Text: "Could not read the audit log. The system has logged the error.", Error: true}
			}
			return bridge.CommandResponse{Text: FormatAudit(entries)}
		}}
}

// FormatAudit renders audit entries, one line each: when (UTC), where,
// who, the result and the command.
func FormatAudit(entries []bridge.AuditEntry) string {
	if len(entries) == 0 {
		return "No admin actions recorded yet."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Latest %d admin actions, newest first:\n", len(entries))
	for _, a := range entries {
		who := a.UserName
		switch {
		case who == "":
			who = a.UserID
		case a.UserID != "" && a.UserID != who:
			who += " (" + a.UserID + ")"
		}
		if who == "" {
			who = "unknown"
		}
		verdict := "ok"
		if !a.OK {
			verdict = "FAILED"
		}
		surface := a.Surface
		if surface == "" {
			surface = "-"
		}
		fmt.Fprintf(&b, "%s  %s  %s  %s  %s", a.At.UTC().Format("2006-01-02 15:04:05Z"), surface, who, verdict, oneLine(a.Command))
		if r := truncateRunes(oneLine(a.Result), auditResultRunes); r != "" {
			b.WriteString(" → " + r)
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
