package console

import (
	"fmt"
	"strings"

	"github.com/shopbridge/shopbridge/bridge"
)

// indent starts every further line of a multi-line text, so a buyer's
// second line can never look like a line of its own.
const indent = "    "

// ANSI styles used when Config.Color is on. Only the surface's own framing
// is painted; buyer text never carries escapes (see clean).
const (
	styleTag    = "36"   // cyan
	styleBuyer  = "1"    // bold
	styleSeller = "33"   // yellow
	styleOK     = "32"   // green
	styleFail   = "31"   // red
	styleAlert  = "1;31" // bold red
	styleDim    = "2"
	// styleRecalled is dim and struck through: a recalled message's
	// original, still readable.
	styleRecalled = "2;9"
)

// painter applies ANSI styles when colour is on.
type painter struct{ color bool }

func (p painter) paint(style, s string) string {
	if !p.color || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// body cleans text and indents its further lines; an empty text reads
// "(empty message)".
func body(text string) string {
	text = strings.Trim(clean(text), "\n")
	if strings.TrimSpace(text) == "" {
		return "(empty message)"
	}
	return strings.ReplaceAll(text, "\n", "\n"+indent)
}

// threadPrefix is "[T3 shopee MY Main · Alice]", or "[T3]" for a thread of
// which the surface knows no header (one opened before a restart).
func threadPrefix(p painter, tag string, h bridge.ThreadHeader, known bool) string {
	s := tag
	if known {
		if l := cleanInline(h.Store.Label()); strings.TrimSpace(l) != "" {
			s += " " + l
		}
		if b := cleanInline(h.BuyerName); b != "" {
			s += " · " + b
		}
	}
	return p.paint(styleTag, "["+s+"]")
}

// tagOnly is "[T3]".
func tagOnly(p painter, tag string) string { return p.paint(styleTag, "["+tag+"]") }

// headerState is "awaiting reply" or "answered".
func headerState(h bridge.ThreadHeader) string {
	if h.AwaitingReply {
		return "awaiting reply"
	}
	return "answered"
}

// who is "shopee MY Main Store — buyer Alice".
func who(h bridge.ThreadHeader) string {
	s := cleanInline(h.Store.Label())
	if b := cleanInline(h.BuyerName); b != "" {
		s += " — buyer " + b
	} else if id := cleanInline(h.BuyerID); id != "" {
		s += " — buyer " + id
	}
	return s
}

// renderOpened is the line of a new thread:
// "[T3] new thread: shopee MY Main Store — buyer Alice (awaiting reply) https://…".
func renderOpened(p painter, tag string, h bridge.ThreadHeader, showUnread bool) string {
	what := "new thread"
	if h.Continued {
		what = "new thread (continues an earlier thread)"
	}
	// Only "awaiting reply" is said: a thread opened for a first message
	// is not answered yet, its message follows.
	var states []string
	if h.Resumed {
		states = append(states, "resumed")
	}
	if h.AwaitingReply {
		states = append(states, "awaiting reply")
	}
	if showUnread && h.Unread > 0 {
		states = append(states, fmt.Sprintf("%d unread", h.Unread))
	}
	line := fmt.Sprintf("%s %s: %s", tagOnly(p, tag), what, who(h))
	if len(states) > 0 {
		line += " (" + strings.Join(states, ", ") + ")"
	}
	if l := cleanInline(h.Link); l != "" {
		line += " " + l
	}
	return line
}

// renderHeader is the line of a header update: "[T3] shopee MY Main — buyer Alice: answered".
func renderHeader(p painter, tag string, h bridge.ThreadHeader, continuedNow, showUnread bool) string {
	var state string
	switch {
	case h.Resumed:
		state = p.paint(styleBuyer, "resumed after a quiet spell — awaiting reply")
		if !h.AwaitingReply {
			state = "resumed — answered"
		}
	case h.AwaitingReply:
		state = p.paint(styleBuyer, "awaiting reply")
	default:
		state = p.paint(styleOK, "answered ✓")
	}
	if continuedNow {
		state += " (continues an earlier thread)"
	}
	if showUnread && h.Unread > 0 {
		state += fmt.Sprintf(" (%d unread)", h.Unread)
	}
	return fmt.Sprintf("%s %s: %s", tagOnly(p, tag), who(h), state)
}

// senderLabel is "buyer", "seller (Seller Centre)" or "notice", with
// "(auto-reply)" for what the marketplace's auto-reply sent and the sender
// a notice names ("notice (ROBOT)"). The bridge never echoes its own
// replies, so a seller message in a thread was written elsewhere.
func senderLabel(p painter, m bridge.Message) string {
	switch m.Sender {
	case bridge.SenderSeller:
		if m.AutoReply {
			return p.paint(styleSeller, "seller (auto-reply)")
		}
		return p.paint(styleSeller, "seller (Seller Centre)")
	case bridge.SenderSystem:
		label := "notice"
		if m.AutoReply {
			label = "auto-reply"
		}
		if n := cleanInline(m.SenderName); n != "" {
			label += " (" + n + ")"
		}
		return p.paint(styleDim, label)
	}
	if m.AutoReply {
		return p.paint(styleBuyer, "buyer (auto-reply)")
	}
	return p.paint(styleBuyer, "buyer")
}

// platformName is the marketplace's name in sentences ("Lazada's safety
// check"); tags keep the store's label ("lazada SG Main").
func platformName(pl bridge.Platform) string {
	switch pl {
	case bridge.PlatformShopee:
		return "Shopee"
	case bridge.PlatformLazada:
		return "Lazada"
	case bridge.PlatformTikTok:
		return "TikTok Shop"
	case "":
		return "the marketplace"
	}
	return cleanInline(string(pl))
}

// recalledBy is "the buyer", "the seller" or "the marketplace".
func recalledBy(m bridge.Message) string {
	switch m.Sender {
	case bridge.SenderSeller:
		return "the seller"
	case bridge.SenderSystem:
		return "the marketplace"
	}
	return "the buyer"
}

// renderMessage is the line of a marketplace message:
// "[T3 shopee MY Main · Alice] buyer: where is my parcel?".
func renderMessage(p painter, prefix string, h bridge.ThreadHeader, m bridge.Message) string {
	return prefix + " " + senderLabel(p, m) + ": " + shown(p, h, m)
}

// shown is a message's content as a thread shows it: a recalled one as
// "↩️ recalled by the buyer — was: …" (dim and struck through with
// colour), then, on lines of their own, the marketplace's translation and
// the note of its safety check.
func shown(p painter, h bridge.ThreadHeader, m bridge.Message) string {
	s := content(m)
	if tr := strings.TrimSpace(m.Translation); tr != "" {
		s += "\n" + indent + "translation (" + platformName(h.Store.Platform) + "): " + body(tr)
	}
	if m.Recalled {
		s = "↩️ recalled by " + recalledBy(m) + " — was: " + p.paint(styleRecalled, s)
	}
	if m.SafetyNote != "" {
		s += "\n" + indent + "⛔ blocked by " + platformName(h.Store.Platform) + "'s safety check — only you can see it"
		if note := strings.TrimSpace(m.SafetyNote); note != "" {
			s += ": " + body(note)
		}
	}
	return s
}

// content shows a message's content: text as written (cleaned), media as
// "[image] url", cards as `[item 123 "name" price]`, anything else as
// "[unsupported: type]". Nothing is dropped.
func content(m bridge.Message) string {
	caption := func(s string) string {
		if strings.TrimSpace(m.Text) == "" {
			return s
		}
		return s + " " + body(m.Text)
	}
	switch m.Kind {
	case bridge.KindText, "":
		return body(m.Text)
	case bridge.KindImage, bridge.KindVideo, bridge.KindSticker:
		s := "[" + string(m.Kind) + "]"
		if u := cleanInline(m.URL); u != "" {
			s += " " + u
		} else {
			s += " (no link — open the conversation in Seller Centre)"
		}
		return caption(s)
	case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher, bridge.KindRefund:
		s := card(m)
		if m.Card != nil && strings.TrimSpace(m.Text) == strings.TrimSpace(m.Card.Title) {
			return s
		}
		return caption(s)
	}
	typ := m.UnsupportedType
	if typ == "" {
		typ = string(m.Kind)
	}
	return caption("[unsupported: " + cleanInline(typ) + "]")
}

// renderUpdate is the line of a post that changed on the marketplace: a
// printed line cannot be edited, so a new one names the post (its C…
// reference) and says what became of it:
// "[T3 lazada SG Main · Alice] ↩️ the buyer recalled a message (C12): where is my parcel?".
func renderUpdate(p painter, prefix string, ref bridge.ChatMessageRef, h bridge.ThreadHeader, m bridge.Message) string {
	c := cleanInline(ref.ID)
	if m.Recalled {
		recalled := m
		recalled.Recalled = false
		return prefix + " ↩️ " + recalledBy(m) + " recalled a message (" + c + "): " + p.paint(styleRecalled, shown(p, h, recalled))
	}
	return prefix + " message " + c + " changed — " + senderLabel(p, m) + ": " + shown(p, h, m)
}

// card is `[item 123 "name" price]`, `[order 2405… "title"]`, `[voucher CODE "title"]`
// or `[return/refund request order 2405… "reason" amount]`.
func card(m bridge.Message) string {
	c := m.Card
	if c == nil {
		c = &bridge.Card{}
	}
	parts := []string{string(m.Kind)}
	switch m.Kind {
	case bridge.KindRefund:
		parts[0] = "return/refund request"
		if c.OrderID != "" {
			parts = append(parts, "order "+c.OrderID)
		}
	case bridge.KindItem:
		parts = append(parts, c.ItemID)
	case bridge.KindOrder:
		parts = append(parts, c.OrderID)
	case bridge.KindVoucher:
		parts = append(parts, c.Voucher)
	}
	if c.Title != "" {
		parts = append(parts, `"`+c.Title+`"`)
	}
	parts = append(parts, c.Price)
	if m.Kind == bridge.KindOrder && c.ItemID != "" {
		parts = append(parts, "item "+c.ItemID)
	}
	var kept []string
	for _, s := range parts {
		if s = strings.TrimSpace(cleanInline(s)); s != "" {
			kept = append(kept, s)
		}
	}
	s := "[" + strings.Join(kept, " ") + "]"
	if l := cleanInline(c.Link); l != "" {
		s += " " + l
	}
	return s
}

// renderStatus is a reply's status line:
// `[T3] reply #12 by agent1: FAILED: reason — type "retry 12"`, or "" for a
// plain "queued", which needs no line.
func renderStatus(p painter, tag string, r bridge.Reply) string {
	author := cleanInline(r.AuthorName)
	if author == "" {
		author = cleanInline(r.AuthorID)
	}
	head := fmt.Sprintf("%s reply #%d", tagOnly(p, tag), r.ID)
	if author != "" {
		head += " by " + author
	}
	var state string
	switch r.Status {
	case bridge.ReplyQueued:
		state = "⏳ queued"
		if r.Reason != "" {
			state = "⏳ queued, will retry (" + cleanInline(r.Reason) + ")"
		}
	case bridge.ReplySending:
		state = "⏳ sending…"
		if r.Attempts > 1 {
			state = fmt.Sprintf("⏳ sending… (attempt %d)", r.Attempts)
		}
	case bridge.ReplySent:
		state = p.paint(styleOK, "sent ✓")
	case bridge.ReplyFailed:
		reason := cleanInline(r.Reason)
		if reason == "" {
			reason = "unknown reason"
		}
		state = p.paint(styleFail, "FAILED: "+reason) + fmt.Sprintf(` — type "retry %d"`, r.ID)
	default:
		state = cleanInline(string(r.Status))
	}
	return head + ": " + state
}

// renderAlert is an alert, its text indented below, and its action hints:
// `ALERT [A1] critical: Network connection interrupted…` and, edited,
// `ALERT [A1] (updated) resolved: …`.
func renderAlert(p painter, tag string, a bridge.Alert, updated bool) string {
	var b strings.Builder
	style := styleAlert
	if a.Severity == bridge.SeverityResolved || a.Severity == bridge.SeverityInfo {
		style = styleOK
	}
	b.WriteString(p.paint(style, "ALERT ["+tag+"]"))
	if updated {
		b.WriteString(" (updated)")
	}
	if sev := cleanInline(string(a.Severity)); sev != "" {
		b.WriteString(" " + sev + ":")
	}
	b.WriteString(" " + cleanInline(a.Title))
	// One line per alert and per update: its state and the first line of
	// its text (which names the stores); the rest (since when, the error)
	// is in the log.
	if t := strings.Trim(clean(a.Text), "\n "); t != "" {
		first, _, _ := strings.Cut(t, "\n")
		b.WriteString(" — " + cleanInline(first))
	}
	for _, act := range a.Actions {
		b.WriteString("\n" + indent + actionHint(act))
	}
	return b.String()
}

// actionHint says what to type to press a button.
func actionHint(a bridge.Action) string {
	label := cleanInline(a.Label)
	var typed string
	switch a.ID {
	case bridge.ActionRetrySend:
		typed = "retry " + cleanInline(a.Value)
	case bridge.ActionRetrySync:
		typed = strings.TrimSpace("/sync retry " + cleanInline(a.Value))
	default:
		typed = strings.TrimSpace("press " + cleanInline(a.ID) + " " + cleanInline(a.Value))
	}
	if label == "" {
		return `type "` + typed + `"`
	}
	return label + `: type "` + typed + `"`
}

// renderNotice is a private answer: "(to agent1) …", in its thread if any.
func renderNotice(p painter, tag string, n bridge.Notice) string {
	user := cleanInline(n.UserID)
	if user == "" {
		user = "everyone"
	}
	s := p.paint(styleDim, "(to "+user+")") + " " + body(n.Text)
	if tag != "" {
		s = tagOnly(p, tag) + " " + s
	}
	return s
}

// renderRefused is a reply line the bridge did not store, with the reason:
// "[T3] not sent: the reply is empty".
func renderRefused(p painter, tag, reason string) string {
	s := p.paint(styleFail, "not sent:") + " " + reason
	if tag != "" {
		s = tagOnly(p, cleanInline(tag)) + " " + s
	}
	return s
}

// renderStopping answers a line that arrived while the bridge stops: it is
// not handled, so a reply in it is not stored and not sent.
func renderStopping(p painter, line string) string {
	return p.paint(styleFail, "not handled:") + ` shopbridge is stopping — "` + shorten(cleanInline(line), 40) + `" was not taken`
}

// renderResponse is the answer to a command or a pressed button.
func renderResponse(p painter, user string, r bridge.CommandResponse) string {
	text := body(r.Text)
	if strings.TrimSpace(r.Text) == "" {
		text = "(done)"
	}
	head := "(to " + cleanInline(user) + ")"
	if r.Public {
		head = "(to everyone)"
	}
	if r.Error {
		return p.paint(styleFail, head+" error:") + " " + text
	}
	return p.paint(styleDim, head) + " " + text
}

// renderReport frames a report with a banner.
func renderReport(p painter, title, text string) string {
	t := cleanInline(title)
	top := "==================== REPORT: " + t + " ===================="
	bottom := strings.Repeat("=", min(len([]rune(top)), 80))
	lines := strings.Trim(clean(text), "\n")
	return p.paint(styleTag, top) + "\n" + lines + "\n" + p.paint(styleTag, bottom)
}
