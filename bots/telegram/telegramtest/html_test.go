package telegramtest

import "testing"

func TestParseHTMLIsStrict(t *testing.T) {
	bad := []string{"a < b", "a > b", "fish & chips", "<b>open", "<script>x</script>", "<b>x</i>", "&nbsp;"}
	for _, s := range bad {
		if _, _, err := ParseHTML(s); err == nil {
			t.Errorf("ParseHTML(%q) accepted what Telegram refuses", s)
		}
	}
	text, ents, err := ParseHTML(`<b>hi</b> &lt;3 <a href="https://x.example/?a=1&amp;b=2">link</a> @admin /start`)
	if err != nil {
		t.Fatal(err)
	}
	if text != "hi <3 link @admin /start" {
		t.Errorf("visible text %q", text)
	}
	types := map[string]bool{}
	for _, e := range ents {
		types[string(e.Type)] = true
		if e.Type == "text_link" && e.URL != "https://x.example/?a=1&b=2" {
			t.Errorf("link URL %q", e.URL)
		}
	}
	for _, want := range []string{"bold", "text_link", "mention", "bot_command"} {
		if !types[want] {
			t.Errorf("no %s entity in %+v", want, ents)
		}
	}
}
