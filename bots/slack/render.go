package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// mrkdwn is a verbatim mrkdwn text object: Slack does not auto-link or
// auto-mention inside it, which matters for buyer text.
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// platformLabel is the marketplace's display name (escaped mrkdwn).
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
	return escapeInline(string(p), 40)
}

// senderLine says who wrote a message. Seller messages reaching a thread were
// sent outside the bridge (the bridge's own replies are never echoed): from
// Seller Centre, or by the marketplace's auto-reply. System messages
// (Lazada's and TikTok Shop's notices, TikTok's robot) are the platform's
// notices, with the sender the marketplace names, if any.
func senderLine(h bridge.ThreadHeader, m bridge.Message) string {
	plat := platformLabel(h.Store.Platform)
	switch m.Sender {
	case bridge.SenderSeller:
		name := "Seller"
		if m.SenderName != "" {
			name = escapeInline(m.SenderName, 80)
		}
		if m.AutoReply {
			return ":robot_face: *" + name + "* · _auto-reply by " + plat + "_"
		}
		return ":office: *" + name + "* · _sent from Seller Centre_"
	case bridge.SenderSystem:
		line := ":information_source: *" + plat + " notice*"
		if m.AutoReply {
			line = ":robot_face: *" + plat + " auto-reply*"
		}
		if m.SenderName != "" {
			line += " · " + escapeInline(m.SenderName, 80)
		}
		return line
	}
	name := m.SenderName
	if name == "" {
		name = h.BuyerName
	}
	if name == "" {
		name = "Buyer"
	}
	line := ":bust_in_silhouette: *" + escapeInline(name, 80) + "*"
	if m.AutoReply {
		line += " · _auto-reply_"
	}
	return line
}

// renderedMessage is one marketplace message ready to be laid out into
// posts (combine.go): the line naming its sender, its content blocks (text
// already escaped and split into sections within TextLimit) and a short
// plain summary for the notification text.
type renderedMessage struct {
	id     bridge.MessageID
	buyer  bool
	sender string
	blocks []slack.Block
	// summary is plain, unescaped text ("Bea Buyer: Is this in stock?").
	summary string
}

// renderMessage shows a marketplace message: text escaped and split,
// images as image blocks (or links), item/order/voucher cards with their
// name, price and number, and anything else as a placeholder naming the
// type. Nothing is dropped.
func (s *Surface) renderMessage(h bridge.ThreadHeader, m bridge.Message) renderedMessage {
	var blocks []slack.Block
	var fallback string
	addText := func(text string) {
		for _, chunk := range splitText(escapeText(text), s.cfg.TextLimit) {
			blocks = append(blocks, section(chunk))
		}
	}
	switch m.Kind {
	case bridge.KindText, "":
		if strings.TrimSpace(m.Text) == "" {
			blocks = append(blocks, section("_(empty message)_"))
			fallback = "(empty message)"
		} else {
			addText(m.Text)
			fallback = m.Text
		}
	case bridge.KindImage, bridge.KindSticker:
		what := "Image"
		if m.Kind == bridge.KindSticker {
			what = "Sticker"
		}
		u := rawURL(m.URL)
		switch {
		case u == "":
			blocks = append(blocks, section(fmt.Sprintf(":frame_with_picture: _[%s without a usable link — open the conversation in Seller Centre]_", what)))
		case s.cfg.ImagesAsLinks:
			blocks = append(blocks, section(":frame_with_picture: "+link(u, what)))
		default:
			blocks = append(blocks, slack.NewImageBlock(u, what+" from the conversation", "", nil))
		}
		if strings.TrimSpace(m.Text) != "" {
			addText(m.Text)
		}
		fallback = "[" + strings.ToLower(what) + "] " + m.Text
	case bridge.KindVideo:
		blocks = append(blocks, section(":film_frames: "+link(m.URL, "Video")))
		if strings.TrimSpace(m.Text) != "" {
			addText(m.Text)
		}
		fallback = "[video] " + m.Text
	case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher, bridge.KindRefund:
		blocks = append(blocks, renderCard(m))
		if m.Text != "" && (m.Card == nil || m.Text != m.Card.Title) {
			addText(m.Text)
		}
		fallback = "[" + string(m.Kind) + "] " + cardSummary(m)
	default:
		typ := m.UnsupportedType
		if typ == "" {
			typ = string(m.Kind)
		}
		text := fmt.Sprintf(":grey_question: _Unsupported message type_ `%s` _— open it in Seller Centre to see it._", escapeCode(typ))
		if l := link(h.Link, "Open in Seller Centre"); l != "Open in Seller Centre" {
			text += " " + l
		}
		blocks = append(blocks, section(text))
		if strings.TrimSpace(m.Text) != "" {
			addText(m.Text)
		}
		fallback = "[unsupported message: " + typ + "]"
	}
	if tr := strings.TrimSpace(m.Translation); tr != "" {
		label := ":globe_with_meridians: _" + platformLabel(h.Store.Platform) + " translation:_ "
		for _, chunk := range splitText(label+escapeText(tr), s.cfg.TextLimit) {
			blocks = append(blocks, section(chunk))
		}
	}
	if m.Recalled {
		blocks = append([]slack.Block{section(recallLine(m))}, greyed(blocks)...)
		fallback = "(recalled) " + fallback
	}
	if m.SafetyNote != "" {
		text := ":no_entry: *Blocked by " + platformLabel(h.Store.Platform) + "'s safety check — only you can see it*"
		if note := strings.TrimSpace(m.SafetyNote); note != "" {
			text += "\n" + escapeText(note)
		}
		for _, chunk := range splitText(text, s.cfg.TextLimit) {
			blocks = append(blocks, section(chunk))
		}
	}
	return renderedMessage{
		id:      m.ID,
		buyer:   m.Sender == bridge.SenderBuyer,
		sender:  senderLine(h, m),
		blocks:  blocks,
		summary: truncate(senderPlain(h, m)+": "+fallback, fallbackRunes),
	}
}

// recallLine says that a message was withdrawn, and by whom.
func recallLine(m bridge.Message) string {
	by := "the buyer"
	switch m.Sender {
	case bridge.SenderSeller:
		by = "the seller"
	case bridge.SenderSystem:
		by = "the marketplace"
	}
	return ":leftwards_arrow_with_hook: *Recalled by " + by + "* · _the original is kept below, greyed_"
}

// greyed shows a recalled message's content as context blocks: Slack draws
// them small and grey, so the original stays readable for agents but no
// longer reads as a live message. (Strikethrough, ~text~, would be parsed
// from the buyer's own text, breaks at every line and at every ~ the buyer
// typed; a context block needs no markup around the escaped text.) Images
// become links, a card's image accessory is dropped.
func greyed(blocks []slack.Block) []slack.Block {
	out := make([]slack.Block, 0, len(blocks))
	for _, b := range blocks {
		switch v := b.(type) {
		case *slack.SectionBlock:
			if v.Text != nil {
				out = append(out, contextLine(v.Text.Text))
			}
		case *slack.ImageBlock:
			out = append(out, contextLine(":frame_with_picture: "+link(v.ImageURL, "Image")))
		default:
			out = append(out, b)
		}
	}
	return out
}

func senderPlain(h bridge.ThreadHeader, m bridge.Message) string {
	switch m.Sender {
	case bridge.SenderSeller:
		if m.AutoReply {
			return "Seller (auto-reply)"
		}
		return "Seller (Seller Centre)"
	case bridge.SenderSystem:
		return "Notice"
	}
	if m.SenderName != "" {
		return m.SenderName
	}
	if h.BuyerName != "" {
		return h.BuyerName
	}
	return "Buyer"
}

func truncate(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// renderCard shows a product, order or voucher.
func renderCard(m bridge.Message) slack.Block {
	c := m.Card
	if c == nil {
		c = &bridge.Card{}
	}
	var lines []string
	title := escapeInline(c.Title, 200)
	if title != "" && c.Link != "" {
		title = link(c.Link, title)
	}
	switch m.Kind {
	case bridge.KindItem:
		line := ":shopping_bags: *Product*"
		if title != "" {
			line += ": " + title
		}
		lines = append(lines, line)
		if c.Price != "" {
			lines = append(lines, "*Price:* "+escapeInline(c.Price, 60))
		}
		if c.ItemID != "" {
			lines = append(lines, "Item ID `"+escapeCode(c.ItemID)+"`")
		}
	case bridge.KindOrder:
		line := ":package: *Order*"
		if c.OrderID != "" {
			line += " `" + escapeCode(c.OrderID) + "`"
		}
		lines = append(lines, line)
		if title != "" {
			lines = append(lines, title)
		}
		if c.Price != "" {
			lines = append(lines, "*Total:* "+escapeInline(c.Price, 60))
		}
	case bridge.KindRefund:
		line := ":money_with_wings: *Return/refund request*"
		if c.OrderID != "" {
			line += " · order `" + escapeCode(c.OrderID) + "`"
		}
		lines = append(lines, line)
		if title != "" {
			lines = append(lines, title)
		}
		if c.Price != "" {
			lines = append(lines, "*Amount:* "+escapeInline(c.Price, 60))
		}
	case bridge.KindVoucher:
		line := ":ticket: *Voucher*"
		if c.Voucher != "" {
			line += " `" + escapeCode(c.Voucher) + "`"
		}
		lines = append(lines, line)
		if title != "" {
			lines = append(lines, title)
		}
		if c.Price != "" {
			lines = append(lines, "*Value:* "+escapeInline(c.Price, 60))
		}
	}
	if m.Card == nil {
		lines = append(lines, "_(no details: open the conversation in Seller Centre)_")
	}
	var acc *slack.Accessory
	if u := rawURL(c.ImageURL); u != "" {
		acc = slack.NewAccessory(slack.NewImageBlockElement(u, "Product image"))
	}
	return slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, acc)
}

func cardSummary(m bridge.Message) string {
	c := m.Card
	if c == nil {
		return ""
	}
	parts := []string{}
	for _, v := range []string{c.OrderID, c.Voucher, c.Title, c.Price} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " · ")
}
