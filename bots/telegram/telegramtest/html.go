package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// allowedTags are the tags of the Bot API's HTML parse mode.
var allowedTags = map[string]models.MessageEntityType{
	"b": models.MessageEntityTypeBold, "strong": models.MessageEntityTypeBold,
	"i": models.MessageEntityTypeItalic, "em": models.MessageEntityTypeItalic,
	"u": models.MessageEntityTypeUnderline, "ins": models.MessageEntityTypeUnderline,
	"s": models.MessageEntityTypeStrikethrough, "strike": models.MessageEntityTypeStrikethrough, "del": models.MessageEntityTypeStrikethrough,
	"a": models.MessageEntityTypeTextLink, "code": models.MessageEntityTypeCode, "pre": models.MessageEntityTypePre,
	"tg-spoiler": models.MessageEntityTypeSpoiler, "span": models.MessageEntityTypeSpoiler,
	"blockquote": models.MessageEntityTypeBlockquote, "tg-emoji": models.MessageEntityTypeCustomEmoji,
}

// ParseHTML parses text in the Bot API's HTML parse mode, strictly: every
// <, > and & outside a tag or entity is an error, as is an unknown or
// unbalanced tag. It returns the visible text and its entities (offsets in
// UTF-16 units), including the mentions, bot commands and URLs Telegram
// would detect in the visible text.
func ParseHTML(s string) (string, []models.MessageEntity, error) {
	var out strings.Builder
	var ents []models.MessageEntity
	type open struct {
		tag   string
		start int
		url   string
	}
	var stack []open
	pos := 0 // UTF-16 offset of out
	write := func(str string) {
		out.WriteString(str)
		pos += utf16Len(str)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", nil, fmt.Errorf("can't parse entities: unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			i += end + 1
			if strings.HasPrefix(tag, "/") {
				name := strings.ToLower(strings.TrimSpace(tag[1:]))
				if len(stack) == 0 || stack[len(stack)-1].tag != name {
					return "", nil, fmt.Errorf("can't parse entities: unmatched end tag %q", name)
				}
				o := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if pos > o.start {
					e := models.MessageEntity{Type: allowedTags[name], Offset: o.start, Length: pos - o.start}
					if name == "a" {
						e.URL = o.url
					}
					ents = append(ents, e)
				}
				continue
			}
			name, attrs, _ := strings.Cut(tag, " ")
			name = strings.ToLower(name)
			if _, ok := allowedTags[name]; !ok {
				return "", nil, fmt.Errorf("can't parse entities: unsupported start tag %q", name)
			}
			o := open{tag: name, start: pos}
			if name == "a" {
				href, ok := attr(attrs, "href")
				if !ok {
					return "", nil, fmt.Errorf("can't parse entities: <a> without href")
				}
				u, err := unescape(href)
				if err != nil {
					return "", nil, err
				}
				o.url = u
			}
			stack = append(stack, o)
		case '>':
			return "", nil, fmt.Errorf("can't parse entities: unescaped '>' at byte offset %d", i)
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || end > 10 {
				return "", nil, fmt.Errorf("can't parse entities: unescaped '&' at byte offset %d", i)
			}
			r, err := unescape(s[i : i+end+1])
			if err != nil {
				return "", nil, err
			}
			write(r)
			i += end + 1
		default:
			j := strings.IndexAny(s[i:], "<>&")
			if j < 0 {
				j = len(s) - i
			}
			write(s[i : i+j])
			i += j
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("can't parse entities: unclosed tag %q", stack[len(stack)-1].tag)
	}
	text := out.String()
	ents = append(ents, detect(text)...)
	return text, ents, nil
}

func attr(attrs, name string) (string, bool) {
	for _, a := range splitAttrs(attrs) {
		k, v, ok := strings.Cut(a, "=")
		if !ok || strings.TrimSpace(k) != name {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		return v, true
	}
	return "", false
}

func splitAttrs(s string) []string {
	var out []string
	var cur strings.Builder
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
			cur.WriteByte(c)
		case c == ' ':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// unescape decodes the entities Telegram supports: &lt; &gt; &amp; &quot;
// and numeric ones.
func unescape(s string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '&' {
			if s[i] == '<' || s[i] == '>' {
				return "", fmt.Errorf("can't parse entities: unescaped %q in attribute", s[i])
			}
			out.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i:], ';')
		if end < 0 {
			return "", fmt.Errorf("can't parse entities: unescaped '&'")
		}
		name := s[i+1 : i+end]
		switch {
		case name == "lt":
			out.WriteByte('<')
		case name == "gt":
			out.WriteByte('>')
		case name == "amp":
			out.WriteByte('&')
		case name == "quot":
			out.WriteByte('"')
		case strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X"):
			n, err := strconv.ParseInt(name[2:], 16, 32)
			if err != nil {
				return "", fmt.Errorf("can't parse entities: bad entity &%s;", name)
			}
			out.WriteRune(rune(n))
		case strings.HasPrefix(name, "#"):
			n, err := strconv.ParseInt(name[1:], 10, 32)
			if err != nil {
				return "", fmt.Errorf("can't parse entities: bad entity &%s;", name)
			}
			out.WriteRune(rune(n))
		default:
			return "", fmt.Errorf("can't parse entities: unsupported HTML entity &%s;", name)
		}
		i += end + 1
	}
	return out.String(), nil
}

// detect finds what Telegram links by itself in visible text: @mentions,
// /commands and http(s) URLs.
func detect(text string) []models.MessageEntity {
	var ents []models.MessageEntity
	runes := []rune(text)
	offsets := make([]int, len(runes)+1)
	for i, r := range runes {
		offsets[i+1] = offsets[i] + utf16.RuneLen(r)
	}
	word := func(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; i < len(runes); i++ {
		prevWord := i > 0 && (word(runes[i-1]) || runes[i-1] == '/')
		switch {
		case runes[i] == '@' && !prevWord:
			j := i + 1
			for j < len(runes) && (runes[j] == '_' || runes[j] < 128 && (unicode.IsLetter(runes[j]) || unicode.IsDigit(runes[j]))) {
				j++
			}
			if j-i-1 >= 3 {
				ents = append(ents, models.MessageEntity{Type: models.MessageEntityTypeMention, Offset: offsets[i], Length: offsets[j] - offsets[i]})
				i = j - 1
			}
		case runes[i] == '/' && !prevWord && i+1 < len(runes) && runes[i+1] < 128 && unicode.IsLetter(runes[i+1]):
			j := i + 1
			for j < len(runes) && (runes[j] == '_' || runes[j] == '@' || runes[j] < 128 && (unicode.IsLetter(runes[j]) || unicode.IsDigit(runes[j]))) {
				j++
			}
			ents = append(ents, models.MessageEntity{Type: models.MessageEntityTypeBotCommand, Offset: offsets[i], Length: offsets[j] - offsets[i]})
			i = j - 1
		case (runes[i] == 'h') && !prevWord && (strings.HasPrefix(string(runes[i:]), "http://") || strings.HasPrefix(string(runes[i:]), "https://")):
			j := i
			for j < len(runes) && !unicode.IsSpace(runes[j]) {
				j++
			}
			ents = append(ents, models.MessageEntity{Type: models.MessageEntityTypeURL, Offset: offsets[i], Length: offsets[j] - offsets[i]})
			i = j - 1
		}
	}
	return ents
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
