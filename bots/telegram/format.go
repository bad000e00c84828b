package telegram

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Bot API limits. Lengths are counted like Telegram counts them: in UTF-16
// code units of the text after entity parsing.
const (
	maxTextLen        = 4096
	maxCaptionLen     = 1024
	maxTopicName      = 128
	maxCallbackData   = 64
	maxCallbackAnswer = 200
)

// wordJoiner is an invisible character that keeps Telegram from parsing
// "@name" as a mention and "/cmd" as a clickable command in buyer text.
const wordJoiner = "\u2060"

// escapeHTML escapes text for parse_mode HTML: every <, > and & that is not
// part of a tag or an entity must be one.
func escapeHTML(s string) string {
	if !strings.ContainsAny(s, "<>&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapeAttr escapes a value for a double-quoted HTML attribute.
func escapeAttr(s string) string {
	return strings.ReplaceAll(escapeHTML(s), `"`, "&quot;")
}

// neutralize defuses what would let a buyer ping the team or plant a
// clickable bot command: "@name" and "/command" get an invisible word joiner
// after their first character. The text looks the same.
func neutralize(s string) string {
	if !strings.ContainsAny(s, "@/") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(-1)
	for i, r := range s {
		b.WriteRune(r)
		next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
		switch {
		case r == '@' && isWordRune(next):
			b.WriteString(wordJoiner)
		case r == '/' && next < utf8.RuneSelf && unicode.IsLetter(next) && (prev == -1 || !isWordRune(prev) && !strings.ContainsRune("/:.", prev)):
			b.WriteString(wordJoiner)
		}
		prev = r
	}
	return b.String()
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// visibleLen counts s as Telegram does, in UTF-16 code units.
func visibleLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// safeURL returns u when it is an absolute http(s) URL, so a marketplace
// field can never become a tg:// or javascript: link.
func safeURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", false
	}
	return u, true
}

// link renders an <a> element when u is safe, or just the label.
func link(u, label string) string {
	if su, ok := safeURL(u); ok {
		return `<a href="` + escapeAttr(su) + `">` + escapeHTML(label) + `</a>`
	}
	return escapeHTML(label)
}

// trimVisible shortens s to at most max UTF-16 units on a rune boundary,
// ending it with "…" when something was cut.
func trimVisible(s string, max int) string {
	if visibleLen(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > max-1 {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
		n += utf16.RuneLen(r)
	}
	return s
}

// splitText cuts raw text into chunks of at most max UTF-16 units, on rune
// boundaries, preferring a line break, then a space, in the last quarter of
// a chunk.
func splitText(s string, max int) []string {
	if max < 4 {
		max = 4
	}
	var out []string
	for visibleLen(s) > max {
		cut, n := 0, 0
		lastNL, lastSP := -1, -1
		for i, r := range s {
			w := utf16.RuneLen(r)
			if n+w > max {
				cut = i
				break
			}
			n += w
			switch {
			case r == '\n':
				lastNL = i
			case unicode.IsSpace(r):
				lastSP = i
			}
		}
		if cut == 0 {
			// A single rune wider than max cannot happen for max >= 4.
			break
		}
		floor := cut * 3 / 4
		switch {
		case lastNL >= floor:
			out = append(out, s[:lastNL])
			s = s[lastNL+1:]
		case lastSP >= floor:
			out = append(out, s[:lastSP])
			s = s[lastSP+1:]
		default:
			out = append(out, s[:cut])
			s = s[cut:]
		}
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// htmlText is a piece of HTML with its visible length.
type htmlText struct {
	html string
	vis  int
}

// plain is text without markup, escaped.
func plain(s string) htmlText { return htmlText{html: escapeHTML(s), vis: visibleLen(s)} }

// concat joins pieces with sep (plain text).
func concat(sep string, parts ...htmlText) htmlText {
	var out htmlText
	first := true
	for _, p := range parts {
		if p.html == "" && p.vis == 0 {
			continue
		}
		if !first {
			out.html += escapeHTML(sep)
			out.vis += visibleLen(sep)
		}
		first = false
		out.html += p.html
		out.vis += p.vis
	}
	return out
}

// buyer is marketplace text: neutralized and escaped.
func buyer(s string) htmlText {
	n := neutralize(s)
	return htmlText{html: escapeHTML(n), vis: visibleLen(n)}
}

func wrap(tag string, t htmlText) htmlText {
	return htmlText{html: "<" + tag + ">" + t.html + "</" + tag + ">", vis: t.vis}
}

func bold(s string) htmlText   { return wrap("b", plain(s)) }
func italic(s string) htmlText { return wrap("i", plain(s)) }

// anchor is a link with a plain label; an unsafe URL leaves just the label.
func anchor(u, label string) htmlText {
	return htmlText{html: link(u, label), vis: visibleLen(label)}
}
