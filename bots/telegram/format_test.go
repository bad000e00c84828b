package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bots/telegram/telegramtest"
)

func TestBuyerTextIsEscapedAndCannotPing(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"html injection", `<b>free</b> <a href="tg://user?id=1">admin</a> & co`},
		{"mention", "hey @shop_admin and @everyone look"},
		{"bot command", "/pause shop-my please"},
		{"command mid-line", "type /sync_retry now"},
		{"entity lookalike", "5 &lt; 6 &amp; &#60;b&#62;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := buyer(tt.in)
			text, ents, err := telegramtest.ParseHTML(out.html)
			if err != nil {
				t.Fatalf("Telegram would refuse %q: %v", out.html, err)
			}
			if strings.ReplaceAll(text, wordJoiner, "") != tt.in {
				t.Errorf("visible text %q, want %q", text, tt.in)
			}
			if visibleLen(text) != out.vis {
				t.Errorf("visible length %d, computed %d", visibleLen(text), out.vis)
			}
			for _, e := range ents {
				switch e.Type {
				case models.MessageEntityTypeMention, models.MessageEntityTypeBotCommand, models.MessageEntityTypeTextLink, models.MessageEntityTypeBold:
					t.Errorf("buyer text produced a %s entity", e.Type)
				}
			}
		})
	}
}

func TestNeutralizeKeepsURLsAndEmails(t *testing.T) {
	for _, in := range []string{"https://shopee.com.my/item/1", "a/b", "2024/05/01"} {
		if got := neutralize(in); got != in {
			t.Errorf("neutralize(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("word ", 2000) + strings.Repeat("😀", 3000)
	chunks := splitText(long, 4000)
	if strings.Join(chunks, "") != strings.ReplaceAll(long, " ", "") && strings.Join(chunks, " ") != long {
		// Breaks at spaces drop the space; the text is otherwise intact.
		var total int
		for _, c := range chunks {
			total += len(c)
		}
		if total < len(long)-len(chunks) {
			t.Fatalf("chunks lost text: %d of %d bytes", total, len(long))
		}
	}
	for i, c := range chunks {
		if visibleLen(c) > 4000 {
			t.Errorf("chunk %d is %d units, over 4000", i, visibleLen(c))
		}
		if !utf8.ValidString(c) {
			t.Errorf("chunk %d was cut inside a rune", i)
		}
	}
	if got := splitText("short", 4000); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text split into %q", got)
	}
}

func TestTrimVisible(t *testing.T) {
	s := strings.Repeat("ñ😀", 100)
	got := trimVisible(s, 128)
	if visibleLen(got) > 128 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("trimVisible gave %d units, valid %v: %q", visibleLen(got), utf8.ValidString(got), got)
	}
}

func TestSafeURL(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://cf.shopee.sg/file/abc": true,
		"http://example.com/x":          true,
		"tg://user?id=1":                false,
		"javascript:alert(1)":           false,
		"":                              false,
		"//no-scheme.example":           false,
	} {
		if _, got := safeURL(in); got != ok {
			t.Errorf("safeURL(%q) = %v, want %v", in, got, ok)
		}
	}
	if got := link(`https://x.example/?a=1&b="2"`, "x"); got != `<a href="https://x.example/?a=1&amp;b=&quot;2&quot;">x</a>` {
		t.Errorf("link escaped as %s", got)
	}
}
