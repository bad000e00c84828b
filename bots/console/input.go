package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// consoleUserID is the user ID of everything typed at the console.
const consoleUserID = "console"

// helpText lists the console's own commands.
const helpText = `console commands:
    reply T3 <text>        answer the buyer of thread T3 (short: r T3 <text>)
    retry 12               retry failed reply #12
    threads                list the threads of this session
    press <action> [value] press a button of an alert
    /<command>             run a bridge command as admin (also "! <command>"), e.g. /status
    help                   this list; "/help" lists the bridge's commands
Ctrl-C stops shopbridge.`

// handleLine runs one line of input.
func (s *Surface) handleLine(ctx context.Context, h bridge.ChatHandler, raw string) {
	line := strings.TrimSpace(clean(raw))
	if line == "" {
		return
	}
	if rest, ok := strings.CutPrefix(line, "/"); ok {
		s.command(ctx, h, rest)
		return
	}
	if rest, ok := strings.CutPrefix(line, "!"); ok {
		s.command(ctx, h, rest)
		return
	}
	word, rest := cutWord(line)
	switch strings.ToLower(word) {
	case "reply", "r":
		tag, text := cutWord(rest)
		if tag == "" {
			s.out.print(`usage: reply T3 <text> — type "threads" to see the thread tags`)
			return
		}
		id, ok := threadID(tag)
		if !ok {
			s.out.print(renderRefused(s.paint, "", `"`+shorten(cleanInline(tag), 20)+`" is not a thread tag like T3; `+s.validThreads()))
			return
		}
		_, _ = s.reply(ctx, h, bridge.ThreadRef{Channel: Channel, ID: id}, consoleUserID, s.cfg.User, text)
	case "retry":
		id := strings.TrimPrefix(strings.TrimSpace(rest), "#")
		n, ok := number("", id)
		if !ok {
			s.out.print(`usage: retry 12 — the number of a failed reply ("reply #12 … FAILED")`)
			return
		}
		s.retry(ctx, h, bridge.ReplyID(n))
	case "press":
		action, value := cutWord(rest)
		if action == "" {
			s.out.print(`usage: press <action> [value], as an alert's hint says`)
			return
		}
		s.press(ctx, h, action, value, consoleUserID, s.cfg.User)
	case "threads":
		s.out.print(strings.Join(s.threadLines(), "\n"))
	case "help", "?":
		s.out.print(helpText)
	default:
		s.out.print(`unknown input "` + shorten(word, 20) + `" — type "help" for console commands, "/help" for bridge commands`)
	}
}

// commandAck is how long a bridge command may take before the console says
// it is running: a sync during an outage can take minutes, and the input
// must not look dead meanwhile.
const commandAck = time.Second

// command runs a bridge command as the console's admin and prints the
// answer. One that takes longer than commandAck is acknowledged at once
// ("/sync retry: running…") and answered again when it is done; the input
// is read meanwhile (a reply can be typed while a sync runs).
func (s *Surface) command(ctx context.Context, h bridge.ChatHandler, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		text = "help"
	}
	done := make(chan bridge.CommandResponse, 1)
	s.commands.Add(1)
	go func() {
		defer s.commands.Done()
		done <- h.Command(ctx, bridge.CommandRequest{
			Surface: Channel, UserID: consoleUserID, UserName: s.cfg.User, Admin: true, Channel: Channel, Text: text,
		})
	}()
	select {
	case resp := <-done:
		s.out.print(renderResponse(s.paint, consoleUserID, resp))
		return
	case <-s.clock.After(commandAck):
	}
	name := "/" + shorten(cleanInline(text), 40)
	s.out.print(renderResponse(s.paint, consoleUserID, bridge.CommandResponse{Text: name + ": running… the answer follows when it is done"}))
	s.commands.Add(1)
	go func() {
		defer s.commands.Done()
		resp := <-done
		s.out.print(renderResponse(s.paint, consoleUserID, bridge.CommandResponse{Text: name + " done: " + resp.Text, Public: resp.Public, Error: resp.Error}))
	}()
}

// maxListed bounds the tags or numbers a refusal lists.
const maxListed = 12

// validThreads lists the thread tags of this session for a refusal: "the
// threads are T1, T2, T5" (the latest ones when there are many).
func (s *Surface) validThreads() string {
	s.mu.Lock()
	tags := make([]string, len(s.order))
	for i, t := range s.order {
		tags[i] = t.ref.ID
	}
	s.mu.Unlock()
	if len(tags) == 0 {
		return "no thread is open in this session yet"
	}
	return "the threads are " + listLatest(tags) + ` (type "threads" for who is in each)`
}

// listLatest joins items, the last maxListed of them when there are more.
func listLatest(items []string) string {
	if len(items) <= maxListed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d earlier", strings.Join(items[len(items)-maxListed:], ", "), len(items)-maxListed)
}

// cutWord splits off the first word; the rest keeps its inner spacing.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// threadID reads a thread tag as typed: "T3", "t3" or "3".
func threadID(tag string) (string, bool) {
	tag = strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(tag, "["), "]"))
	if !strings.HasPrefix(tag, "T") {
		tag = "T" + tag
	}
	if _, ok := number("T", tag); !ok {
		return "", false
	}
	return tag, true
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
