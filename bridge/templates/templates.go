// Package templates is the quick reply templates: admins keep named texts,
// with optional variants per site (the language differs by site) and per
// store; an agent's thread reply "!name [more text]" is expanded to the
// most specific variant for the conversation's store (store, then site,
// then default) with the more text appended, and goes through the outbox as
// usual. "!!text" sends "!text" as written. Each variant is a row of the
// bridge.TemplateStore. cmd registers the Book with the engine, to which it
// is a bridge.ReplyExpander and the `template` commands.
//
// It imports bridge and nothing else of the project.
package templates

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/shopbridge/shopbridge/bridge"
)

const (
	templateMaxRunes   = 3000
	templateListRunes  = 80
	templateNameSyntax = "1 to 32 lowercase letters, digits, - or _"
)

var templateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// templateVariant is one text of a template.
type templateVariant struct {
	Text string
	By   string
	At   time.Time
}

// templateSet is a template with its variants.
type templateSet struct {
	Default *templateVariant
	Sites   map[string]templateVariant
	Stores  map[bridge.StoreID]templateVariant
}

// has reports whether the template has a variant for sc.
func (t *templateSet) has(sc templateScope) bool {
	switch {
	case sc.store != "":
		_, ok := t.Stores[sc.store]
		return ok
	case sc.site != "":
		_, ok := t.Sites[sc.site]
		return ok
	}
	return t.Default != nil
}

// pick returns the most specific variant for store.
func (t *templateSet) pick(s bridge.Store) (templateVariant, bool) {
	if v, ok := t.Stores[s.ID]; ok {
		return v, true
	}
	if v, ok := t.Sites[strings.ToUpper(s.Site)]; ok && s.Site != "" {
		return v, true
	}
	if t.Default != nil {
		return *t.Default, true
	}
	return templateVariant{}, false
}

// templateScope says which variant a command means.
type templateScope struct {
	site  string
	store bridge.StoreID
}

func (sc templateScope) String() string {
	switch {
	case sc.store != "":
		return "store " + string(sc.store)
	case sc.site != "":
		return "site " + sc.site
	}
	return "default"
}

// Deps are what the template book runs on.
type Deps struct {
	State bridge.TemplateStore
	// Store finds a configured store (the engine's list: it may change).
	Store  func(bridge.StoreID) (bridge.Store, bool)
	Clock  bridge.Clock
	Logger *slog.Logger
}

// Book is the quick reply templates: the `template` commands and
// the expansion of an agent's "!name" reply. Register it with the engine.
type Book struct {
	state bridge.TemplateStore
	store func(bridge.StoreID) (bridge.Store, bool)
	clock bridge.Clock
	log   *slog.Logger
	mu    sync.Mutex // serialises a check of the book and its change
}

var _ bridge.ReplyExpander = (*Book)(nil)

// New builds the template book.
func New(d Deps) *Book {
	if d.Clock == nil {
		d.Clock = bridge.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Book{state: d.State, store: d.Store, clock: d.Clock, log: d.Logger}
}

// load reads the whole book.
func (t *Book) load(ctx context.Context) (map[string]*templateSet, error) {
	rows, err := t.state.Templates(ctx)
	if err != nil {
		return nil, err
	}
	book := map[string]*templateSet{}
	for _, row := range rows {
		set := book[row.Name]
		if set == nil {
			set = &templateSet{}
			book[row.Name] = set
		}
		v := templateVariant{Text: row.Text, By: row.By, At: row.At}
		switch {
		case row.Store != "":
			if set.Stores == nil {
				set.Stores = map[bridge.StoreID]templateVariant{}
			}
			set.Stores[row.Store] = v
		case row.Site != "":
			if set.Sites == nil {
				set.Sites = map[string]templateVariant{}
			}
			set.Sites[row.Site] = v
		default:
			set.Default = &v
		}
	}
	return book, nil
}

// loadForCommand reads the book for a command; when it cannot, it says so
// in the answer and the log.
func (t *Book) loadForCommand(ctx context.Context) (map[string]*templateSet, bridge.CommandResponse, bool) {
	book, err := t.load(ctx)
	if err != nil {
		t.log.Error("could not read the quick reply templates", "err", err)
		return nil, bridge.CommandResponse{Text: "Could not read the templates. The system has logged the error.", Error: true}, false
	}
	return book, bridge.CommandResponse{}, true
}

// ExpandReply expands an agent's "!name [more text]" reply to the
// template's most specific variant for the store.
func (t *Book) ExpandReply(ctx context.Context, store bridge.Store, text string) (string, string, error) {
	if !strings.HasPrefix(text, "!") {
		return text, "", nil
	}
	if strings.HasPrefix(text, "!!") {
		return text[1:], "", nil
	}
	ref, tail := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		ref, tail = text[:i], text[i:]
	}
	name := strings.ToLower(ref[1:])
	if !templateName.MatchString(name) {
		return text, "", nil // "!" and then no template name: an ordinary reply
	}
	book, err := t.load(ctx)
	if err != nil {
		t.log.Error("could not read the quick reply templates", "err", err)
		return "", "Could not read the quick reply templates, so nothing was sent to the buyer. Try again, or write the reply out.", nil
	}
	set, ok := book[name]
	if !ok {
		return "", fmt.Sprintf("No quick reply template %q, so nothing was sent to the buyer. %s", "!"+name, templateNames(book)), nil
	}
	v, ok := set.pick(store)
	if !ok {
		return "", fmt.Sprintf("Template %q has no text for %s (site %s) and no default, so nothing was sent to the buyer.",
			"!"+name, store.ID, store.Site), nil
	}
	out := v.Text
	if more := strings.TrimSpace(tail); more != "" {
		sep := " "
		if lead := tail[:len(tail)-len(strings.TrimLeftFunc(tail, unicode.IsSpace))]; strings.Contains(lead, "\n") {
			sep = "\n"
		}
		out += sep + more
	}
	return out, "", nil
}

func templateNames(book map[string]*templateSet) string {
	if len(book) == 0 {
		return "There are no templates yet; admins add them with `template add <name> <text>`."
	}
	names := make([]string, 0, len(book))
	for n := range book {
		names = append(names, "!"+n)
	}
	sort.Strings(names)
	return "Templates: " + strings.Join(names, ", ") + "."
}

// cutWords splits the first n whitespace-separated words off s and returns
// them and the rest, whose inner spacing and line breaks are kept.
func cutWords(s string, n int) ([]string, string) {
	var words []string
	for len(words) < n {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		i := strings.IndexFunc(s, unicode.IsSpace)
		if i < 0 {
			words, s = append(words, s), ""
			break
		}
		words, s = append(words, s[:i]), s[i:]
	}
	return words, strings.TrimSpace(s)
}

var siteCode = regexp.MustCompile(`^[A-Z]{2}$`)

// parseScope reads an optional --site XX / --store ID (or --flag=value)
// from the front of rest.
func (t *Book) parseScope(rest string) (templateScope, string, error) {
	var sc templateScope
	for {
		w, after := cutWords(rest, 1)
		if len(w) == 0 || !strings.HasPrefix(w[0], "--") {
			return sc, rest, nil
		}
		flag, val, hasVal := strings.Cut(strings.TrimPrefix(w[0], "--"), "=")
		if !hasVal {
			var v []string
			v, after = cutWords(after, 1)
			if len(v) == 0 {
				return sc, "", fmt.Errorf("--%s needs a value", flag)
			}
			val = v[0]
		}
		switch strings.ToLower(flag) {
		case "site":
			val = strings.ToUpper(val)
			if !siteCode.MatchString(val) {
				return sc, "", fmt.Errorf("--site %s is not a site code like MY or SG", val)
			}
			sc.site = val
		case "store":
			if _, ok := t.store(bridge.StoreID(val)); !ok {
				return sc, "", fmt.Errorf("no store %q (run `stores` to see the store IDs)", val)
			}
			sc.store = bridge.StoreID(val)
		default:
			return sc, "", fmt.Errorf("unknown option --%s (use --site XX or --store ID)", flag)
		}
		if sc.site != "" && sc.store != "" {
			return sc, "", errors.New("give --site or --store, not both")
		}
		rest = after
	}
}

// Commands are `template add`, `template list` and `template remove`.
func (t *Book) Commands() []bridge.Command {
	const addUsage = "Usage: template add <name> [--site XX | --store ID] <text>"
	return []bridge.Command{{Name: "template add", Args: "<name> [--site XX | --store ID] <text>", Permission: bridge.AdminOnly,
		Help: "add or replace a quick reply template (agents reply !name in a thread)",
		Run: func(ctx context.Context, req bridge.CommandRequest, _ []string) bridge.CommandResponse {
			_, rest := cutWords(strings.TrimPrefix(strings.TrimSpace(req.Text), "/"), 2)
			w, rest := cutWords(rest, 1)
			if len(w) == 0 {
				return bridge.CommandResponse{Text: addUsage, Error: true}
			}
			name := strings.ToLower(strings.TrimPrefix(w[0], "!"))
			if !templateName.MatchString(name) {
				return bridge.CommandResponse{Text: fmt.Sprintf("%q is not a template name: use %s.", w[0], templateNameSyntax), Error: true}
			}
			sc, text, err := t.parseScope(rest)
			if err != nil {
				return bridge.CommandResponse{Text: err.Error() + ". " + addUsage, Error: true}
			}
			if text == "" {
				return bridge.CommandResponse{Text: "The template needs a text. " + addUsage, Error: true}
			}
			if n := len([]rune(text)); n > templateMaxRunes {
				return bridge.CommandResponse{Text: fmt.Sprintf("The text is %d characters; templates hold at most %d.", n, templateMaxRunes), Error: true}
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			book, failed, ok := t.loadForCommand(ctx)
			if !ok {
				return failed
			}
			verb := "added"
			if set := book[name]; set != nil && set.has(sc) {
				verb = "replaced"
			}
			v := bridge.Template{Name: name, Site: sc.site, Store: sc.store, Text: text, By: cmp.Or(req.UserName, req.UserID), At: t.clock.Now()}
			if err := t.state.SaveTemplate(ctx, v); err != nil {
				t.log.Error("could not save the quick reply templates", "err", err)
				return bridge.CommandResponse{Text: "Could not save the template. The system has logged the error.", Error: true}
			}
			return bridge.CommandResponse{Text: fmt.Sprintf("Template !%s %s (%s). Agents send it by replying !%s in a thread.", name, verb, sc, name)}
		}}, {Name: "template list", Help: "list the quick reply templates and their variants",
		Run: func(ctx context.Context, req bridge.CommandRequest, _ []string) bridge.CommandResponse {
			book, failed, ok := t.loadForCommand(ctx)
			if !ok {
				return failed
			}
			return bridge.CommandResponse{Text: formatTemplates(book)}
		}}, {Name: "template remove", Args: "<name> [--site XX | --store ID]", Permission: bridge.AdminOnly,
		Help: "remove a template (with every variant), or only one variant",
		Run: func(ctx context.Context, req bridge.CommandRequest, _ []string) bridge.CommandResponse {
			_, rest := cutWords(strings.TrimPrefix(strings.TrimSpace(req.Text), "/"), 2)
			w, rest := cutWords(rest, 1)
			if len(w) == 0 {
				return bridge.CommandResponse{Text: "Usage: template remove <name> [--site XX | --store ID]", Error: true}
			}
			name := strings.ToLower(strings.TrimPrefix(w[0], "!"))
			sc, extra, err := t.parseScope(rest)
			if err != nil {
				return bridge.CommandResponse{Text: err.Error() + ".", Error: true}
			}
			if extra != "" {
				return bridge.CommandResponse{Text: "Usage: template remove <name> [--site XX | --store ID]", Error: true}
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			book, failed, ok := t.loadForCommand(ctx)
			if !ok {
				return failed
			}
			set, ok := book[name]
			if !ok {
				return bridge.CommandResponse{Text: fmt.Sprintf("No template !%s. %s", name, templateNames(book)), Error: true}
			}
			what := "with all its variants"
			if sc != (templateScope{}) {
				if !set.has(sc) {
					return bridge.CommandResponse{Text: fmt.Sprintf("Template !%s has no %s variant.", name, sc), Error: true}
				}
				what = "variant for " + sc.String()
				err = t.state.DeleteTemplateVariant(ctx, name, sc.site, sc.store)
			} else {
				err = t.state.DeleteTemplate(ctx, name)
			}
			if err != nil {
				t.log.Error("could not save the quick reply templates", "err", err)
				return bridge.CommandResponse{Text: "Could not save the templates. The system has logged the error.", Error: true}
			}
			return bridge.CommandResponse{Text: fmt.Sprintf("Template !%s removed (%s).", name, what)}
		}}}
}

// formatTemplates lists the templates with their variants, texts shortened.
func formatTemplates(book map[string]*templateSet) string {
	if len(book) == 0 {
		return "No quick reply templates yet. Admins add one with `template add <name> <text>` (variants: --site XX, --store ID)."
	}
	names := make([]string, 0, len(book))
	for n := range book {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Quick reply templates (reply !name in a thread; text after the name is appended):\n")
	line := func(scope string, v templateVariant) {
		fmt.Fprintf(&b, "    %s: %s\n", scope, shorten(v.Text, templateListRunes))
	}
	for _, n := range names {
		set := book[n]
		fmt.Fprintf(&b, "!%s\n", n)
		if set.Default != nil {
			line("default", *set.Default)
		}
		for _, site := range sortedMapKeys(set.Sites) {
			line("site "+site, set.Sites[site])
		}
		for _, id := range sortedMapKeys(set.Stores) {
			line("store "+string(id), set.Stores[id])
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func sortedMapKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// shorten puts a text on one line, cut to n runes with an ellipsis.
func shorten(text string, n int) string {
	r := []rune(strings.Join(strings.Fields(text), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
