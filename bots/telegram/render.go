package telegram

import (
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// post is one sendMessage or sendPhoto call carrying one or more buyer
// messages (or a part of a long one).
type post struct {
	// text is the message text, or the caption when photo is set.
	text htmlText
	// photo is a URL sent with sendPhoto.
	photo string
	// fallback is posted instead when Telegram cannot fetch the photo.
	fallback htmlText
	// preview is the URL to preview (an image in a combined post); empty
	// disables link previews, so buyer links never unfold into cards.
	preview string
	// msgs are the indexes of the messages with a part in this post.
	msgs []int
	// tail is what the post starts with of a message begun in an earlier
	// post (the end of a long one), before any message of its own begins;
	// begun is set once one does.
	tail  htmlText
	begun bool
}

// unit is an indivisible part of a post: a message's head with the first
// chunk of its body, or a further chunk of a long body.
type unit struct {
	msg   int
	first bool
	body  htmlText
}

// renderer turns marketplace messages into posts.
type renderer struct {
	loc *time.Location
}

// Caps that keep a message's head short, so a body chunk always fits.
const (
	maxNameLen  = 64
	maxTitleLen = 300
	chunkMargin = 800
)

// planOpts are the options of planWith.
type planOpts struct {
	// prefix is put at the start of every post (the reply-chain marker).
	prefix htmlText
	// lead is put at the top of the first post (a new topic's header, in a
	// photo's caption when the first post is a photo; or, to lay a post out
	// again, the tail it started with).
	lead htmlText
	// combined lays the posts out as a batch of several messages (times in
	// the heads, images as links) even when msgs is one message: a post is
	// laid out again as the batch it was part of.
	combined bool
	// budget is the most a post's text may hold (0: maxTextLen).
	budget int
}

// plan lays out msgs (oldest first) as few posts as the text limit allows.
// A lone image becomes a photo; in a combined post images are links and the
// first one is previewed. prefix is put at the start of every post (the
// reply-chain marker); lead at the top of the first (a new topic's header,
// in a photo's caption when the first post is a photo).
func (r renderer) plan(h bridge.ThreadHeader, msgs []bridge.Message, prefix, lead htmlText) []post {
	return r.planWith(h, msgs, planOpts{prefix: prefix, lead: lead})
}

// planWith is plan with every option.
func (r renderer) planWith(h bridge.ThreadHeader, msgs []bridge.Message, o planOpts) []post {
	budget := maxTextLen
	if o.budget > 0 {
		budget = o.budget
	}
	if o.prefix.vis > 0 {
		budget -= o.prefix.vis + 1
	}
	combined := len(msgs) > 1 || o.combined
	var posts []post
	cur := post{text: o.lead}
	flush := func() {
		if cur.text.vis > 0 || cur.text.html != "" {
			posts = append(posts, cur)
		}
		cur = post{}
	}
	addMsg := func(p *post, i int) {
		if n := len(p.msgs); n == 0 || p.msgs[n-1] != i {
			p.msgs = append(p.msgs, i)
		}
	}
	// more adds a further piece of message i (not its start) to cur.
	more := func(i int, t htmlText) {
		if cur.text.vis > 0 && cur.text.vis+1+t.vis > budget {
			flush()
		}
		cur.text = concat("\n", cur.text, t)
		if !cur.begun {
			cur.tail = concat("\n", cur.tail, t)
		}
		addMsg(&cur, i)
	}
	for i, m := range msgs {
		head := r.head(h, m, combined)
		if !combined && m.Kind == bridge.KindImage {
			if u, ok := safeURL(m.URL); ok {
				// The lead (all cur holds yet) rides in the caption, then
				// as much of the message's body as fits, in order.
				lead := cur.text
				cur = post{}
				ph := post{photo: u, begun: true}
				top := concat("\n", head, recallLine(m))
				body := r.body(h, m, budget-chunkMargin)
				caption := concat("\n\n", lead, top)
				in := 0
				for in < len(body) && caption.vis+1+body[in].vis <= maxCaptionLen {
					caption = concat("\n", caption, body[in])
					in++
				}
				ph.text = caption
				ph.fallback = concat("\n\n", lead, concat("\n", append([]htmlText{top, concat(" ", plain("🖼"), anchor(u, "Photo (Telegram could not load it)"))}, body[:in]...)...))
				addMsg(&ph, i)
				posts = append(posts, ph)
				if in < len(body) {
					for _, t := range body[in:] {
						more(i, t)
					}
					flush()
				}
				continue
			}
		}
		for j, u := range r.units(i, h, m, head, budget) {
			if j > 0 {
				more(i, u.body)
				continue
			}
			if cur.text.vis > 0 && cur.text.vis+visibleLen("\n\n")+u.body.vis > budget {
				flush()
			}
			cur.text = concat("\n\n", cur.text, u.body)
			cur.begun = true
			addMsg(&cur, i)
			if cur.preview == "" && combined && m.Kind == bridge.KindImage {
				if su, ok := safeURL(m.URL); ok {
					cur.preview = su
				}
			}
		}
	}
	flush()
	if o.prefix.vis > 0 {
		for i := range posts {
			posts[i].text = concat(" ", o.prefix, posts[i].text)
			if posts[i].photo != "" {
				posts[i].fallback = concat(" ", o.prefix, posts[i].fallback)
			}
		}
	}
	return posts
}

// units renders one message as its head (with the recall notice and a
// short lead: media link, card) and the first piece of its body, then the
// further pieces of a body too long for one post.
func (r renderer) units(i int, h bridge.ThreadHeader, m bridge.Message, head htmlText, budget int) []unit {
	lead := r.lead(h, m)
	first := concat("\n", head, recallLine(m), lead)
	body := r.body(h, m, budget-first.vis-chunkMargin)
	if len(body) == 0 {
		if lead.vis == 0 {
			first = concat("\n", first, italic("(empty message)"))
		}
		return []unit{{msg: i, first: true, body: first}}
	}
	out := make([]unit, 0, len(body))
	for j, b := range body {
		if j == 0 {
			out = append(out, unit{msg: i, first: true, body: concat("\n", first, b)})
			continue
		}
		out = append(out, unit{msg: i, body: b})
	}
	return out
}

// body is a message's text, cut into pieces of at most limit, then what
// the marketplace adds to it: its translation (labelled) and the note of
// its safety check. A recalled message's text and translation are struck
// through: Telegram has no grey text, and strikethrough is an entity (it
// spans lines, and the escaped buyer text inside it needs no markup), so
// agents still read the original.
func (r renderer) body(h bridge.ThreadHeader, m bridge.Message, limit int) []htmlText {
	strike := func(t htmlText) htmlText {
		if m.Recalled {
			return wrap("s", t)
		}
		return t
	}
	var out []htmlText
	if m.Text != "" {
		for _, c := range splitText(m.Text, limit) {
			out = append(out, strike(buyer(c)))
		}
	}
	plat := platformLabel(h.Store.Platform)
	if tr := strings.TrimSpace(m.Translation); tr != "" {
		for j, c := range splitText(tr, limit) {
			t := strike(buyer(c))
			if j == 0 {
				t = concat(" ", italic("🌐 "+plat+" translation:"), t)
			}
			out = append(out, t)
		}
	}
	if m.SafetyNote != "" {
		line := bold("⛔ Blocked by " + plat + "'s safety check — only you can see it")
		note := strings.TrimSpace(m.SafetyNote)
		if note == "" {
			return append(out, line)
		}
		for j, c := range splitText(note, limit) {
			t := buyer(c)
			if j == 0 {
				t = concat("\n", line, t)
			}
			out = append(out, t)
		}
	}
	return out
}

// recallLine says that a message was withdrawn, and by whom (nothing for
// a message that was not).
func recallLine(m bridge.Message) htmlText {
	if !m.Recalled {
		return htmlText{}
	}
	by := "the buyer"
	switch m.Sender {
	case bridge.SenderSeller:
		by = "the seller"
	case bridge.SenderSystem:
		by = "the marketplace"
	}
	return concat(" ", plain("↩️"), bold("Recalled by "+by), plain("—"), italic("struck through below, kept for agents"))
}

// platformLabel is the marketplace's display name.
func platformLabel(p bridge.Platform) string {
	switch p {
	case bridge.PlatformShopee:
		return "Shopee"
	case bridge.PlatformLazada:
		return "Lazada"
	case bridge.PlatformTikTok:
		return "TikTok Shop"
	case "":
		return "Marketplace"
	}
	return string(p)
}

// head is the line that says who wrote a message (and, in a combined post,
// when). Seller messages were sent from Seller Centre or by the
// marketplace's auto-reply; system messages are the platform's notices,
// with the sender the marketplace names (TikTok's robot), if any.
func (r renderer) head(h bridge.ThreadHeader, m bridge.Message, combined bool) htmlText {
	name := m.SenderName
	plat := platformLabel(h.Store.Platform)
	var out htmlText
	switch m.Sender {
	case bridge.SenderSeller:
		if name == "" {
			name = "Seller"
		}
		if m.AutoReply {
			out = concat(" ", plain("🤖"), wrap("b", buyer(trimVisible(name, maxNameLen))), plain("·"), italic("auto-reply by "+plat))
			break
		}
		out = concat(" ", plain("🏪"), wrap("b", buyer(trimVisible(name, maxNameLen))), plain("·"), italic("sent from Seller Centre"))
	case bridge.SenderSystem:
		out = concat(" ", plain("ℹ️"), italic(plat+" notice"))
		if m.AutoReply {
			out = concat(" ", plain("🤖"), italic(plat+" auto-reply"))
		}
		if name != "" {
			out = concat(" · ", out, wrap("i", buyer(trimVisible(name, maxNameLen))))
		}
	default:
		if name == "" {
			name = h.BuyerName
		}
		if name == "" {
			name = "Buyer"
		}
		out = concat(" ", plain("👤"), wrap("b", buyer(trimVisible(name, maxNameLen))))
		if m.AutoReply {
			out = concat(" · ", out, italic("auto-reply"))
		}
	}
	if combined && !m.SentAt.IsZero() {
		out = concat(" · ", out, italic(m.SentAt.In(r.loc).Format("15:04")))
	}
	return out
}

// lead is what a message shows besides its text: a media link, a card or
// the placeholder of an unsupported type.
func (r renderer) lead(h bridge.ThreadHeader, m bridge.Message) htmlText {
	switch m.Kind {
	case bridge.KindText, "":
		return htmlText{}
	case bridge.KindImage:
		return mediaLine("🖼", m.URL, "Photo")
	case bridge.KindVideo:
		return mediaLine("🎬", m.URL, "Video")
	case bridge.KindSticker:
		return mediaLine("🏷", m.URL, "Sticker")
	case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher, bridge.KindRefund:
		return card(m)
	}
	typ := m.UnsupportedType
	if typ == "" {
		typ = string(m.Kind)
	}
	out := concat(" ", plain("⚠️"), wrap("i", concat("", plain("Unsupported message type “"), buyer(trimVisible(typ, maxNameLen)), plain("”: open the conversation in Seller Centre to see it."))))
	if _, ok := safeURL(h.Link); ok {
		out = concat("\n", out, anchor(h.Link, "Open in Seller Centre"))
	}
	return out
}

func mediaLine(icon, u, label string) htmlText {
	if _, ok := safeURL(u); ok {
		return concat(" ", plain(icon), anchor(u, label))
	}
	return concat(" ", plain(icon), plain(label))
}

// card renders a product, order or voucher as text lines.
func card(m bridge.Message) htmlText {
	c := m.Card
	if c == nil {
		c = &bridge.Card{}
	}
	label, id := "🎟 Voucher", c.Voucher
	switch m.Kind {
	case bridge.KindItem:
		label, id = "🛒 Product", c.ItemID
	case bridge.KindOrder:
		label, id = "📦 Order", c.OrderID
	case bridge.KindRefund:
		label, id = "💸 Return/refund request · order", c.OrderID
		if id == "" {
			label = "💸 Return/refund request"
		}
	}
	first := plain(label)
	if id != "" {
		first = concat(" ", first, wrap("code", buyer(trimVisible(id, maxNameLen))))
	}
	lines := []htmlText{first}
	if c.Title != "" {
		lines = append(lines, wrap("b", buyer(trimVisible(c.Title, maxTitleLen))))
	}
	if c.Price != "" {
		lines = append(lines, concat(" ", plain("💰"), buyer(trimVisible(c.Price, maxNameLen))))
	}
	if _, ok := safeURL(c.Link); ok {
		lines = append(lines, concat(" ", plain("🔗"), anchor(c.Link, "Open")))
	}
	return concat("\n", lines...)
}
