package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// UpdateThreadHeader keeps what agents see of a conversation current,
// without spending the group's budget ahead of buyers:
//
//   - In a forum (default), the status is the mark at the start of the
//     topic's name (🟠 awaiting reply, 🟢 answered). The topic is renamed,
//     at the lowest priority, only when that visible name changes: unread
//     counts and the like change nothing visible, so most updates cost no
//     call. A resumed conversation's topic is reopened if a person closed
//     it (the surface follows the topics' closed/reopened service
//     messages); a topic closed while the surface did not see it is
//     reopened by the resumed message's post, which meets TOPIC_CLOSED.
//   - With pin_header, and in a group without topics (where the header
//     card is the thread), the header card is edited, at the lowest
//     priority; a resumed conversation's topic is reopened.
//
// It waits for the call it queued, so the bridge gets the outcome (an
// error wrapping bridge.ErrThreadGone included).
func (s *Surface) UpdateThreadHeader(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader) error {
	k, err := parseThread(t)
	if err != nil {
		return err
	}
	info, err := s.chatInfo(ctx, k.chat)
	if err != nil {
		return err
	}
	if !info.forum || s.cardMode() {
		if h.Resumed && info.forum {
			if err := s.reopenTopic(ctx, prioOpen, k); err != nil {
				return err
			}
		}
		return s.editCard(ctx, k, info.forum, h)
	}
	if _, closed := s.closed.get(k); h.Resumed && closed {
		if err := s.reopenTopic(ctx, prioOpen, k); err != nil {
			return err
		}
	}
	return s.renameTopic(ctx, k, s.topicTitle(h))
}

// editCard edits a thread's header card. In a forum, a card deleted by
// someone is posted (and pinned) again; in a reply chain a deleted card
// ends the thread.
func (s *Surface) editCard(ctx context.Context, k threadKey, forum bool, h bridge.ThreadHeader) error {
	hi, known := s.headerOf(ctx, k)
	switch {
	case !known && forum:
		// Opened before a restart without a MetaStore: the card's id is
		// unknown, and a new card per update would spam the topic.
		s.log.Debug("header card unknown; not updated", "chat", k.chat, "topic", k.id)
		return nil
	case !known:
		hi = headerInfo{id: k.id} // in a reply chain the header is the thread
	}
	h.Continued = h.Continued || hi.continued
	err := s.spend(ctx, prioLow, "update thread header", k.chat, func(ctx context.Context) error {
		_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{
			ChatID: k.chat, MessageID: hi.id, Text: headerCard(h, forum).html,
			ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff(),
		})
		return err
	})
	switch {
	case err == nil || isNotModified(err):
		return nil
	case isEditTargetGone(err) && !forum:
		return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: platform, Op: "update thread header",
			Message: "the header message was deleted", Err: fmt.Errorf("%w: header deleted", bridge.ErrThreadGone)}
	case isEditTargetGone(err):
		id, serr := s.sendCard(ctx, prioLow, k, true, h)
		if serr != nil {
			return serr
		}
		s.rememberHeader(ctx, k, headerInfo{id: id, continued: h.Continued})
		s.pinLater(k.chat, id)
		return nil
	}
	return err
}

// sendCard posts a header card into the thread (forum) or the chat.
func (s *Surface) sendCard(ctx context.Context, pr priority, k threadKey, forum bool, h bridge.ThreadHeader) (int, error) {
	params := &bot.SendMessageParams{ChatID: k.chat, Text: headerCard(h, forum).html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff()}
	if forum {
		params.MessageThreadID = k.id
	}
	var msg *models.Message
	err := s.spend(ctx, pr, "post thread header", k.chat, func(ctx context.Context) error {
		var err error
		msg, err = s.bot.SendMessage(ctx, params)
		return err
	})
	if err != nil {
		return 0, err
	}
	return msg.ID, nil
}

// pinLater queues the pin of a header card at the lowest priority, without
// waiting: the card is readable unpinned, and buyers come first. A missing
// right is logged once per chat and later cards stay unpinned.
func (s *Surface) pinLater(chat int64, id int) {
	s.mu.Lock()
	skip := s.noPin[chat]
	s.mu.Unlock()
	if skip {
		return
	}
	s.spendLater(prioLow, "pin thread header", chat, func(ctx context.Context) error {
		_, err := s.bot.PinChatMessage(ctx, &bot.PinChatMessageParams{ChatID: chat, MessageID: id, DisableNotification: true})
		return err
	}, func(err error) {
		switch {
		case err == nil:
		case kindOf(err) == bridge.KindAuth:
			// Pinning is a nicety: its missing right must not mark the chat down.
			s.health.chatOK(chat)
			s.mu.Lock()
			s.noPin[chat] = true
			s.mu.Unlock()
			s.log.Warn("cannot pin header cards: give the bot the admin right \"Pin messages\"", "chat", chat, "err", err)
		default:
			s.log.Warn("could not pin a header card", "chat", chat, "err", err)
		}
	})
}

// owedHeader returns the header a new topic's first post starts with, if
// it is still owed.
func (s *Surface) owedHeader(k threadKey) (htmlText, bool) {
	h, ok := s.owed.get(k)
	if !ok {
		return htmlText{}, false
	}
	return headerLead(h), true
}

func headerKey(k threadKey) string {
	return "telegram.header." + chatString(k.chat) + "." + strconv.Itoa(k.id)
}

// headerInfo is what the surface keeps of a thread's header card: its
// message id, and whether the thread continues a deleted one (the engine
// says so only when opening it, and later edits must keep saying it).
type headerInfo struct {
	id        int
	continued bool
}

func (hi headerInfo) String() string {
	if hi.continued {
		return strconv.Itoa(hi.id) + ";continued"
	}
	return strconv.Itoa(hi.id)
}

func parseHeaderInfo(v string) (headerInfo, bool) {
	ids, flag, _ := strings.Cut(v, ";")
	id, err := strconv.Atoi(ids)
	if err != nil || id <= 0 {
		return headerInfo{}, false
	}
	return headerInfo{id: id, continued: flag == "continued"}, true
}

// rememberHeader keeps a thread's header card (and persists it when a
// MetaStore is wired).
func (s *Surface) rememberHeader(ctx context.Context, k threadKey, hi headerInfo) {
	s.mu.Lock()
	s.headers[k] = hi
	s.mu.Unlock()
	if s.meta != nil {
		if err := s.meta.SetMeta(context.WithoutCancel(ctx), headerKey(k), hi.String()); err != nil {
			s.log.Warn("could not save a header card id", "chat", k.chat, "thread", k.id, "err", err)
		}
	}
}

func (s *Surface) headerOf(ctx context.Context, k threadKey) (headerInfo, bool) {
	s.mu.Lock()
	hi, ok := s.headers[k]
	s.mu.Unlock()
	if ok || s.meta == nil {
		return hi, ok
	}
	v, err := s.meta.Meta(ctx, headerKey(k))
	if err != nil {
		if !errors.Is(err, bridge.ErrNotFound) {
			s.log.Warn("could not load a header card id", "chat", k.chat, "thread", k.id, "err", err)
		}
		return headerInfo{}, false
	}
	if hi, ok = parseHeaderInfo(v); !ok {
		return headerInfo{}, false
	}
	s.mu.Lock()
	s.headers[k] = hi
	s.mu.Unlock()
	return hi, true
}

// headerIdentity is what every header says: where (platform, site,
// store), who (buyer, id), which conversation, the Seller Centre link.
// Fields from the marketplace are bounded so a header stays short.
func headerIdentity(h bridge.ThreadHeader) []htmlText {
	store := h.Store.Name
	if store == "" {
		store = string(h.Store.ID)
	}
	title := platformLabel(h.Store.Platform)
	if h.Store.Site != "" {
		title += " · " + h.Store.Site
	}
	title += " · " + trimVisible(store, maxNameLen)
	lines := []htmlText{concat(" ", plain("🛍"), wrap("b", buyer(title)))}
	buyerName := h.BuyerName
	if buyerName == "" {
		buyerName = "Buyer"
	}
	who := concat(" ", plain("👤"), wrap("b", buyer(trimVisible(buyerName, maxNameLen))))
	if h.BuyerID != "" {
		who = concat(" ", who, plain("· id"), wrap("code", buyer(trimVisible(h.BuyerID, maxNameLen))))
	}
	lines = append(lines, who)
	lines = append(lines, concat(" ", plain("💬 Conversation"), wrap("code", buyer(trimVisible(string(h.Conversation), maxNameLen)))))
	if _, ok := safeURL(h.Link); ok {
		lines = append(lines, concat(" ", plain("🔗"), anchor(h.Link, "Open in Seller Centre")))
	}
	return lines
}

// continuedLine says that a thread replaces a deleted one.
func continuedLine(forum bool) htmlText {
	what := "topic"
	if !forum {
		what = "thread"
	}
	return plain("↪️ Continues this conversation: its earlier " + what + " was deleted.")
}

// headerLead is the header at the top of a new topic's first post: who,
// where, the link and how to answer. It has no status (the topic's name
// shows it, and the post is never edited) and never repeats a buyer
// message.
func headerLead(h bridge.ThreadHeader) htmlText {
	lines := headerIdentity(h)
	if h.Continued {
		lines = append(lines, continuedLine(true))
	}
	lines = append(lines, italic("Reply in this topic to answer the buyer."))
	return concat("\n", lines...)
}

// headerCard is a thread's separate header card (pin_header, or the root
// of a reply chain): the identity, the status, and how to answer. It is
// edited as the conversation goes on and never repeats a buyer message.
func headerCard(h bridge.ThreadHeader, forum bool) htmlText {
	lines := headerIdentity(h)
	status := concat(" ", plain("🟢"), bold("Answered"))
	if h.AwaitingReply {
		status = concat(" ", plain("🟠"), bold("Awaiting reply"))
	}
	if h.Unread > 0 {
		status = concat(" · ", status, plain(fmt.Sprintf("%d unread", h.Unread)))
	}
	lines = append(lines, status)
	if h.Resumed {
		lines = append(lines, plain("🔁 Resumed: the buyer wrote again after a quiet period."))
	}
	if h.Continued {
		lines = append(lines, continuedLine(forum))
	}
	how := "Reply in this topic to answer the buyer."
	if !forum {
		how = "Reply to this message (or to any message under it) to answer the buyer."
	}
	lines = append(lines, italic(how))
	return concat("\n", lines...)
}
