package telegram

import (
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

// plan lays out msgs (oldest first) as few posts as the text limit allows.
// A lone image becomes a photo; in a combined post images are links and the
// first one is previewed. prefix is put at the start of every post (the
// reply-chain marker); lead at the top of the first (a new topic's header,
// in a photo's caption when the first post is a photo).
func (r renderer) plan(h bridge.ThreadHeader, msgs []bridge.Message, prefix, lead htmlText) []post {
	budget := maxTextLen
	if prefix.vis > 0 {
		budget -= prefix.vis + 1
	}
	combined := len(msgs) > 1
	var posts []post
	cur := post{text: lead}
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
	for i, m := range msgs {
		head := r.head(h, m, combined)
		if !combined && m.Kind == bridge.KindImage {
			if u, ok := safeURL(m.URL); ok {
				// The lead (all cur holds yet) rides in the caption.
				lead := cur.text
				cur = post{}
				ph := post{photo: u}
				caption := concat("\n\n", lead, head)
				body := buyer(m.Text)
				if m.Text != "" && caption.vis+1+body.vis <= maxCaptionLen {
					caption = concat("\n", caption, body)
					body = htmlText{}
				}
				ph.text = caption
				ph.fallback = concat("\n\n", lead, concat("\n", head, concat(" ", plain("🖼"), anchor(u, "Photo (Telegram could not load it)"))))
				if body.vis > 0 {
					ph.fallback = concat("\n", ph.fallback, body)
				}
				addMsg(&ph, i)
				posts = append(posts, ph)
				if m.Text != "" && body.vis > 0 {
					for _, c := range splitText(m.Text, budget-chunkMargin) {
						t := buyer(c)
						if cur.text.vis > 0 && cur.text.vis+1+t.vis > budget {
							flush()
						}
						cur.text = concat("\n", cur.text, t)
						addMsg(&cur, i)
					}
					flush()
				}
				continue
			}
		}
		for _, u := range r.units(i, h, m, head, combined, budget) {
			sep := "\n"
			if u.first {
				sep = "\n\n"
			}
			if cur.text.vis > 0 && cur.text.vis+visibleLen(sep)+u.body.vis > budget {
				flush()
			}
			cur.text = concat(sep, cur.text, u.body)
			addMsg(&cur, i)
			if cur.preview == "" && combined && m.Kind == bridge.KindImage {
				if su, ok := safeURL(m.URL); ok {
					cur.preview = su
				}
			}
		}
	}
	flush()
	if prefix.vis > 0 {
		for i := range posts {
			posts[i].text = concat(" ", prefix, posts[i].text)
			if posts[i].photo != "" {
				posts[i].fallback = concat(" ", prefix, posts[i].fallback)
			}
		}
	}
	return posts
}

// units renders one message as its head, a short lead (media link, card)
// and its text split into chunks that fit a post.
func (r renderer) units(i int, h bridge.ThreadHeader, m bridge.Message, head htmlText, combined bool, budget int) []unit {
	lead := r.lead(h, m)
	first := concat("\n", head, lead)
	if m.Text == "" {
		if lead.vis == 0 {
			first = concat("\n", head, italic("(empty message)"))
		}
		return []unit{{msg: i, first: true, body: first}}
	}
	chunks := splitText(m.Text, budget-first.vis-chunkMargin)
	out := make([]unit, 0, len(chunks))
	for j, c := range chunks {
		if j == 0 {
			out = append(out, unit{msg: i, first: true, body: concat("\n", first, buyer(c))})
			continue
		}
		out = append(out, unit{msg: i, body: buyer(c)})
	}
	return out
}

// head is the line that says who wrote a message (and, in a combined post,
// when).
func (r renderer) head(h bridge.ThreadHeader, m bridge.Message, combined bool) htmlText {
	name := m.SenderName
	var out htmlText
	switch m.Sender {
	case bridge.SenderSeller:
		if name == "" {
			name = "Seller"
		}
		out = concat(" ", plain("🏪"), wrap("b", buyer(trimVisible(name, maxNameLen))), plain("·"), italic("sent from Seller Centre"))
	case bridge.SenderSystem:
		if name == "" {
			name = "Marketplace notice"
		}
		out = concat(" ", plain("ℹ️"), wrap("i", buyer(trimVisible(name, maxNameLen))))
	default:
		if name == "" {
			name = h.BuyerName
		}
		if name == "" {
			name = "Buyer"
		}
		out = concat(" ", plain("👤"), wrap("b", buyer(trimVisible(name, maxNameLen))))
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
	case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher:
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
