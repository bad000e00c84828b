package slack

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// mrkdwnEscaper escapes the three characters Slack's mrkdwn gives meaning:
// with them escaped, buyer text cannot contain <!channel>, <!here>, <@U…>
// mentions or <http://evil|bank.com> links that show one address and open
// another.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// broadcastWords are plain-text mentions some clients still resolve; a zero
// width space after the @ keeps them as text.
var broadcastWords = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// escapeText makes untrusted text (buyer messages, names, card titles) safe
// to show as mrkdwn.
func escapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = mrkdwnEscaper.Replace(s)
	return broadcastWords.ReplaceAllString(s, "@\u200b$1")
}

// escapeInline is escapeText for one-line fields (names, titles): newlines
// become spaces and the text is bounded.
func escapeInline(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return escapeText(s)
}

// escapeCode prepares a value for a `code` span: no backticks, escaped.
func escapeCode(s string) string {
	return escapeInline(strings.ReplaceAll(s, "`", "'"), 200)
}

// safeURL returns u ready for Slack's <url|label> syntax, or "" when it is not
// an absolute http(s) URL. Characters that would end or split the link are
// percent-encoded.
func safeURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || strings.ContainsAny(u, " \t\r\n") {
		return ""
	}
	return strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(p.String())
}

// link renders a link whose label is escaped; without a usable URL it is
// just the label.
func link(u, label string) string {
	su := safeURL(u)
	if su == "" {
		return label
	}
	return "<" + su + "|" + label + ">"
}

// rawURL returns u when it is an absolute http(s) URL, for fields Slack does
// not parse as mrkdwn (image_url).
func rawURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// splitText cuts escaped text into chunks of at most limit characters,
// preferring line breaks, then spaces, and never cutting an &entity;.
func splitText(s string, limit int) []string {
	if limit <= 0 || utf8.RuneCountInString(s) <= limit {
		return []string{s}
	}
	var out []string
	r := []rune(s)
	for len(r) > limit {
		cut := limit
		// Prefer a newline, then a space, in the last fifth of the window.
		floor := limit - limit/5
		if i := lastIndex(r[:limit], '\n'); i >= floor {
			cut = i + 1
		} else if i := lastIndex(r[:limit], ' '); i >= floor {
			cut = i + 1
		}
		// Do not cut inside an entity such as &amp;.
		if amp := lastIndex(r[:cut], '&'); amp >= 0 && amp > cut-6 && lastIndex(r[amp:cut], ';') < 0 {
			if amp > 0 {
				cut = amp
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	if len(r) > 0 {
		out = append(out, string(r))
	}
	return out
}

func lastIndex(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}

// slackMarkup matches Slack's angle-bracket markup in text Slack sends us.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

// plainText turns the text of a Slack message (as Slack sends it in events)
// into the plain text a buyer should get: links show their label and
// address, mentions their name, and &amp; &lt; &gt; are unescaped.
func plainText(s string, userName func(id string) string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if hasLabel {
				return "@" + label
			}
			if userName != nil {
				if n := userName(target[1:]); n != "" {
					return "@" + n
				}
			}
			return "@" + target[1:]
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			name := strings.TrimPrefix(target, "!")
			if hasLabel {
				return label
			}
			if i := strings.IndexAny(name, "^"); i >= 0 {
				name = name[:i]
			}
			return "@" + name
		case strings.HasPrefix(target, "mailto:"):
			if hasLabel {
				return label
			}
			return strings.TrimPrefix(target, "mailto:")
		default:
			if hasLabel && label != target {
				return label + " (" + target + ")"
			}
			return target
		}
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
