package slack

import (
	"fmt"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// Limits of one post besides MaxBlocks (≤ 50 blocks) and TextLimit (≤ 3,000
// characters per section).
const (
	// postTextBudget is the most text (every text of every block, plus image
	// URLs) one post carries. Slack refuses longer block sets with
	// msg_blocks_too_long at an undocumented cumulative size that its
	// maintainers put at "12,000 text characters with a buffer for block
	// containers" (bolt-js#2509, #2867 saw a refusal at 11,341): 10,000
	// stays clear of it and still holds dozens of chat messages.
	postTextBudget = 10000
	// fallbackRunes bounds the top-level text of a post, which Slack shows
	// in notifications and screen readers: a short summary, not the whole
	// content (Slack recommends under 4,000 characters, truncates at 40,000).
	fallbackRunes = 300
)

// postPlan is one chat.postMessage of a PostMessages call: either whole
// messages combined (parts == 0), or one part of a message too long for a
// post of its own (part of parts).
type postPlan struct {
	blocks []slack.Block
	// ids are the marketplace messages in the post, oldest first.
	ids   []bridge.MessageID
	part  int
	parts int
	// buyer reports whether the post holds a buyer message.
	buyer bool
	// fallback is the notification text (escaped).
	fallback string
	chars    int
	// first is the summary of the post's first message.
	first string
}

// layout is where layoutPosts cuts posts.
type layout struct {
	maxBlocks int
	budget    int
}

// layoutPosts combines a conversation's rendered messages (oldest first)
// into as few posts as the limits allow. Each post opens with its first
// message's sender line, and a new sender line precedes each change of
// sender, so a run of one buyer's messages reads as one block of sections.
// A message that fits no post of its own is split alone into parts, each
// opening with the sender line ("continued" after the first), as before
// combining existed.
func layoutPosts(msgs []renderedMessage, lim layout) []postPlan {
	var out []postPlan
	var cur *postPlan
	lastSender := ""
	closeCur := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, m := range msgs {
		blocks, chars := len(m.blocks), textChars(m.blocks)
		senderChars := utf8.RuneCountInString(m.sender)
		if cur != nil {
			needBlocks, needChars := blocks, chars
			if m.sender != lastSender {
				needBlocks++
				needChars += senderChars
			}
			if len(cur.blocks)+needBlocks <= lim.maxBlocks && cur.chars+needChars <= lim.budget {
				if m.sender != lastSender {
					cur.blocks = append(cur.blocks, contextLine(m.sender))
				}
				cur.blocks = append(cur.blocks, m.blocks...)
				cur.ids = append(cur.ids, m.id)
				cur.chars += needChars
				cur.buyer = cur.buyer || m.buyer
				lastSender = m.sender
				continue
			}
			closeCur()
		}
		if 1+blocks <= lim.maxBlocks && senderChars+chars <= lim.budget {
			cur = &postPlan{
				blocks: append([]slack.Block{contextLine(m.sender)}, m.blocks...),
				ids:    []bridge.MessageID{m.id},
				buyer:  m.buyer,
				chars:  senderChars + chars,
				first:  m.summary,
			}
			lastSender = m.sender
			continue
		}
		out = append(out, splitMessage(m, lim)...)
	}
	closeCur()
	for i := range out {
		out[i].fallback = fallbackText(out[i])
	}
	return out
}

// splitMessage cuts one long message into posts within the limits. Every
// part holds at least one content block (a block is within TextLimit,
// far below the budget).
func splitMessage(m renderedMessage, lim layout) []postPlan {
	var parts []postPlan
	i := 0
	for i < len(m.blocks) {
		line := m.sender
		if len(parts) > 0 {
			line = m.sender + " _(continued)_"
		}
		p := postPlan{blocks: []slack.Block{contextLine(line)}, ids: []bridge.MessageID{m.id}, buyer: m.buyer, first: m.summary}
		p.chars = utf8.RuneCountInString(line)
		for i < len(m.blocks) {
			c := textChars(m.blocks[i : i+1])
			if len(p.blocks) > 1 && (len(p.blocks)+1 > lim.maxBlocks || p.chars+c > lim.budget) {
				break
			}
			p.blocks = append(p.blocks, m.blocks[i])
			p.chars += c
			i++
		}
		parts = append(parts, p)
	}
	for j := range parts {
		parts[j].part, parts[j].parts = j, len(parts)
	}
	return parts
}

// fallbackText is a post's notification text: its first message's summary,
// how many more messages follow, or which part of a long message it is.
func fallbackText(p postPlan) string {
	suffix := ""
	switch {
	case p.parts > 1:
		suffix = fmt.Sprintf(" (part %d of %d)", p.part+1, p.parts)
	case len(p.ids) > 1:
		suffix = fmt.Sprintf(" (+%d more)", len(p.ids)-1)
	}
	return escapeText(truncate(p.first, fallbackRunes-utf8.RuneCountInString(suffix)) + suffix)
}

// textChars counts the characters of every text (and image URL) in blocks,
// the measure Slack's cumulative block limit applies to.
func textChars(blocks []slack.Block) int {
	n := 0
	text := func(t *slack.TextBlockObject) {
		if t != nil {
			n += utf8.RuneCountInString(t.Text)
		}
	}
	for _, b := range blocks {
		switch v := b.(type) {
		case *slack.SectionBlock:
			text(v.Text)
			for _, f := range v.Fields {
				text(f)
			}
			if v.Accessory != nil && v.Accessory.ImageElement != nil && v.Accessory.ImageElement.ImageURL != nil {
				n += utf8.RuneCountInString(*v.Accessory.ImageElement.ImageURL) + utf8.RuneCountInString(v.Accessory.ImageElement.AltText)
			}
		case *slack.ContextBlock:
			for _, e := range v.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					text(t)
				}
			}
		case *slack.ImageBlock:
			n += utf8.RuneCountInString(v.ImageURL) + utf8.RuneCountInString(v.AltText)
			text(v.Title)
		}
	}
	return n
}
