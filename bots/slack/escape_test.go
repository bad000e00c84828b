package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeTextDefusesInjection(t *testing.T) {
	tests := []struct{ in, forbidden string }{
		{"<!channel> refund now", "<!channel>"},
		{"hey <!here>", "<!here>"},
		{"ping <@U123ABC>", "<@U123ABC>"},
		{"pay at <http://evil.example|bank.com>", "<http://evil.example|bank.com>"},
		{"<#C123|general>", "<#C123"},
		{"<!subteam^S123>", "<!subteam"},
	}
	for _, tt := range tests {
		got := escapeText(tt.in)
		if strings.Contains(got, tt.forbidden) || strings.ContainsAny(got, "<>") {
			t.Errorf("escapeText(%q) = %q still contains markup", tt.in, got)
		}
	}
	if got := escapeText("a & b"); got != "a &amp; b" {
		t.Errorf("ampersand: got %q", got)
	}
	if got := escapeText("@channel and @here"); strings.Contains(got, "@channel") || strings.Contains(got, "@here") {
		t.Errorf("plain broadcast words survive: %q", got)
	}
}

func TestSplitTextKeepsEverythingAndEntities(t *testing.T) {
	text := escapeText(strings.Repeat("fish & chips <3 ", 500))
	parts := splitText(text, 300)
	if len(parts) < 2 {
		t.Fatalf("expected a split, got %d part(s)", len(parts))
	}
	if strings.Join(parts, "") != text {
		t.Fatalf("splitting lost or changed text")
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > 300 {
			t.Errorf("part %d has %d characters, limit 300", i, n)
		}
		if strings.HasSuffix(p, "&") || strings.HasSuffix(p, "&am") || strings.HasSuffix(p, "&l") {
			t.Errorf("part %d ends inside an entity: %q", i, p[len(p)-5:])
		}
	}
	long := strings.Repeat("字", 7000)
	parts = splitText(long, 3000)
	if len(parts) != 3 || strings.Join(parts, "") != long {
		t.Fatalf("multi-byte text split into %d parts or changed", len(parts))
	}
}

func TestPlainTextFromSlackMarkup(t *testing.T) {
	names := func(id string) string {
		if id == "U1" {
			return "Ana"
		}
		return ""
	}
	tests := []struct{ in, want string }{
		{"Hello &amp; welcome", "Hello & welcome"},
		{"5 &lt; 6 &gt; 4", "5 < 6 > 4"},
		{"see <https://shop.example/item/1>", "see https://shop.example/item/1"},
		{"see <https://shop.example/x|our shop>", "see our shop (https://shop.example/x)"},
		{"ask <@U1>", "ask @Ana"},
		{"ask <@U2>", "ask @U2"},
		{"<mailto:a@b.c|a@b.c>", "a@b.c"},
		{"<!here> hi", "@here hi"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in, names); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://shopee.com.my/item?a=1&b=2", "https://shopee.com.my/item?a=1&amp;b=2"},
		{"javascript:alert(1)", ""},
		{"https://x.example/a|b>c", "https://x.example/a%7Cb%3Ec"},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := safeURL(tt.in); got != tt.want {
			t.Errorf("safeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
